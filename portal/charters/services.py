"""Charters: reading versions, drafting an amendment, adopting it, and comparing versions.

Services flush and never commit: the caller commits once, so a change and its audit event are
saved together or not at all. Business rules refuse with portal.domain.DomainError, whose
`reason` is a CharterRefusal (portal.charters.models):

- CHARTER_ADOPTED: the version is adopted, and adopted versions never change;
- DRAFT_EXISTS: the school already has a draft (one at a time, so amendments never fork);
- EMPTY_BODY: a draft with no text cannot be adopted;
- EFFECTIVE_BEFORE_ADOPTION: a charter cannot come into force before it is adopted;
- ADOPTED_BEFORE_PREVIOUS: a version cannot be adopted before the version it replaces.

Adopting a version also publishes it: its text is rendered to PDF, signed and archived
(portal.documents) in the same transaction, so an adopted version always has its document.
"""

import functools
from collections.abc import Sequence
from datetime import date

from sqlalchemy import Select, and_, bindparam, func, or_, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import aliased, joinedload

from portal import audit, clock, events
from portal.charters import structure
from portal.charters.models import CharterRefusal, CharterStatus, CharterVersion, StoredCharterDiff
from portal.documents import render
from portal.documents.models import DocumentKind
from portal.documents.render import body_fingerprint, verify_url
from portal.documents.services import archive_pdf
from portal.domain import DomainError
from portal.extensions import db
from portal.schools.models import School
from portal.text import nfc, render_markdown

# The short template a school may start its first charter from: the usual chapters of a
# Chinese school charter, with the articles every charter needs, to be completed by the school.
# (A backslash at the end of a line joins it to the next: the article stays one paragraph.)
FIRST_DRAFT_TEMPLATE = """# {name}章程

# 第一章 总则

**第一条** 为规范学校办学行为，保障学校、教职工和学生的合法权益，\
依据《中华人民共和国教育法》《中华人民共和国义务教育法》等法律法规，制定本章程。

**第二条** 学校名称：{name}。学校地址：{address}。

**第三条** 学校是由政府举办的公办学校，具有法人资格。

# 第二章 办学宗旨与目标

**第四条** （学校的办学宗旨与培养目标。）

# 第三章 组织机构与管理

**第五条** 学校实行校长负责制。

# 第四章 附则

**第六条** 本章程经学校教职工代表大会讨论通过，自发布之日起施行。
"""


def versions_of(school: School) -> list[CharterVersion]:
    """Every version of the school's charter, drafts included, newest first."""
    return list(
        db.session.scalars(
            select(CharterVersion).where(CharterVersion.school_id == school.id).order_by(CharterVersion.number.desc())
        )
    )


def adopted_versions(school: School) -> list[CharterVersion]:
    """The adopted versions, newest first: the public history."""
    return list(
        db.session.scalars(
            select(CharterVersion)
            .where(CharterVersion.school_id == school.id, CharterVersion.status == CharterStatus.ADOPTED)
            .order_by(CharterVersion.number.desc())
        )
    )


def latest_adopted(school: School) -> CharterVersion | None:
    """The newest adopted version (the highest number), whether or not it is in force yet: what
    a new draft starts from and is compared with. One query."""
    return db.session.scalar(
        select(CharterVersion)
        .where(CharterVersion.school_id == school.id, CharterVersion.status == CharterStatus.ADOPTED)
        .order_by(CharterVersion.number.desc())
        .limit(1)
    )


def _takes_effect_on():
    # CharterVersion.takes_effect_on, in SQL.
    return func.coalesce(CharterVersion.effective_on, CharterVersion.adopted_on)


def in_force_version(school: School, today: date) -> CharterVersion | None:
    """The charter in force on `today`: of the adopted versions that have taken effect, the
    newest (CharterVersion.status_on says the same of each version). One query."""
    return db.session.scalar(
        select(CharterVersion)
        .where(
            CharterVersion.school_id == school.id,
            CharterVersion.status == CharterStatus.ADOPTED,
            _takes_effect_on() <= today,
        )
        .order_by(CharterVersion.number.desc())
        .limit(1)
    )


