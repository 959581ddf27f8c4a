"""Drafting and publishing decisions, and reading the public archive.

Publishing runs in the job worker (tasks.py), never in a request: `request_publication()` checks
the draft, records the request on it and enqueues the job when the caller commits; the job runs
`publish_decision()` once for that request (the draft's row locked, its state checked inside the
transaction). Publishing is one atomic step (DESIGN.md §5): `publish_decision()` takes the number, renders the
PDF, signs and stores it, appends the publication log entry, marks the decision published (and
the decision it supersedes or revokes, and the charter version it adopts), and writes the audit
events — all in the caller's transaction. Any failure raises before the caller commits, so a
draft that failed to publish is unchanged, nothing is stored and no number is used.
"""

import functools
import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Select, bindparam, func, or_, select
from sqlalchemy.orm import defer, joinedload

from portal import audit, clock, events, jobs
from portal.charters import services as charters
from portal.charters.models import CharterVersion
from portal.clock import utcnow
from portal.consultations.models import Consultation, ConsultationStatus, Phase
from portal.decisions.models import (
    CHARTER_REFUSALS,
    PUBLIC_STATUSES,
    PUBLISHING_ASKED_AGAIN_AFTER,
    PUBLISHING_GIVES_UP_AFTER,
    Decision,
    DecisionRefusal,
    DecisionStatus,
    format_number,
)
from portal.documents import render
from portal.documents.models import Document, DocumentKind
from portal.documents.render import body_fingerprint, verify_url
from portal.documents.services import archive_pdf
from portal.domain import DomainError
from portal.extensions import db
from portal.meetings.models import Attendance, Meeting
from portal.schools import services as school_services
from portal.schools.models import Authority, School
from portal.text import nfc, quoted_inside, render_markdown

PAGE_SIZE = 20

# The fields of a draft that a form may set; anything else posted is ignored.
DRAFT_FIELDS = (
    "title",
    "body",
    "meeting_id",
    "votes_for",
    "votes_against",
    "votes_abstain",
    "effective_on",
    "replaces_id",
    "replaces_how",
    "charter_version_id",
    "consultation_id",
)


# --- loading ------------------------------------------------------------------------------


def decision_in_school(school: School, decision_id: int, *, for_update: bool = False) -> Decision | None:
    """A decision (draft or published) of `school`, for its management pages. With `for_update`
    the row is locked until the transaction ends (PostgreSQL), so that two publish requests for
    one draft run one after the other and the second sees it published."""
    query = select(Decision).where(Decision.id == decision_id, Decision.school_id == school.id)
    if for_update:
        query = query.with_for_update()
    return db.session.execute(query.execution_options(populate_existing=for_update)).scalar_one_or_none()


def draft_to_publish(decision_id: int) -> Decision | None:
    """The decision the publishing job is about, its row locked until the transaction ends
    (PostgreSQL; SQLite's job transactions hold the write lock from their start), so that two
    workers, or a retry beside a slow first try, publish one after the other and the second
    finds it published."""
    query = select(Decision).where(Decision.id == decision_id).with_for_update()
    return db.session.execute(query.execution_options(populate_existing=True)).scalar_one_or_none()


@functools.cache
def _published_decision_query() -> Select:
    # Built once, run with the id: the decision's page runs it on every visit, and building a
    # select with six loader options cost more than running it
    # (charters.services._school_with_charter_query says more).
    return (
        select(Decision)
        .where(Decision.id == bindparam("decision_id"), Decision.status.in_(PUBLIC_STATUSES))
        .options(
            joinedload(Decision.school).joinedload(School.authority),
            joinedload(Decision.meeting).joinedload(Meeting.body),
            joinedload(Decision.supersedes),
            joinedload(Decision.revokes),
            joinedload(Decision.replaced_by),
            joinedload(Decision.charter_version),
        )
    )


def published_decision(decision_id: int) -> Decision | None:
    """A decision the public may read (published, superseded or revoked), with what its page shows."""
    return db.session.scalar(_published_decision_query(), {"decision_id": decision_id})


def drafts_of_school(school: School) -> list[Decision]:
    return list(
        db.session.scalars(
            select(Decision)
            .where(Decision.school_id == school.id, Decision.status == DecisionStatus.DRAFT)
            .order_by(Decision.updated_at.desc())
        )
    )


