"""Authorities and schools: creating them and listing them for pages."""

import functools
from collections.abc import Callable
from datetime import datetime
from typing import NamedTuple

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, bindparam, false, func, or_, select, true
from sqlalchemy.orm import aliased, contains_eager, joinedload

from portal import audit, events
from portal.domain import DomainError, Reason
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


class SchoolRefusal(Reason):
    SLUG_TAKEN = "slug_taken", _l("Another school already uses this web address name."), "slug"


# /schools/new is the form that adds a school, /schools/import adds many.
RESERVED_SLUGS = frozenset({"new", "import"})
PROFILE_FIELDS = (
    "name_zh",
    "name_en",
    "type",
    "address",
    "phone",
    "email",
    "website",
    "decision_prefix",
    "description",
)


def create_school(
    actor,
    authority: Authority,
    *,
    slug: str,
    name_zh: str,
    name_en: str,
    type: SchoolType,
    address: str = "",
    **profile,
) -> School:
    """Add a school under `authority`. Refuses with SLUG_TAKEN if another school has the address name."""
    if slug in RESERVED_SLUGS or db.session.scalar(select(func.count()).where(School.slug == slug)):
        raise DomainError(SchoolRefusal.SLUG_TAKEN)
    school = School(
        slug=slug,
        name_zh=name_zh,
        name_en=name_en,
        authority=authority,
        type=SchoolType(type),
        address=address,
        **{key: value or "" for key, value in profile.items() if key in PROFILE_FIELDS},
    )
    db.session.add(school)
    db.session.flush()
    audit.record(actor, "school.create", school, school_id=school.id, authority_id=authority.id, slug=slug)
    events.emit("school.created", school, actor)
    return school


def update_school_profile(actor, school: School, data: dict) -> dict:
    """Change the school's public profile; audits what changed (before and after). Returns the changes."""
    changes = {}
    for field in PROFILE_FIELDS:
        if field not in data:
            continue
        new = SchoolType(data[field]) if field == "type" else (data[field] or "")
        old = getattr(school, field)
        if new != old:
            changes[field] = {"before": str(old), "after": str(new)}
            setattr(school, field, new)
    if changes:
        db.session.flush()
        audit.record(
            actor, "school.update", school, school_id=school.id, authority_id=school.authority_id, changes=changes
        )
        events.emit("school.profile_changed", school, actor, changes=changes)
    return changes


SCHOOLS_PER_PAGE = 20


def search_schools(*, query: str = "", authority_id: int | None = None, school_type: str | None = None, page: int = 1):
    """The directory: schools matching the filters, by name (pinyin: School.name_sort), a page at a time
    (Flask-SQLAlchemy's Pagination: .items, .page, .pages, .total)."""
    statement = select(School).options(joinedload(School.authority)).order_by(School.name_sort, School.id)
    if authority_id:
        authority = db.session.get(Authority, authority_id)
        if authority is None:
            statement = statement.where(false())
        else:
            statement = statement.join(School.authority).where(
                Authority.path.startswith(authority.path, autoescape=True)
            )
    if school_type in {t.value for t in SchoolType}:
        statement = statement.where(School.type == SchoolType(school_type))
    query = (query or "").strip()
    if query:
        statement = statement.where(
            or_(
                School.name_zh.contains(query, autoescape=True),
                func.lower(School.name_en).contains(query.lower(), autoescape=True),
                School.slug.contains(query.lower(), autoescape=True),
            )
        )
    return db.paginate(statement, page=page, per_page=SCHOOLS_PER_PAGE, error_out=False, count=True)


def schools_for_filter(school_ids: Select, *, include_id: int | None = None) -> list[School]:
    """The schools a public list can be narrowed to, by district and then by name: those
    whose ids `school_ids` selects (the ones with something to list: a city has thousands of
    schools), plus the school already chosen, if any."""
    condition = School.id.in_(school_ids)
    if include_id is not None:
        condition = condition | (School.id == include_id)
    return list(
        db.session.scalars(
            select(School)
            .join(School.authority)
            .where(condition)
            .options(contains_eager(School.authority))
            .order_by(Authority.id, School.name_sort, School.id)
        )
    )


def districts_for_filter() -> list[Authority]:
    """Authorities that have schools, for the directory's district filter."""
    return list(db.session.scalars(select(Authority).where(Authority.schools.any()).order_by(Authority.id)))


def authorities_under(roots: list[Authority]) -> list[Authority]:
    """Every authority in the subtrees of `roots` (where a commission admin may add a school:
    policy.administered_authorities), by path."""
    if not roots:
        return []
    return list(
        db.session.scalars(
            select(Authority)
            .where(or_(*[Authority.path.startswith(root.path, autoescape=True) for root in roots]))
            .order_by(Authority.path)
        )
    )


def _name_in(shown, language: str) -> str:
    return shown.name_en if language == "en" else shown.name_zh