def in_force_and_upcoming(school: School, today: date) -> tuple[CharterVersion | None, CharterVersion | None]:
    """The charter in force on `today` and the newest adopted version waiting for its day (each
    or both None), in one query: what the school's page shows."""
    adopted = (CharterVersion.school_id == school.id, CharterVersion.status == CharterStatus.ADOPTED)
    newest_in_force = (
        select(func.max(CharterVersion.number)).where(*adopted, _takes_effect_on() <= today).scalar_subquery()
    )
    found = list(
        db.session.scalars(
            select(CharterVersion)
            .where(*adopted, or_(_takes_effect_on() > today, CharterVersion.number == newest_in_force))
            .order_by(CharterVersion.number.desc())
        )
    )
    in_force = next((v for v in found if v.takes_effect_on is not None and v.takes_effect_on <= today), None)
    upcoming = next((v for v in found if v.takes_effect_on is not None and v.takes_effect_on > today), None)
    return in_force, upcoming


# The school's page runs the same few statements on every visit, and building one (coercing each
# column, operator and option, then working out its cache key from the whole tree) costs about as
# much as SQLite takes to run it. So each is built once, by a cached builder like this one, with
# bindparam() where a value changes from one visit to the next (the slug, today), and run with
# those values; it keeps its cache key. The SQL and the number of queries stay the same.
# What varies only by code (the loader options, a limit) is an argument of the builder. Options
# are told apart by identity: callers pass module-level ones (SUPERVISORS_LOADED), and the cache
# is bounded in case one builds its own on every call.
@functools.lru_cache(maxsize=16)
def _school_with_charter_query(load: tuple) -> Select:
    inner = aliased(CharterVersion)
    today = bindparam("today")
    newest_in_force = (
        select(func.max(inner.number))
        .where(
            inner.school_id == School.id,
            inner.status == CharterStatus.ADOPTED,
            func.coalesce(inner.effective_on, inner.adopted_on) <= today,
        )
        .correlate(School)
        .scalar_subquery()
    )
    shown = and_(
        CharterVersion.school_id == School.id,
        CharterVersion.status == CharterStatus.ADOPTED,
        or_(_takes_effect_on() > today, CharterVersion.number == newest_in_force),
    )
    return (
        select(School, CharterVersion)
        .outerjoin(CharterVersion, shown)
        .where(School.slug == bindparam("slug"))
        .options(joinedload(School.authority), *load)
        .order_by(CharterVersion.number.desc())
    )


def school_with_charter(
    slug: str, today: date, *, load: Sequence = ()
) -> tuple[School | None, CharterVersion | None, CharterVersion | None]:
    """The school at `slug` (its authority loaded, and what the loader options `load` add) with
    what in_force_and_upcoming gives, in one query: the school's page loads them together.
    (None, None, None) when no school has it."""
    query = _school_with_charter_query(tuple(load))
    # unique: a collection in `load` repeats rows
    rows = db.session.execute(query, {"slug": slug, "today": today}).unique().all()
    if not rows:
        return None, None, None
    found = [version for _, version in rows if version is not None]
    in_force = next((v for v in found if v.takes_effect_on is not None and v.takes_effect_on <= today), None)
    upcoming = next((v for v in found if v.takes_effect_on is not None and v.takes_effect_on > today), None)
    return rows[0][0], in_force, upcoming


def upcoming_version(school: School, today: date) -> CharterVersion | None:
    """An adopted version that has not taken effect yet (the newest, if several), or None."""
    return db.session.scalar(
        select(CharterVersion)
        .where(
            CharterVersion.school_id == school.id,
            CharterVersion.status == CharterStatus.ADOPTED,
            _takes_effect_on() > today,
        )
        .order_by(CharterVersion.number.desc())
        .limit(1)
    )


def adopted_version_by_id(version_id: int) -> CharterVersion | None:
    """An adopted version, with its school, by id (what a publication of the archive names)."""
    return db.session.scalar(
        select(CharterVersion)
        .where(CharterVersion.id == version_id, CharterVersion.status == CharterStatus.ADOPTED)
        .options(joinedload(CharterVersion.school))
    )


def get_version(school: School, number: int) -> CharterVersion | None:
    return db.session.scalar(
        select(CharterVersion).where(CharterVersion.school_id == school.id, CharterVersion.number == number)
    )