def drafts_by_school(school_ids) -> dict[int, int]:
    """How many decision drafts each of `school_ids` has (0 for none): one aggregate query."""
    counts = dict.fromkeys(school_ids, 0)
    if counts:
        counts.update(dict(db.session.execute(_drafts_query(), {"school_ids": list(counts)}).all()))
    return counts


@functools.cache
def _drafts_query() -> Select:
    # Built once and run with its schools (staff's pages ask on every visit).
    return (
        select(Decision.school_id, func.count())
        .where(Decision.school_id.in_(bindparam("school_ids", expanding=True)), Decision.status == DecisionStatus.DRAFT)
        .group_by(Decision.school_id)
    )


def in_force_decisions(school: School, *, exclude_id: int | None = None) -> list[Decision]:
    """The school's decisions in force: the ones a new decision may supersede or revoke."""
    query = (
        select(Decision)
        .where(Decision.school_id == school.id, Decision.status == DecisionStatus.PUBLISHED)
        .order_by(Decision.published_at.desc())
    )
    if exclude_id is not None:
        query = query.where(Decision.id != exclude_id)
    return list(db.session.scalars(query))


def meetings_for_decisions(school: School, now: datetime) -> list[Meeting]:
    """Meetings a decision may have been taken at: the school's meetings that have begun."""
    return list(
        db.session.scalars(
            select(Meeting)
            .where(Meeting.school_id == school.id, Meeting.starts_at <= now)
            .options(joinedload(Meeting.body))
            .order_by(Meeting.starts_at.desc())
            .limit(200)
        )
    )


def charter_versions_for_decisions(school: School, *, include_id: int | None = None) -> list[CharterVersion]:
    """The charter versions a decision may adopt, newest first: the drafts, and the newest adopted
    version (a decision may be the one that adopted it), plus the one already chosen, if any
    (the form then says what is wrong with it: charter_version_problem)."""
    versions = db.session.scalars(
        select(CharterVersion).where(CharterVersion.school_id == school.id).order_by(CharterVersion.number.desc())
    ).all()
    newest_adopted = next((version for version in versions if version.is_adopted), None)
    return [
        version
        for version in versions
        if not version.is_adopted or version is newest_adopted or version.id == include_id
    ]


def charter_version_problem(version: CharterVersion | None) -> DecisionRefusal | None:
    """CHARTER_VERSION_REPLACED when `version` is adopted and a newer version of the same
    school's charter is adopted too; else None."""
    if version is None or not version.is_adopted:
        return None
    newest = charters.latest_adopted(version.school)
    return DecisionRefusal.CHARTER_VERSION_REPLACED if newest.number > version.number else None


def answerable_consultations(school: School, now: datetime) -> list[Consultation]:
    """The school's consultations a decision may answer: those that have closed (by their dates
    or early), with or without their outcome published. Newest closing first."""
    closed = or_(
        Consultation.status.in_((ConsultationStatus.CLOSED, ConsultationStatus.OUTCOME_PUBLISHED)),
        (Consultation.status == ConsultationStatus.APPROVED) & (Consultation.closes_at <= now),
    )
    return list(
        db.session.scalars(
            select(Consultation)
            .where(Consultation.school_id == school.id, closed)
            .order_by(Consultation.closes_at.desc())
            .limit(200)
        )
    )


def present_count(meeting: Meeting) -> int:
    """How many members were recorded present at the meeting."""
    return db.session.scalar(
        select(func.count())
        .select_from(Attendance)
        .where(Attendance.meeting_id == meeting.id, Attendance.present.is_(True))
    )


# --- the public archive -------------------------------------------------------------------

FEED_SIZE = 50


@dataclass(frozen=True)
class ArchiveFilters:
    district_id: int | None = None
    school_id: int | None = None
    year: int | None = None
    text: str = ""


def _in_district(district_id: int):
    """The ids of the schools under an authority (a district, or the city and every district
    below it): one indexed prefix match on the authority's path, inside the archive's query."""
    district_path = select(Authority.path).where(Authority.id == district_id).scalar_subquery()
    return select(School.id).join(Authority).where(Authority.path.startswith(district_path))


