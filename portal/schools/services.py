"""Authorities and schools: creating them and listing them for pages."""
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from portal import audit
from portal.extensions import db
from portal.schools.models import Authority, School, SchoolType


def create_authority(actor, *, name_zh: str, name_en: str, parent: Authority | None = None) -> Authority:
    """Add an authority under `parent` (None for the city commission) and audit it."""
    authority = Authority(name_zh=name_zh, name_en=name_en, parent=parent)
    db.session.add(authority)
    db.session.flush()
    authority.path = f"{parent.path if parent else '/'}{authority.id}/"
    audit.record(actor, "authority.create", authority, authority_id=authority.id, name=name_zh)
    db.session.flush()
    return authority


def create_school(
    actor, authority: Authority, *, slug: str, name_zh: str, name_en: str, type: SchoolType, address: str = ""
) -> School:
    school = School(slug=slug, name_zh=name_zh, name_en=name_en, authority=authority, type=type, address=address)
    db.session.add(school)
    db.session.flush()
    audit.record(actor, "school.create", school, authority_id=authority.id, slug=slug)
    return school


@dataclass
class DistrictOverview:
    authority: Authority
    school_count: int
    schools: list[School]


def districts_overview(schools_per_district: int = 8) -> list[DistrictOverview]:
    """Every authority that has schools, with its number of schools and the first few by name.
    Three queries whatever the number of schools: counts, the first few per district (a window
    function, on SQLite and PostgreSQL alike), and the authorities."""
    counts = dict(db.session.execute(select(School.authority_id, func.count()).group_by(School.authority_id)).all())
    if not counts:
        return []
    ranked = (
        select(School.id, func.row_number().over(partition_by=School.authority_id, order_by=School.name_zh).label("rank"))
        .subquery()
    )
    first_schools = db.session.scalars(
        select(School).join(ranked, ranked.c.id == School.id).where(ranked.c.rank <= schools_per_district).order_by(School.name_zh)
    ).all()
    by_authority: dict[int, list[School]] = {}
    for school in first_schools:
        by_authority.setdefault(school.authority_id, []).append(school)
    authorities = db.session.scalars(select(Authority).where(Authority.id.in_(counts)).order_by(Authority.id)).all()
    return [DistrictOverview(a, counts[a.id], by_authority.get(a.id, [])) for a in authorities]


def school_by_slug(slug: str) -> School | None:
    return db.session.scalar(select(School).where(School.slug == slug).options(selectinload(School.authority)))