def draft_of(school: School) -> CharterVersion | None:
    """The draft being prepared, if any (there is at most one)."""
    return db.session.scalar(
        select(CharterVersion)
        .where(CharterVersion.school_id == school.id, CharterVersion.status == CharterStatus.DRAFT)
        .order_by(CharterVersion.number.desc())
        .limit(1)
    )


def previous_adopted(version: CharterVersion) -> CharterVersion | None:
    """The adopted version before `version` (for "compare with the previous one")."""
    return db.session.scalar(
        select(CharterVersion)
        .where(
            CharterVersion.school_id == version.school_id,
            CharterVersion.status == CharterStatus.ADOPTED,
            CharterVersion.number < version.number,
        )
        .order_by(CharterVersion.number.desc())
        .limit(1)
    )


def charter_summary(version: CharterVersion, chapter_titles: int = 4) -> dict:
    """Plain facts about a version for other pages (the school page): no query, the text is
    parsed once and cached."""
    document = structure.parse(version.body)
    chapters = document.titled_chapters
    return {
        "number": version.number,
        "adopted_on": version.adopted_on,
        "effective_on": version.effective_on,
        "chapter_count": len(chapters),
        "article_count": len(document.articles),
        "chapter_titles": [chapter.heading for chapter in chapters[:chapter_titles]],
    }


def start_draft(actor, school: School, *, from_template: bool = True) -> CharterVersion:
    """Open the next version as a draft: a copy of the charter in force, or, for a school
    without one, the short template (or an empty page). Raises DomainError(DRAFT_EXISTS)
    while another draft is open, also when two people start one at the same moment (the
    unique number per school stops the second)."""
    if draft_of(school) is not None:
        raise DomainError(CharterRefusal.DRAFT_EXISTS)
    current = latest_adopted(school)
    highest = (
        db.session.scalar(select(func.max(CharterVersion.number)).where(CharterVersion.school_id == school.id)) or 0
    )
    if current is not None:
        body = current.body
    elif from_template:
        body = FIRST_DRAFT_TEMPLATE.format(name=school.name_zh, address=school.address or "（地址）")
    else:
        body = ""
    draft = CharterVersion(
        school_id=school.id,
        number=highest + 1,
        status=CharterStatus.DRAFT,
        body=body,
        change_note="",
        based_on_number=current.number if current else None,
        created_by_id=getattr(actor, "id", None),
    )
    try:
        with db.session.begin_nested():
            db.session.add(draft)
            db.session.flush()
    except IntegrityError:
        raise DomainError(CharterRefusal.DRAFT_EXISTS) from None
    audit.record(
        actor, "charter.draft_start", draft, school_id=school.id, number=draft.number, based_on=draft.based_on_number
    )
    return draft


def edit_draft(actor, version: CharterVersion, *, body: str, change_note: str) -> bool:
    """Save the draft's text and change note. Returns whether anything changed (nothing is
    audited when nothing did). Raises DomainError(CHARTER_ADOPTED) for an adopted version."""
    body, change_note = nfc(body), nfc(change_note)
    _lock(version)
    if version.is_adopted:
        raise DomainError(CharterRefusal.CHARTER_ADOPTED)
    if version.body == body and version.change_note == change_note:
        return False
    before = len(version.body)
    version.edit(body, change_note)
    audit.record(
        actor,
        "charter.draft_edit",
        version,
        school_id=version.school_id,
        number=version.number,
        length_before=before,
        length_after=len(body),
    )
    db.session.flush()
    return True


def discard_draft(actor, version: CharterVersion) -> None:
    """Delete the draft (never adopted: nothing of it was published), so that another can be
    started. Refuses an adopted version (CHARTER_ADOPTED) and a draft a decision draft names as the
    version it adopts (DRAFT_IN_USE; the decisions feature keeps that link). Audited."""
    if version.is_adopted:
        raise DomainError(CharterRefusal.CHARTER_ADOPTED)
    audit.record(actor, "charter.discard", version, school_id=version.school_id, number=version.number)
    try:
        with db.session.begin_nested():
            db.session.delete(version)
            db.session.flush()
    except IntegrityError:
        raise DomainError(CharterRefusal.DRAFT_IN_USE) from None