def _archive_query(filters: ArchiveFilters) -> Select:
    """Published decisions matching `filters`. Ids nobody has (unknown, or beyond what the
    database holds: the addresses and forms never pass one) match nothing."""
    query = select(Decision).where(Decision.status.in_(PUBLIC_STATUSES))
    if filters.school_id is not None:
        query = query.where(Decision.school_id == filters.school_id)
    if filters.district_id is not None:
        query = query.where(Decision.school_id.in_(_in_district(filters.district_id)))
    if filters.year is not None:
        query = query.where(Decision.number_year == filters.year)
    text = nfc(filters.text)
    if text:
        pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(
            or_(
                Decision.title.ilike(pattern, escape="\\"),
                Decision.number.ilike(pattern, escape="\\"),
                Decision.body.ilike(pattern, escape="\\"),
            )
        )
    return query


def _for_lists(query: Select) -> Select:
    """What a list of decisions shows: the school (and its district) in the same query, and not
    the body, which may be long; a template that touched it would raise instead of querying
    once per row."""
    return query.options(
        joinedload(Decision.school).joinedload(School.authority),
        defer(Decision.body, raiseload=True),
        # Decision.status_on reads when a replacing decision takes effect: joined in the same
        # query (at most one decision replaces another, so rows do not multiply).
        joinedload(Decision.replaced_by).load_only(
            Decision.id, Decision.status, Decision.effective_on, Decision.published_at
        ),
    )


def _newest_first(query: Select) -> Select:
    return query.order_by(Decision.published_at.desc(), Decision.id.desc())


def archive_page(filters: ArchiveFilters, page: int, per_page: int = PAGE_SIZE):
    """One page of published decisions (in force, superseded or revoked), newest first, with
    their schools loaded: two queries (the count and the page) whatever the page holds."""
    query = _newest_first(_for_lists(_archive_query(filters)))
    return db.paginate(query, page=page, per_page=per_page, error_out=False, max_per_page=100)


@functools.cache
def _latest_decisions_query(of_one_school: bool, limit: int) -> Select:
    # Built once, run with the school's id if any: the home page and the school's page run it on
    # every visit (charters.services._school_with_charter_query says why).
    query = _for_lists(select(Decision).where(Decision.status.in_(PUBLIC_STATUSES)))
    if of_one_school:
        query = query.where(Decision.school_id == bindparam("school_id"))
    return _newest_first(query).limit(limit)


def latest_decisions(school: School | None = None, limit: int = 5) -> list[Decision]:
    """The newest published decisions, of one school or everywhere (home page, school page), in
    one query, with their schools loaded and without their bodies."""
    query = _latest_decisions_query(school is not None, limit)
    return list(db.session.scalars(query, {"school_id": school.id} if school is not None else {}))


def feed_decisions(school: School | None = None, limit: int = FEED_SIZE) -> list[Decision]:
    """The newest published decisions for an Atom feed: as latest_decisions(), with their bodies
    (the feed summarises them). One query."""
    query = select(Decision).where(Decision.status.in_(PUBLIC_STATUSES)).options(joinedload(Decision.school))
    if school is not None:
        query = query.where(Decision.school_id == school.id)
    return list(db.session.scalars(_newest_first(query).limit(limit)))


def archive_years() -> list[int]:
    """The years that have published decisions, newest first, for the archive's filter."""
    return list(
        db.session.scalars(
            select(Decision.number_year)
            .where(Decision.status.in_(PUBLIC_STATUSES))
            .distinct()
            .order_by(Decision.number_year.desc())
        )
    )


def schools_for_archive_filter(*, include_id: int | None = None) -> list[School]:
    """The schools the archive can be narrowed to: those with published decisions (and the one chosen)."""
    with_decisions = select(Decision.school_id).where(Decision.status.in_(PUBLIC_STATUSES))
    return school_services.schools_for_filter(with_decisions, include_id=include_id)


def decision_document(decision_id: int) -> tuple[Decision, Document] | None:
    """A published decision with its archived PDF (the bytes are loaded only when read), for the
    download; None for drafts, unknown ids, and decisions without a stored document."""
    row = db.session.execute(
        select(Decision, Document)
        .join(Document, Document.sha256 == Decision.document_sha256)
        .where(Decision.id == decision_id, Decision.status.in_(PUBLIC_STATUSES))
    ).first()
    return (row[0], row[1]) if row else None