class AuthorityShown(NamedTuple):
    """An authority as a list of schools names it (plain values: web.made_once takes them)."""

    id: int
    name_zh: str
    name_en: str

    name = _name_in  # as Authority.name


class SchoolShown(NamedTuple):
    """A school as a list of schools shows it: its name, kind and address, linked by its slug."""

    slug: str
    name_zh: str
    name_en: str
    type: SchoolType
    address: str | None

    name = _name_in  # as School.name


class DistrictOverview(NamedTuple):
    """An authority with its number of schools and the first few by name: the home page's part
    for it is the same for everybody, made once (web.made_once) from these values."""

    authority: AuthorityShown
    school_count: int
    schools: tuple[SchoolShown, ...]


@functools.cache
def _districts_overview_queries(dialect: str) -> tuple[Select, Select, Select]:
    # Built once per database engine, run with the values: the home page runs them on every visit
    # (charters.services._school_with_charter_query says why). Columns, not rows made into
    # objects: a city's home page lists hundreds of schools.
    counts = select(School.authority_id, func.count()).group_by(School.authority_id)
    # Each authority's first few schools by name, read from the index on (authority_id, name_sort):
    # a few index entries per district, where ranking every school of the city (a window function)
    # took 3 ms of SQLite's time for 2,000 schools and grew with them. The same question is asked
    # in each engine's words: PostgreSQL runs a LATERAL subquery once per authority (a correlated
    # IN there is run for every pair of authority and school: 1.6 s), SQLite has no LATERAL and
    # runs the IN once per authority.
    columns = (School.authority_id, School.slug, School.name_zh, School.name_en, School.type, School.address)
    if dialect == "postgresql":
        first = (
            select(*columns, School.name_sort, School.id)
            .where(School.authority_id == Authority.id)
            .order_by(School.name_sort, School.id)
            .limit(bindparam("per_district"))
            .lateral("first_schools")
        )
        first_schools = (
            select(*(first.c[column.key] for column in columns))
            .select_from(Authority)
            .join(first, true())
            .order_by(first.c.name_sort, first.c.id)
        )
    else:
        first = aliased(School)
        first_of_authority = (
            select(first.id)
            .where(first.authority_id == Authority.id)
            .order_by(first.name_sort, first.id)
            .limit(bindparam("per_district"))
            .correlate(Authority)
        )
        first_schools = (
            select(*columns)
            .select_from(Authority)
            .join(School, School.id.in_(first_of_authority.scalar_subquery()))
            .order_by(School.name_sort, School.id)
        )
    authorities = (
        select(Authority.id, Authority.name_zh, Authority.name_en)
        .where(Authority.id.in_(bindparam("ids", expanding=True)))
        .order_by(Authority.id)
    )
    return counts, first_schools, authorities


def districts_overview(schools_per_district: int = 8) -> list[DistrictOverview]:
    """Every authority that has schools, with its number of schools and the first few by name.
    Three queries whatever the number of schools: counts, the first few per district (from the
    index of each authority's schools by name), and the authorities."""
    counts_query, first_schools_query, authorities_query = _districts_overview_queries(
        db.session.get_bind().dialect.name
    )
    counts = dict(db.session.execute(counts_query).all())
    if not counts:
        return []
    by_authority: dict[int, list[SchoolShown]] = {}
    for authority_id, *shown in db.session.execute(first_schools_query, {"per_district": schools_per_district}):
        by_authority.setdefault(authority_id, []).append(SchoolShown(*shown))
    return [
        DistrictOverview(AuthorityShown(*row), counts[row[0]], tuple(by_authority.get(row[0], ())))
        for row in db.session.execute(authorities_query, {"ids": list(counts)})
    ]


# The management area's sections, each with the action that opens it (see portal/policy.py).
MANAGEMENT_SECTIONS = [
    ("edit_school_profile", "schools.edit_profile"),
    ("manage_charter", "charters.manage"),
    ("manage_bodies", "meetings.manage_bodies"),
    ("manage_meetings", "meetings.manage_meetings"),
    ("manage_decisions", "decisions.manage"),
    ("manage_school", "consultations.manage"),  # admins draft; board members write outcomes
    ("manage_feedback", "feedback.inbox"),
    ("manage_disclosure", "disclosure.manage"),
    ("manage_invitations", "accounts.invitations"),
    ("manage_staff", "accounts.staff"),
]


# What waits in a school's management area (feedback, drafts, consultations) is counted by the
# features that own it, all above this one: the pages layer that gathers them for /me registers
# its counting function here (portal.pages.work), so that the management home shows the same
# counts while this feature imports none of them.
WAITING_COUNTERS: list[Callable] = []


def waiting_in_school(user, school: School, now: datetime, sections: set[str]) -> list:
    """What the registered counters find waiting for `user` in `school`, for the `sections` they
    may open (empty when none is registered, as in a test of this feature alone)."""
    return [place for counter in WAITING_COUNTERS for place in counter(user, school, now, sections)]