def adopt_version(actor, version: CharterVersion, *, adopted_on: date, effective_on: date) -> None:
    """Adopt the draft: from now on it is the school's charter (if no later version is) and it
    never changes again. Its PDF is rendered, signed and archived, and `document_sha256` set, in
    the caller's transaction. Raises DomainError with CHARTER_ADOPTED, EMPTY_BODY,
    ADOPTED_IN_FUTURE (after today in Beijing), EFFECTIVE_BEFORE_ADOPTION or
    ADOPTED_BEFORE_PREVIOUS; or the failure of rendering,
    signing or storing the PDF, and then the caller rolls back and the draft stays a draft."""
    _lock(version)
    if version.is_adopted:
        raise DomainError(CharterRefusal.CHARTER_ADOPTED)
    if not version.body.strip():
        raise DomainError(CharterRefusal.EMPTY_BODY)
    if adopted_on > clock.today():
        raise DomainError(CharterRefusal.ADOPTED_IN_FUTURE)
    if effective_on < adopted_on:
        raise DomainError(CharterRefusal.EFFECTIVE_BEFORE_ADOPTION)
    previous = previous_adopted(version)
    if previous is not None and previous.adopted_on is not None and adopted_on < previous.adopted_on:
        raise DomainError(CharterRefusal.ADOPTED_BEFORE_PREVIOUS)
    version.adopt(getattr(actor, "id", None), adopted_on, effective_on)
    audit.record(
        actor,
        "charter.adopt",
        version,
        school_id=version.school_id,
        number=version.number,
        adopted_on=adopted_on.isoformat(),
        effective_on=effective_on.isoformat(),
    )
    db.session.flush()
    context = pdf_context(version)
    document = archive_pdf(
        actor,
        kind=DocumentKind.CHARTER_VERSION,
        object_type="charter_version",
        object_id=version.id,
        pdf_bytes=render.render_pdf("charter_version", context),
        school_id=version.school_id,
        text_sha256=context["fingerprint"],
    )
    version.document_sha256 = document.sha256
    db.session.flush()
    events.emit("charter.adopted", version, actor)


def pdf_context(version: CharterVersion) -> dict:
    """The plain data the PDF of an adopted version is rendered from (CONVENTIONS.md §8)."""
    school = version.school
    return {
        "lang": "zh-CN",
        "title": f"{school.name_zh}章程（第{version.number}版）",
        "school_name": school.name_zh,
        "number": version.number,
        "adopted_on": version.adopted_on,
        "effective_on": version.effective_on,
        "change_note": version.change_note,
        "body_html": str(render_markdown(version.body, shift_headings=1)),
        "verify_url": verify_url(),
        "fingerprint": body_fingerprint(version.body),
    }


def _lock(version: CharterVersion) -> None:
    """Read the version again, locked until the transaction ends (PostgreSQL; SQLite has one
    writer at a time anyway): an edit racing an adoption then sees the adopted status and is
    refused, instead of changing an adopted text."""
    if version.id is not None:
        db.session.refresh(version, with_for_update=True)


def compare(older: CharterVersion, newer: CharterVersion) -> structure.CharterDiff:
    """What changed from `older` to `newer` (structure.compare: bounded work, or `too_large`).

    Two adopted versions never change, so their comparison is made once: stored (flushed, in
    the caller's transaction) the first time it is asked for, and read back from then on. A
    comparison stored by an older release in another shape (structure.DIFF_FORMAT) is made
    again. Storing is only a saving: if it cannot be written now (another request stored it at
    the same moment, or SQLite's other writer holds the lock), the comparison is still given.
    A draft is compared afresh each time, since its text may still change."""
    if not (older.is_adopted and newer.is_adopted):
        return structure.compare(older.body, newer.body)
    stored = db.session.get(StoredCharterDiff, (older.id, newer.id))
    if stored is not None and stored.format == structure.DIFF_FORMAT:
        return structure.CharterDiff.from_dict(stored.content)
    diff = structure.compare(older.body, newer.body)
    try:
        with db.session.begin_nested():
            if stored is None:
                stored = StoredCharterDiff(older_id=older.id, newer_id=newer.id)
                db.session.add(stored)
            stored.format, stored.content = structure.DIFF_FORMAT, diff.to_dict()
    except (IntegrityError, OperationalError):
        pass  # the same comparison, stored by another request; or to be stored next time
    return diff