# --- drafting -----------------------------------------------------------------------------


def _clean(data: dict) -> dict:
    """Only the fields a draft has, with text normalised to NFC (one spelling of each character)."""
    fields = {name: data.get(name) for name in DRAFT_FIELDS if name in data}
    for name in ("title", "body"):
        if isinstance(fields.get(name), str):
            fields[name] = nfc(fields[name])
    for name in ("votes_for", "votes_against", "votes_abstain"):
        if name in fields:
            fields[name] = fields[name] or 0
    return fields


def _resolve_links(school: School, fields: dict, *, decision_id: int | None, now: datetime) -> dict:
    """Turn the ids a form posted into this school's objects, refusing anyone else's: DomainError
    with DecisionRefusal UNKNOWN_MEETING, FUTURE_MEETING, UNKNOWN_TARGET, UNKNOWN_CHARTER_VERSION
    or UNKNOWN_CONSULTATION."""
    values = {k: v for k, v in fields.items() if k not in ("replaces_id", "replaces_how")}
    meeting_id = fields.get("meeting_id")
    if meeting_id:
        meeting = db.session.get(Meeting, meeting_id) if meeting_id is not None else None
        if meeting is None or meeting.school_id != school.id:
            raise DomainError(DecisionRefusal.UNKNOWN_MEETING)
        if meeting.starts_at > now:
            raise DomainError(DecisionRefusal.FUTURE_MEETING)
    values["meeting_id"] = meeting_id or None

    if "replaces_id" in fields:
        target_id = fields.get("replaces_id") or None
        values["supersedes_id"] = values["revokes_id"] = None
        if target_id:
            target = db.session.get(Decision, target_id) if target_id is not None else None
            if (
                target is None
                or target.school_id != school.id
                or target.status != DecisionStatus.PUBLISHED
                or target.id == decision_id
            ):
                raise DomainError(DecisionRefusal.UNKNOWN_TARGET)
            how = fields.get("replaces_how") or "supersedes"
            values["revokes_id" if how == "revokes" else "supersedes_id"] = target.id

    if "charter_version_id" in fields:
        version_id = fields.get("charter_version_id") or None
        if version_id:
            version = db.session.get(CharterVersion, version_id) if version_id is not None else None
            if version is None or version.school_id != school.id:
                raise DomainError(DecisionRefusal.UNKNOWN_CHARTER_VERSION)
            if problem := charter_version_problem(version):
                raise DomainError(problem)
        values["charter_version_id"] = version_id

    if "consultation_id" in fields:
        consultation_id = fields.get("consultation_id") or None
        if consultation_id:
            consultation = db.session.get(Consultation, consultation_id) if consultation_id is not None else None
            # Only the school's own consultations, and only once they have closed: a decision
            # cannot answer what people are still being asked.
            if (
                consultation is None
                or consultation.school_id != school.id
                or consultation.phase(now) not in (Phase.CLOSED, Phase.OUTCOME_PUBLISHED)
            ):
                raise DomainError(DecisionRefusal.UNKNOWN_CONSULTATION)
        values["consultation_id"] = consultation_id
    return values


def _check_vote(decision: Decision) -> None:
    """The votes cast cannot outnumber the members recorded present (VOTE_EXCEEDS_PRESENT)."""
    if decision.meeting is not None and decision.votes_total > present_count(decision.meeting):
        raise DomainError(DecisionRefusal.VOTE_EXCEEDS_PRESENT)


def create_draft(actor, school: School, data: dict, now: datetime | None = None) -> Decision:
    """A new draft decision of `school`. Raises DomainError (see _resolve_links, _check_vote)."""
    now = now or utcnow()
    decision = Decision(school=school, status=DecisionStatus.DRAFT, created_by_id=getattr(actor, "id", None), title="")
    decision.edit(**_resolve_links(school, _clean(data), decision_id=None, now=now))
    db.session.add(decision)
    db.session.flush()
    _check_vote(decision)
    audit.record(actor, "decision.draft", decision, school_id=school.id, title=decision.title)
    return decision


