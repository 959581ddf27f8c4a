"""Authorities and schools: creating them and listing them for pages."""
from sqlalchemy import select
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


def districts_with_schools() -> list[Authority]:
    """Authorities that have schools, each with its schools loaded, in one round of queries."""
    return list(
        db.session.scalars(
            select(Authority)
            .where(Authority.schools.any())
            .options(selectinload(Authority.schools))
            .order_by(Authority.path)
        )
    )


def school_by_slug(slug: str) -> School | None:
    return db.session.scalar(select(School).where(School.slug == slug).options(selectinload(School.authority)))
