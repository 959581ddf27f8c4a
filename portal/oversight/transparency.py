"""The oversight dashboard's disclosure and supervision figures: how completely the schools of
each district (and, for a chosen district, each school) published what the disclosure checklist
asks (portal.disclosure), how much feedback went to the responsible supervisors (escalated, or
reviews asked for), how much still waits for them, and how long they take to answer
(portal.supervision). The same figures as /disclosure and /supervision count, from their own
services."""

from dataclasses import dataclass
from datetime import date
from statistics import median

from portal.disclosure import services as disclosure_services
from portal.schools.models import Authority
from portal.supervision import services as supervision_services


@dataclass(frozen=True)
class TransparencyRow:
    id: int
    name_zh: str
    name_en: str
    slug: str | None
    completeness: float | None
    overdue_items: int
    escalated: int
    reviews: int
    open_cases: int
    median_answer_days: float | None

    def name(self, language: str) -> str:
        return self.name_en if language == "en" else self.name_zh


def _row(place, checklists, figures, slug=None) -> TransparencyRow:
    waits = [f.median_answer_days for f in figures if f.median_answer_days is not None]
    return TransparencyRow(
        id=place.id,
        name_zh=place.name_zh,
        name_en=place.name_en,
        slug=slug,
        completeness=disclosure_services.overall_completeness(checklists),
        overdue_items=sum(c.overdue for c in checklists),
        escalated=sum(f.escalated for f in figures),
        reviews=sum(f.reviews for f in figures),
        open_cases=sum(f.open for f in figures),
        # Per school the median of its answers; per district the median of its schools' medians.
        median_answer_days=median(waits) if waits else None,
    )


def rows(districts: list[Authority], district: Authority | None, today: date):
    """(overall completeness, a row per district, a row per school of `district`)."""
    schools = disclosure_services.schools_overseen(districts)
    checklists = {c.school.id: c for c in disclosure_services.checklists(schools, today)}
    figures = supervision_services.supervision_figures([school.id for school in schools])
    district_rows = []
    for place in districts:
        mine = [school for school in schools if place.covers(school.authority)]
        district_rows.append(_row(place, [checklists[s.id] for s in mine], [figures[s.id] for s in mine]))
    school_rows: list[TransparencyRow] = []
    if district is not None:
        school_rows = [
            _row(school, [checklists[school.id]], [figures[school.id]], slug=school.slug)
            for school in schools
            if school.authority_id == district.id
        ]
    return disclosure_services.overall_completeness(list(checklists.values())), district_rows, school_rows