def update_draft(actor, decision: Decision, data: dict, now: datetime | None = None) -> list[str]:
    """Save changes to a draft; returns the names of the fields that changed. A published
    decision raises DomainError(DecisionRefusal.PUBLISHED); see also _resolve_links, _check_vote."""
    if not decision.is_draft:
        raise DomainError(DecisionRefusal.PUBLISHED)
    values = _resolve_links(decision.school, _clean(data), decision_id=decision.id, now=now or utcnow())
    changed = [name for name, value in values.items() if getattr(decision, name) != value]
    if changed:
        decision.edit(**{name: values[name] for name in changed})
        db.session.flush()
        db.session.expire(decision, ["meeting"])
        _check_vote(decision)
        audit.record(actor, "decision.edit", decision, school_id=decision.school_id, fields=changed)
    return changed


def discard_draft(actor, decision: Decision) -> None:
    """Delete a draft nobody published. Published decisions are never deleted: DomainError
    (DecisionRefusal.PUBLISHED)."""
    if not decision.is_draft:
        raise DomainError(DecisionRefusal.PUBLISHED)
    audit.record(actor, "decision.discard", decision, school_id=decision.school_id, title=decision.title)
    db.session.delete(decision)
    db.session.flush()


# --- the PDF ------------------------------------------------------------------------------


def _cn_date(day: date | None) -> str:
    return f"{day.year}年{day.month}月{day.day}日" if day else ""


def issuing_body_name(school: School, body_name: str | None) -> str:
    """The issuing body's full name, as a document's header and sign-off give it (GB/T 9704
    发文机关全称): the school's name and its body's (重庆市渝中区解放路小学校务委员会), the
    body's alone when it already names the school, the school's when no body is known."""
    if not body_name:
        return school.name_zh
    return body_name if body_name.startswith(school.name_zh) else f"{school.name_zh}{body_name}"


def pdf_context(decision: Decision, *, number: str, published_on: date, draft: bool) -> dict:
    """The plain data the decision's PDF is rendered from (CONVENTIONS.md §8). Laid out after
    GB/T 9704《党政机关公文格式》: the issuing body in red, the number under it above the red
    line, the title, the text, and the sign-off (the body's name, and the day it decided: the
    meeting's date, 成文日期 as the rules for documents adopted at a meeting have it)."""
    meeting = decision.meeting
    school = decision.school
    replaced = decision.supersedes or decision.revokes
    meeting_day = clock.local_date(meeting.starts_at) if meeting is not None else None
    return {
        "lang": "zh-CN",
        "draft": draft,
        "title": decision.title,
        "issuer": issuing_body_name(school, meeting.body.name if meeting is not None else None),
        "signed_on": _cn_date(meeting_day or published_on),
        "school_name": school.name_zh,
        "school_name_en": school.name_en,
        "number": number,
        "body_html": str(render_markdown(decision.body)),
        "meeting": (
            {
                "body_name": meeting.body.name,
                "title": meeting.title,
                "date": _cn_date(clock.local_date(meeting.starts_at)),
                "place": meeting.place,
                "present": present_count(meeting),
            }
            if meeting is not None
            else None
        ),
        "votes_for": decision.votes_for,
        "votes_against": decision.votes_against,
        "votes_abstain": decision.votes_abstain,
        "effective_on": _cn_date(decision.effective_on or published_on),
        "published_on": _cn_date(published_on),
        "supersedes": decision.supersedes.number if decision.supersedes else None,
        "revokes": decision.revokes.number if decision.revokes else None,
        # Set in 《》 by the PDF: its own title marks become 〈〉 there.
        "replaced_title": quoted_inside(replaced.title) if replaced else None,
        "charter_version": decision.charter_version.number if decision.charter_version else None,
        "verify_url": verify_url(),
        "fingerprint": body_fingerprint(decision.body),
    }


def next_number(school: School, year: int) -> tuple[int, str]:
    """The next sequence and number of `school` in `year`: one more than the highest used."""
    highest = db.session.scalar(
        select(func.max(Decision.number_sequence)).where(Decision.school_id == school.id, Decision.number_year == year)
    )
    sequence = (highest or 0) + 1
    return sequence, format_number(school.decision_prefix, year, sequence)


