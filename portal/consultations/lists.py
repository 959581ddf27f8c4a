"""The public lists of consultations: what is open, closed, or has its outcome, by district and
school; the filters' choices; how many published responses each has."""

import functools
from datetime import datetime

from sqlalchemy import Select, bindparam, false, or_, select
from sqlalchemy.orm import joinedload

from portal.consultations.models import Consultation, Phase, Tally
from portal.consultations.responses import PUBLISHED_KEY
from portal.extensions import db
from portal.schools import services as school_services
from portal.schools.models import Authority, School

PAGE_SIZE = 20


# The lists' states, each the phase it shows.
LIST_STATES = {"open": Phase.OPEN, "closed": Phase.CLOSED, "outcome": Phase.OUTCOME_PUBLISHED}


def _ancestor_ids(authority: Authority) -> list[int]:
    """The ids of the authority and of every authority above it (paths are "/1/4/")."""
    return [int(part) for part in authority.path.strip("/").split("/") if part]


def _of_school(school_id, authority_ids):
    """The school's own consultations and those of the authorities above it (district- and
    city-wide ones apply to it too): `school_id` and `authority_ids` (_ancestor_ids of its
    authority) are values or bound parameters."""
    return or_(Consultation.school_id == school_id, Consultation.authority_id.in_(authority_ids))


@functools.cache
def _open_consultations_query(of_one_school: bool, limit: int) -> Select:
    # Built once, run with the time (and the school's id and its authorities' ids): the home page
    # and the school's page run it on every visit (charters.services._school_with_charter_query
    # says why).
    query = select(Consultation).where(Consultation.in_phase(Phase.OPEN, bindparam("now")))
    if of_one_school:
        query = query.where(_of_school(bindparam("school_id"), bindparam("authority_ids", expanding=True)))
    query = query.options(joinedload(Consultation.school), joinedload(Consultation.authority))
    return query.order_by(Consultation.closes_at).limit(limit)


def open_consultations(now: datetime, *, school: School | None = None, limit: int = 5) -> list[Consultation]:
    """Open now, closing soonest first (home page, school page)."""
    values: dict = {"now": now}
    if school is not None:
        values |= {"school_id": school.id, "authority_ids": _ancestor_ids(school.authority)}
    return list(db.session.scalars(_open_consultations_query(school is not None, limit), values))


def consultation_list(
    state: str,
    now: datetime,
    *,
    district_id: int | None = None,
    school_id: int | None = None,
    page: int = 1,
    per_page: int = PAGE_SIZE,
):
    """One page of public consultations in `state` ("open": closing soonest first; "closed":
    latest closed first; "outcome": latest outcome first), with their owners loaded. `district_id`
    narrows to the district's schools and to consultations of the district itself or of an
    authority above it (city-wide ones apply there too); `school_id` to the school's own and to
    those of the authorities above it, as the school's page lists them. An id nobody has finds
    nothing. Two queries (the count and the page), plus one to look up the district or school."""
    query = select(Consultation).where(Consultation.in_phase(LIST_STATES[state], now))
    if district_id is not None:
        district = db.session.get(Authority, district_id)
        if district is None:
            query = query.where(false())
        else:
            in_district = (
                select(School.id).join(Authority).where(Authority.path.startswith(district.path, autoescape=True))
            )
            below = select(Authority.id).where(Authority.path.startswith(district.path, autoescape=True))
            query = query.where(
                or_(
                    Consultation.school_id.in_(in_district),
                    Consultation.authority_id.in_(below),
                    Consultation.authority_id.in_(_ancestor_ids(district)),
                )
            )
    if school_id is not None:
        school = db.session.get(School, school_id)
        if school is None:
            query = query.where(false())
        else:
            query = query.where(_of_school(school.id, _ancestor_ids(school.authority)))
    order = {
        "open": (Consultation.closes_at, Consultation.id),
        "closed": (Consultation.closed_at.desc(), Consultation.id.desc()),
        "outcome": (Consultation.outcome_published_at.desc(), Consultation.id.desc()),
    }[state]
    query = query.options(
        joinedload(Consultation.school).joinedload(School.authority), joinedload(Consultation.authority)
    ).order_by(*order)
    return db.paginate(query, page=page, per_page=per_page, error_out=False, max_per_page=100)


def schools_for_filter(*, include_id: int | None = None) -> list[School]:
    """The schools the list can be narrowed to: those with a public consultation (and the one chosen)."""
    with_consultations = select(Consultation.school_id).where(Consultation.is_public)
    return school_services.schools_for_filter(with_consultations, include_id=include_id)


def published_counts(consultations: list[Consultation]) -> dict[int, int]:
    """How many published responses each consultation has, from the tallies: one query."""
    if not consultations:
        return {}
    rows = db.session.execute(
        select(Tally.consultation_id, Tally.count).where(
            Tally.consultation_id.in_([c.id for c in consultations]), Tally.key == PUBLISHED_KEY
        )
    )
    return dict(rows.all())