def preview_pdf(decision: Decision, now: datetime | None = None) -> bytes:
    """The draft as it would be published, marked "draft — not published" on every page. Not
    signed, not stored, and no number is taken."""
    published_on = clock.local_date(now or utcnow())
    number = format_number(decision.school.decision_prefix, published_on.year, 0).replace("0号", "□号")
    return render.render_pdf("decision", pdf_context(decision, number=number, published_on=published_on, draft=True))


def publish_problems(decision: Decision, now: datetime) -> list[DecisionRefusal]:
    """What a draft still lacks before it can be published, as DecisionRefusal members (empty
    when it is ready): TITLE_MISSING, BODY_MISSING, MEETING_MISSING, FUTURE_MEETING, NO_VOTES,
    VOTE_EXCEEDS_PRESENT, EFFECTIVE_BEFORE_MEETING, TARGET_NOT_IN_FORCE, CHARTER_VERSION_REPLACED."""
    problems = []
    if not decision.title.strip():
        problems.append(DecisionRefusal.TITLE_MISSING)
    if not decision.body.strip():
        problems.append(DecisionRefusal.BODY_MISSING)
    meeting = decision.meeting
    if meeting is None:
        problems.append(DecisionRefusal.MEETING_MISSING)
    elif meeting.starts_at > now:
        problems.append(DecisionRefusal.FUTURE_MEETING)
    if decision.votes_total == 0:
        problems.append(DecisionRefusal.NO_VOTES)
    elif meeting is not None and decision.votes_total > present_count(meeting):
        problems.append(DecisionRefusal.VOTE_EXCEEDS_PRESENT)
    if (
        meeting is not None
        and decision.effective_on is not None
        and decision.effective_on < clock.local_date(meeting.starts_at)
    ):
        problems.append(DecisionRefusal.EFFECTIVE_BEFORE_MEETING)
    for target in (decision.supersedes, decision.revokes):
        if target is not None and target.status != DecisionStatus.PUBLISHED:
            problems.append(DecisionRefusal.TARGET_NOT_IN_FORCE)
    if problem := charter_version_problem(decision.charter_version):
        problems.append(problem)
    return problems


def check_publishable(decision: Decision, now: datetime) -> None:
    """Raises DomainError with the first of publish_problems(), if any."""
    problems = publish_problems(decision, now)
    if problems:
        raise DomainError(problems[0])


def request_publication(actor, decision: Decision, now: datetime | None = None) -> bool:
    """Ask the job worker to publish the draft. Refuses with DomainError what publish_decision
    would refuse now (DecisionRefusal.PUBLISHED, or the first of publish_problems()); else records
    the request on the draft with a new key (audited) and enqueues the job when the caller
    commits. While an earlier request is still at work it adds nothing and returns False: a
    second click never publishes twice, nor enqueues a second job."""
    now = now or utcnow()
    if not decision.is_draft:
        raise DomainError(DecisionRefusal.PUBLISHED)
    if decision.is_publishing(now):
        return False
    check_publishable(decision, now)
    key = str(uuid.uuid4())
    decision.request_publication(key=key, at=now)
    audit.record(actor, "decision.publish_requested", decision, school_id=decision.school_id, key=key)
    db.session.flush()
    from portal.decisions.tasks import publish_requested_decision  # the job imports this module

    jobs.after_commit(db.session, publish_requested_decision, decision.id, key, getattr(actor, "id", None))
    return True


@dataclass(frozen=True)
class StalledPublication:
    """A publication asked for that no job has carried out yet: what its job needs."""

    decision_id: int
    key: str
    actor_id: int | None


def stalled_publications(now: datetime | None = None) -> list[StalledPublication]:
    """Drafts whose publication was asked for more than PUBLISHING_ASKED_AGAIN_AFTER ago and is
    still at work (not given up for lost yet, PUBLISHING_GIVES_UP_AFTER), with who asked (from
    the audit record of the request that carries the key). Their job may never have been queued;
    asking for it again is harmless, as the job publishes only a draft that still carries its key."""
    now = now or utcnow()
    drafts = db.session.execute(
        select(Decision.id, Decision.publishing_key).where(
            Decision.status == DecisionStatus.DRAFT,
            Decision.publishing_key.is_not(None),
            Decision.publishing_since <= now - PUBLISHING_ASKED_AGAIN_AFTER,
            Decision.publishing_since > now - PUBLISHING_GIVES_UP_AFTER,
        )
    ).all()
    stalled = []
    for decision_id, key in drafts:
        asked_by = db.session.scalars(
            select(audit.AuditEvent.actor_id)
            .where(
                audit.AuditEvent.action == "decision.publish_requested",
                audit.AuditEvent.object_type == Decision.__name__,
                audit.AuditEvent.object_id == decision_id,
            )
            .order_by(audit.AuditEvent.id.desc())
            .limit(1)
        ).first()
        stalled.append(StalledPublication(decision_id, key, asked_by))
    return stalled


def record_publication_failure(actor, decision: Decision, reason: DecisionRefusal) -> None:
    """The job could not publish the draft: it says why on its page and may be published again."""
    decision.publication_failed(reason)
    audit.record(actor, "decision.publish_failed", decision, school_id=decision.school_id, reason=reason.value)
    db.session.flush()


def _adopt_charter_version(actor, version: CharterVersion, *, adopted_on: date, effective_on: date) -> None:
    """Adopt the charter version the decision adopts. Its refusal is said as it concerns the
    decision (its words, beside the decision form's field): the DecisionRefusal of the same code."""
    try:
        charters.adopt_version(actor, version, adopted_on=adopted_on, effective_on=effective_on)
    except DomainError as refusal:
        for reason in CHARTER_REFUSALS:
            if refusal.reason == reason:
                raise DomainError(reason) from refusal
        raise


def _lock_school(school: School) -> None:
    """Numbers are taken one publication at a time per school: on PostgreSQL the school's row is
    locked until the commit, so two drafts published at once get 1 and 2, not 1 and 1. SQLite has
    one writer at a time anyway. The unique (school, year, sequence) is the last defence."""
    db.session.execute(select(School.id).where(School.id == school.id).with_for_update())


def publish_decision(actor, decision: Decision, now: datetime | None = None) -> Decision:
    """Publish the draft: number, PDF (rendered, signed, stored by SHA-256), publication log
    entry, status, and audit events, in the caller's transaction. The decision it supersedes or
    revokes is marked so; a draft charter version it adopts is adopted. Raises DomainError
    (DecisionRefusal.PUBLISHED, see check_publishable, or the charter version's refusal as one of
    CHARTER_REFUSALS) or the failure of rendering, signing or storing; the caller then rolls back
    and nothing has changed."""
    now = now or utcnow()
    if not decision.is_draft:
        raise DomainError(DecisionRefusal.PUBLISHED)
    check_publishable(decision, now)
    school = decision.school
    _lock_school(school)
    published_on = clock.local_date(now)
    sequence, number = next_number(school, published_on.year)
    context = pdf_context(decision, number=number, published_on=published_on, draft=False)
    pdf = render.render_pdf("decision", context)
    document = archive_pdf(
        actor,
        kind=DocumentKind.DECISION,
        object_type="decision",
        object_id=decision.id,
        pdf_bytes=pdf,
        school_id=school.id,
        text_sha256=context["fingerprint"],
    )
    decision.publish(
        number=number,
        year=published_on.year,
        sequence=sequence,
        at=now,
        by_id=getattr(actor, "id", None),
        document_sha256=document.sha256,
    )
    if decision.supersedes is not None:
        decision.supersedes.replace(DecisionStatus.SUPERSEDED)
        audit.record(actor, "decision.supersede", decision.supersedes, school_id=school.id, by=decision.id)
    if decision.revokes is not None:
        decision.revokes.replace(DecisionStatus.REVOKED)
        audit.record(actor, "decision.revoke", decision.revokes, school_id=school.id, by=decision.id)
    version = decision.charter_version
    if version is not None and not version.is_adopted:
        _adopt_charter_version(
            actor, version, adopted_on=published_on, effective_on=decision.effective_on or published_on
        )
    audit.record(
        actor,
        "decision.publish",
        decision,
        school_id=school.id,
        number=number,
        sha256=document.sha256,
        votes=[decision.votes_for, decision.votes_against, decision.votes_abstain],
    )
    db.session.flush()
    events.emit("decision.published", decision, actor)
    return decision
