"""Consultations: drafting and the lifecycle, responding, moderation primitives, running tallies,
and the queries that serve the pages.

Services flush and never commit; the caller commits once (CONVENTIONS.md §4). Every change that
matters writes an audit event in the same transaction.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from flask import current_app, has_app_context
from sqlalchemy import Select, case, false, func, or_, select, update
from sqlalchemy.orm import contains_eager, defer, joinedload, selectinload

from portal import audit
from portal.accounts.models import Membership, Role
from portal.clock import local_date, utcnow
from portal.consultations.models import (
    ANSWER_TEXT_MAX,
    MAX_CHOICES,
    MAX_QUESTIONS,
    RESPONSE_BODY_MAX,
    STANDARD_REASONS,
    Audience,
    Consultation,
    ConsultationStatus,
    ModerationMode,
    OutcomeTheme,
    Phase,
    Question,
    QuestionKind,
    Report,
    Response,
    ResponseState,
    ResponseVersion,
    Stance,
    Tally,
    reason_key,
)
from portal.documents import render
from portal.documents.models import DocumentKind
from portal.documents.render import body_fingerprint, verify_url
from portal.documents.services import archive_pdf
from portal.domain import DomainError
from portal.extensions import db
from portal.schools.models import Authority, School
from portal.text import nfc, render_markdown, whole_number

PAGE_SIZE = 20
RESPONSES_PAGE_SIZE = 20
PUBLISHED_KEY = "published"


# --- loading ------------------------------------------------------------------------------


def consultation_by_id(consultation_id: int, *, for_update: bool = False) -> Consultation | None:
    """A consultation with its owner and questions (whatever its status: callers check who may see it)."""
    query = (
        select(Consultation)
        .where(Consultation.id == consultation_id)
        .options(
            joinedload(Consultation.school).joinedload(School.authority),
            joinedload(Consultation.authority),
            selectinload(Consultation.questions),
        )
    )
    if for_update:
        query = query.with_for_update(of=Consultation).execution_options(populate_existing=True)
    return db.session.execute(query).unique().scalar_one_or_none()


def owner_authority(consultation: Consultation) -> Authority:
    """The authority whose moderators approve and moderate it."""
    return consultation.school.authority if consultation.school is not None else consultation.authority


def owner_name(consultation: Consultation, language: str) -> str:
    if consultation.school is not None:
        return consultation.school.name(language)
    return consultation.authority.name_en if language == "en" else consultation.authority.name_zh


def response_in(consultation: Consultation, response_id: int, *, for_update: bool = False) -> Response | None:
    query = select(Response).where(Response.id == response_id, Response.consultation_id == consultation.id)
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    return db.session.scalar(query)


def response_of(consultation: Consultation, user) -> Response | None:
    """The person's own response to the consultation, if they wrote one."""
    if not getattr(user, "is_authenticated", False):
        return None
    return db.session.scalar(
        select(Response).where(Response.consultation_id == consultation.id, Response.author_id == user.id)
    )


# --- the audience -------------------------------------------------------------------------


def verified_parent_count(consultation: Consultation) -> int:
    """How many verified parents the audience has (participation rate = responders / this)."""
    query = select(func.count(func.distinct(Membership.user_id))).where(Membership.role == Role.PARENT)
    if consultation.school_id is not None:
        query = query.where(Membership.school_id == consultation.school_id)
    else:
        under = select(School.id).join(Authority).where(Authority.path.startswith(consultation.authority.path))
        query = query.where(Membership.school_id.in_(under))
    return db.session.scalar(query)


# --- drafting and the lifecycle -----------------------------------------------------------

DETAIL_FIELDS = ("title", "summary", "proposal", "audience", "moderation", "opens_at", "closes_at")


def _details(data: dict) -> dict:
    values = {name: data[name] for name in DETAIL_FIELDS if name in data}
    for name in ("title", "summary", "proposal"):
        if name in values:
            values[name] = nfc(values[name])
    if "audience" in values:
        values["audience"] = Audience(values["audience"])
    if "moderation" in values:
        values["moderation"] = ModerationMode(values["moderation"])
    opens, closes = values.get("opens_at"), values.get("closes_at")
    if opens is not None and closes is not None and closes <= opens:
        raise DomainError("closes_before_opening")
    return values


def _owner_ids(consultation: Consultation) -> dict:
    return {"school_id": consultation.school_id, "authority_id": owner_authority(consultation).id}


def create_consultation(
    actor, *, school: School | None = None, authority: Authority | None = None, data: dict
) -> Consultation:
    """A new draft of `school` (or of `authority`). Raises DomainError "closes_before_opening"."""
    if (school is None) == (authority is None):
        raise ValueError("a consultation belongs to a school or to an authority")
    consultation = Consultation(
        school=school,
        authority=authority if school is None else None,
        status=ConsultationStatus.DRAFT,
        created_by_id=getattr(actor, "id", None),
    )
    consultation.title = ""
    consultation.edit(**_details(data))
    db.session.add(consultation)
    db.session.flush()
    audit.record(actor, "consultation.create", consultation, **_owner_ids(consultation), title=consultation.title)
    return consultation


def update_consultation(actor, consultation: Consultation, data: dict) -> list[str]:
    """Save the draft's details; returns what changed. DomainError "not_a_draft" once submitted."""
    values = _details(data)
    changed = [name for name, value in values.items() if getattr(consultation, name) != value]
    if changed:
        consultation.edit(**{name: values[name] for name in changed})
        db.session.flush()
        audit.record(actor, "consultation.edit", consultation, **_owner_ids(consultation), fields=changed)
    return changed


def _clean_choices(kind: QuestionKind, choices) -> list[str]:
    if kind == QuestionKind.TEXT:
        return []
    cleaned = [nfc(choice) for choice in (choices or []) if nfc(choice)]
    if len(cleaned) < 2:
        raise DomainError("too_few_choices")
    if len(cleaned) > MAX_CHOICES:
        raise DomainError("too_many_choices")
    if len(set(cleaned)) != len(cleaned):
        raise DomainError("duplicate_choices")
    return cleaned


def add_question(actor, consultation: Consultation, *, kind, prompt: str, choices=None) -> Question:
    """Add a question at the end (at most MAX_QUESTIONS). DomainError "not_a_draft",
    "too_many_questions", "too_few_choices", "too_many_choices", "duplicate_choices"."""
    if consultation.status != ConsultationStatus.DRAFT:
        raise DomainError("not_a_draft")
    if len(consultation.questions) >= MAX_QUESTIONS:
        raise DomainError("too_many_questions")
    kind = QuestionKind(kind)
    position = max((question.position for question in consultation.questions), default=0) + 1
    question = Question(kind=kind, prompt=nfc(prompt), choices=_clean_choices(kind, choices), position=position)
    consultation.questions.append(question)
    db.session.flush()
    audit.record(
        actor,
        "consultation.question_add",
        consultation,
        **_owner_ids(consultation),
        question=question.id,
        kind=kind.value,
    )
    return question


def remove_question(actor, consultation: Consultation, question_id: int) -> None:
    if consultation.status != ConsultationStatus.DRAFT:
        raise DomainError("not_a_draft")
    question = next((q for q in consultation.questions if q.id == question_id), None)
    if question is None:
        raise DomainError("unknown_question")
    consultation.questions.remove(question)
    db.session.flush()
    # Close the gap so that positions stay 1..n (the unique constraint is on (consultation, position)).
    for number, remaining in enumerate(sorted(consultation.questions, key=lambda q: q.position), start=1):
        if remaining.position != number:
            remaining.position = number
            db.session.flush()
    audit.record(actor, "consultation.question_remove", consultation, **_owner_ids(consultation), question=question_id)


def submission_problems(consultation: Consultation, now: datetime) -> list[str]:
    """What a draft still lacks before it can be submitted for approval (DomainError reasons)."""
    problems = []
    if not consultation.title:
        problems.append("title_missing")
    if not consultation.proposal:
        problems.append("proposal_missing")
    if consultation.closes_at <= now:
        problems.append("closes_in_the_past")
    return problems


def submit(actor, consultation: Consultation, now: datetime | None = None) -> None:
    """Send the draft to the moderators of its authority for approval."""
    now = now or utcnow()
    problems = submission_problems(consultation, now)
    if consultation.status == ConsultationStatus.DRAFT and problems:
        raise DomainError(problems[0])
    consultation.submit(now)
    db.session.flush()
    audit.record(actor, "consultation.submit", consultation, **_owner_ids(consultation))


def approve(actor, consultation: Consultation, now: datetime | None = None) -> None:
    """A moderator approves it: it opens at its opening time. Prepares its tallies."""
    now = now or utcnow()
    consultation.approve(getattr(actor, "id", None), now)
    _prepare_tallies(consultation)
    db.session.flush()
    audit.record(actor, "consultation.approve", consultation, **_owner_ids(consultation))


def send_back(actor, consultation: Consultation, reason: str) -> None:
    """A moderator returns it to its authors as a draft, saying why."""
    reason = nfc(reason)
    if not reason:
        raise DomainError("reason_required")
    consultation.send_back(reason)
    db.session.flush()
    audit.record(actor, "consultation.send_back", consultation, **_owner_ids(consultation), reason=reason)


def close_early(actor, consultation: Consultation, reason: str, now: datetime | None = None) -> None:
    reason = nfc(reason)
    if not reason:
        raise DomainError("reason_required")
    consultation.close_early(now or utcnow(), reason)
    db.session.flush()
    audit.record(actor, "consultation.close", consultation, **_owner_ids(consultation), reason=reason)


# --- tallies ------------------------------------------------------------------------------


def _tally_keys(consultation: Consultation) -> list[str]:
    keys = [PUBLISHED_KEY] + [f"stance:{stance.value}" for stance in Stance]
    for question in consultation.questions:
        keys += [f"choice:{question.id}:{index}" for index in range(len(question.choices))]
    return keys


def _prepare_tallies(consultation: Consultation) -> None:
    existing = set(db.session.scalars(select(Tally.key).where(Tally.consultation_id == consultation.id)))
    for key in _tally_keys(consultation):
        if key not in existing:
            db.session.add(Tally(consultation_id=consultation.id, key=key, count=0))
    db.session.flush()


def _contribution(stance, answers: dict) -> list[str]:
    """The tally keys one published response counts towards."""
    keys = [PUBLISHED_KEY, f"stance:{Stance(stance).value}"]
    for question_id, value in (answers or {}).items():
        indexes = (
            value
            if isinstance(value, list)
            else [value]
            if isinstance(value, int) and not isinstance(value, bool)
            else []
        )
        keys += [f"choice:{question_id}:{index}" for index in indexes]
    return keys


def _count(consultation_id: int, keys: list[str], delta: int) -> None:
    """count = count + delta, in the database (atomic: concurrent responses never lose a count)."""
    if keys:
        db.session.execute(
            update(Tally)
            .where(Tally.consultation_id == consultation_id, Tally.key.in_(keys))
            .values(count=Tally.count + delta)
            .execution_options(synchronize_session=False)
        )


def tallies(consultation: Consultation) -> dict[str, int]:
    return dict(
        db.session.execute(select(Tally.key, Tally.count).where(Tally.consultation_id == consultation.id)).all()
    )


@dataclass(frozen=True)
class Results:
    published: int
    stances: list[tuple[Stance, int]]
    questions: list[tuple[Question, list[tuple[str, int]]]]  # choice questions: (choice, count)


def results(consultation: Consultation) -> Results:
    """Counts of the published responses, by stance and by choice: one query, whatever the number
    of responses."""
    counts = tallies(consultation)
    return Results(
        published=counts.get(PUBLISHED_KEY, 0),
        stances=[(stance, counts.get(f"stance:{stance.value}", 0)) for stance in Stance],
        questions=[
            (
                question,
                [
                    (choice, counts.get(f"choice:{question.id}:{index}", 0))
                    for index, choice in enumerate(question.choices)
                ],
            )
            for question in consultation.questions
            if question.kind != QuestionKind.TEXT
        ],
    )


# --- responding ---------------------------------------------------------------------------


def clean_answers(consultation: Consultation, posted: dict) -> dict:
    """Keep only answers to this consultation's questions, in their right shape: free text (NFC,
    at most ANSWER_TEXT_MAX), one choice index, or a list of distinct indexes. Anything else —
    unknown question ids, choices that do not exist — is left out, never stored."""
    answers = {}
    for question in consultation.questions:
        value = posted.get(str(question.id), posted.get(question.id))
        if value in (None, "", []):
            continue
        if question.kind == QuestionKind.TEXT:
            text = nfc(value if isinstance(value, str) else "")
            if text:
                answers[str(question.id)] = text[:ANSWER_TEXT_MAX]
        elif question.kind == QuestionKind.SINGLE:
            index = _choice_index(value, question)
            if index is not None:
                answers[str(question.id)] = index
        else:
            values = value if isinstance(value, list) else [value]
            indexes = sorted({index for index in (_choice_index(v, question) for v in values) if index is not None})
            if indexes:
                answers[str(question.id)] = indexes
    return answers


def _choice_index(value, question: Question) -> int | None:
    index = whole_number(value, max_digits=3)
    return index if index is not None and index < len(question.choices) else None


def submit_response(actor, consultation: Consultation, data: dict, now: datetime | None = None) -> Response:
    """The person's response: created, or — a second time — their first one edited, the earlier
    version kept. Under pre-moderation it (again) awaits a moderator; under post-moderation it is
    published at once. Raises DomainError "not_open" outside the consultation's dates,
    "body_too_long". Only `stance`, `body`, `answers` and `show_name` are read from `data`."""
    now = now or utcnow()
    if not consultation.is_open(now):
        raise DomainError("not_open")
    stance = Stance(data["stance"])
    body = nfc(data.get("body"))
    if len(body) > RESPONSE_BODY_MAX:
        raise DomainError("body_too_long")
    answers = clean_answers(consultation, data.get("answers") or {})
    show_name = bool(data.get("show_name"))
    state = ResponseState.PUBLISHED if consultation.moderation == ModerationMode.POST else ResponseState.PENDING

    response = db.session.scalar(
        select(Response)
        .where(Response.consultation_id == consultation.id, Response.author_id == actor.id)
        .with_for_update()
    )
    if response is None:
        response = Response(
            consultation_id=consultation.id,
            author_id=actor.id,
            stance=stance,
            body=body,
            answers=answers,
            show_name=show_name,
            state=state,
        )
        if state == ResponseState.PUBLISHED:
            response.published_at = now
        db.session.add(response)
        db.session.flush()
        action = "response.create"
    else:
        if (response.stance, response.body, response.answers, response.show_name) == (stance, body, answers, show_name):
            return response  # the same again (a double click, a retry): nothing changes
        if response.state in (ResponseState.REJECTED, ResponseState.HIDDEN) and state == ResponseState.PUBLISHED:
            state = ResponseState.PENDING  # what a moderator took down is not republished by an edit
        response.versions.append(
            ResponseVersion(
                stance=response.stance,
                body=response.body,
                answers=response.answers,
                show_name=response.show_name,
                state=response.state,
                written_at=response.updated_at,
            )
        )
        if response.state == ResponseState.PUBLISHED:
            _count(consultation.id, _contribution(response.stance, response.answers), -1)
        response.stance, response.body, response.answers, response.show_name, response.state = (
            stance,
            body,
            answers,
            show_name,
            state,
        )
        response.reject_reason = ""
        if state == ResponseState.PUBLISHED:
            response.published_at = response.published_at or now
        db.session.flush()
        action = "response.edit"
    if state == ResponseState.PUBLISHED:
        _count(consultation.id, _contribution(stance, answers), +1)
    audit.record(actor, action, response, **_owner_ids(consultation), consultation=consultation.id, state=state.value)
    return response


# --- moderation of responses --------------------------------------------------------------


def publish_response(actor, response: Response, now: datetime | None = None) -> None:
    """A moderator publishes a pending (or restores a hidden) response. DomainError
    "already_moderated" if someone else acted first."""
    response.publish(getattr(actor, "id", None), now or utcnow())
    _count(response.consultation_id, _contribution(response.stance, response.answers), +1)
    db.session.flush()
    audit.record(
        actor, "response.publish", response, **_owner_ids(response.consultation), consultation=response.consultation_id
    )


def reject_response(actor, response: Response, reason: str, now: datetime | None = None) -> None:
    reason = nfc(reason)
    response.reject(getattr(actor, "id", None), now or utcnow(), reason)
    db.session.flush()
    audit.record(
        actor,
        "response.reject",
        response,
        **_owner_ids(response.consultation),
        consultation=response.consultation_id,
        reason=reason,
    )


def hide_response(actor, response: Response, reason: str, now: datetime | None = None) -> None:
    reason = nfc(reason)
    response.hide(getattr(actor, "id", None), now or utcnow(), reason)
    _count(response.consultation_id, _contribution(response.stance, response.answers), -1)
    db.session.flush()
    audit.record(
        actor,
        "response.hide",
        response,
        **_owner_ids(response.consultation),
        consultation=response.consultation_id,
        reason=reason,
    )


def report_response(actor, response: Response, reason: str) -> Report:
    """Report a published response to the moderators, once per person. DomainError
    "not_published", "already_reported", "reason_required", "own_response"."""
    reason = nfc(reason)
    if not reason:
        raise DomainError("reason_required")
    if response.state != ResponseState.PUBLISHED:
        raise DomainError("not_published")
    if response.author_id == actor.id:
        raise DomainError("own_response")
    if db.session.scalar(select(Report.id).where(Report.response_id == response.id, Report.reporter_id == actor.id)):
        raise DomainError("already_reported")
    report = Report(response_id=response.id, reporter_id=actor.id, reason=reason)
    db.session.add(report)
    db.session.flush()
    audit.record(
        actor, "response.report", response, **_owner_ids(response.consultation), consultation=response.consultation_id
    )
    # Enough open reports hide it until a moderator decides (PORTAL_REPORT_THRESHOLD); hiding
    # goes through hide_response, so the tallies stay right.
    from portal.moderation.services import hide_if_reported_enough  # moderation builds on consultations

    hide_if_reported_enough(response)
    return report


# --- lists --------------------------------------------------------------------------------


def published_responses(
    consultation: Consultation,
    *,
    stance: Stance | None = None,
    before_id: int | None = None,
    limit: int = RESPONSES_PAGE_SIZE,
) -> list[Response]:
    """Published responses, newest first, `limit` at a time ("load more" passes the last id seen):
    keyset pagination on an index, so the 5,000th page costs what the first does."""
    query = (
        select(Response)
        .where(Response.consultation_id == consultation.id, Response.state == ResponseState.PUBLISHED)
        .options(joinedload(Response.author))
        .order_by(Response.id.desc())
        .limit(limit)
    )
    if stance is not None:
        query = query.where(Response.stance == stance)
    if before_id is not None:
        query = query.where(Response.id < before_id)
    return list(db.session.scalars(query))


def pending_responses(consultation: Consultation, limit: int = 50) -> list[Response]:
    """Responses awaiting a moderator, oldest first."""
    return list(
        db.session.scalars(
            select(Response)
            .where(Response.consultation_id == consultation.id, Response.state == ResponseState.PENDING)
            .options(joinedload(Response.author))
            .order_by(Response.id)
            .limit(limit)
        )
    )


def state_counts(consultation: Consultation) -> dict[ResponseState, int]:
    rows = db.session.execute(
        select(Response.state, func.count()).where(Response.consultation_id == consultation.id).group_by(Response.state)
    ).all()
    return {ResponseState(state): count for state, count in rows}


def moderation_counts(consultation: Consultation) -> dict[ResponseState, int]:
    """How many responses await moderation, were rejected or hidden: counted on the
    (consultation, state) index, so the cost follows these few and not the published ones, as
    state_counts() does (the published are counted in the tallies: results())."""
    rows = db.session.execute(
        select(Response.state, func.count())
        .where(
            Response.consultation_id == consultation.id,
            Response.state.in_([ResponseState.PENDING, ResponseState.REJECTED, ResponseState.HIDDEN]),
        )
        .group_by(Response.state)
    ).all()
    counts = dict.fromkeys((ResponseState.PENDING, ResponseState.REJECTED, ResponseState.HIDDEN), 0)
    counts.update({ResponseState(state): count for state, count in rows})
    return counts


def rejected_by_reason(consultation: Consultation) -> list[tuple[str, int]]:
    """How many responses were rejected, by reason: counts only, never the content. A standard
    reason counts under its name in the reader's language (the moderator's details stay out);
    a reason in free text counts under its words."""
    counts: dict[str, int] = {}
    rows = db.session.execute(
        select(Response.reject_reason, func.count())
        .where(Response.consultation_id == consultation.id, Response.state == ResponseState.REJECTED)
        .group_by(Response.reject_reason)
    )
    for stored, count in rows:
        key = reason_key(stored)
        label = str(STANDARD_REASONS[key]) if key else stored
        counts[label] = counts.get(label, 0) + count
    return sorted(counts.items(), key=lambda pair: -pair[1])


def export_rows(consultation: Consultation, batch: int = 1000) -> Iterator[Response]:
    """Every published response, oldest first, streamed in batches (never all in memory)."""
    query = (
        select(Response)
        .where(Response.consultation_id == consultation.id, Response.state == ResponseState.PUBLISHED)
        .options(joinedload(Response.author))
        .order_by(Response.id)
        .execution_options(yield_per=batch)
    )
    for response in db.session.scalars(query):
        yield response


def open_query(now: datetime) -> Select:
    return select(Consultation).where(
        Consultation.status == ConsultationStatus.APPROVED, Consultation.opens_at <= now, Consultation.closes_at > now
    )


def closed_query(now: datetime) -> Select:
    return select(Consultation).where(
        or_(
            Consultation.status == ConsultationStatus.CLOSED,
            (Consultation.status == ConsultationStatus.APPROVED) & (Consultation.closes_at <= now),
        )
    )


def outcome_query(now: datetime) -> Select:
    return select(Consultation).where(Consultation.status == ConsultationStatus.OUTCOME_PUBLISHED)


def open_consultations(now: datetime, *, school: School | None = None, limit: int = 5) -> list[Consultation]:
    """Open now, closing soonest first (home page, school page)."""
    query = open_query(now).options(joinedload(Consultation.school), joinedload(Consultation.authority))
    if school is not None:
        query = query.where(
            or_(Consultation.school_id == school.id, Consultation.authority_id.in_(_authorities_above(school)))
        )
    return list(db.session.scalars(query.order_by(Consultation.closes_at).limit(limit)))


def _authorities_above(school: School) -> list[int]:
    """The ids of the school's authority and every authority above it (paths are "/1/4/")."""
    return [int(part) for part in school.authority.path.strip("/").split("/") if part]


# --- managing: the lists and the outcome ----------------------------------------------------

OUTCOME_TEXT_MAX = 20_000
THEME_TITLE_MAX = 200
MAX_THEMES = 8


def outcome_due_days() -> int:
    """Within how many days of closing an outcome is due (PORTAL_OUTCOME_DAYS); later, the
    pages mark it overdue."""
    return int(current_app.config.get("PORTAL_OUTCOME_DAYS", 30)) if has_app_context() else 30


def consultations_of(*, school: School | None = None, authority: Authority | None = None) -> list[Consultation]:
    """Every consultation of the school (or of the authority itself, not its schools'), whatever
    its status, newest first: for their management pages."""
    owner = Consultation.school_id == school.id if school is not None else Consultation.authority_id == authority.id
    return list(
        db.session.scalars(
            select(Consultation).where(owner).order_by(Consultation.created_at.desc(), Consultation.id.desc())
        )
    )


def response_counts(consultations: list[Consultation]) -> dict[int, dict[ResponseState, int]]:
    """{consultation id: {state: how many responses}} for a list, in one query."""
    ids = [consultation.id for consultation in consultations]
    counts: dict[int, dict[ResponseState, int]] = {ident: {} for ident in ids}
    if ids:
        rows = db.session.execute(
            select(Response.consultation_id, Response.state, func.count())
            .where(Response.consultation_id.in_(ids))
            .group_by(Response.consultation_id, Response.state)
        ).all()
        for ident, state, count in rows:
            counts[ident][ResponseState(state)] = count
    return counts


def published_outcome(consultation_id: int) -> Consultation | None:
    """A consultation whose outcome is published (what an archived outcome PDF records)."""
    consultation = consultation_by_id(consultation_id)
    if consultation is None or consultation.status != ConsultationStatus.OUTCOME_PUBLISHED:
        return None
    return consultation


def _clean_themes(themes, most: int) -> list[tuple[str, int]]:
    cleaned = []
    for title, count in themes or []:
        title = nfc(title)
        if not title and count in (None, ""):
            continue  # an empty row of the form
        if not title or len(title) > THEME_TITLE_MAX:
            raise DomainError("theme_title")
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise DomainError("theme_count")
        if count > most:
            raise DomainError("theme_count_too_high")
        cleaned.append((title, count))
    if len(cleaned) > MAX_THEMES:
        raise DomainError("too_many_themes")
    return cleaned


def outcome_pdf_context(
    consultation: Consultation, *, heard: str, changes: str, themes: list[tuple[str, int]], published_on
) -> dict:
    """The plain data the outcome's PDF is rendered from (CONVENTIONS.md §8): who consulted on
    what and when, who took part (published responses, by stance and by choice), the themes
    heard, what was heard and what changes, and the published decisions that answer it."""
    counts = results(consultation)
    return {
        "lang": "zh-CN",
        "title": consultation.title,
        "owner_name": owner_name(consultation, "zh"),
        "summary": consultation.summary,
        "opens_on": local_date(consultation.opens_at),
        "closed_on": local_date(consultation.closed_at),
        "closed_early": consultation.closed_early_at is not None,
        "close_reason": consultation.close_reason,
        "published_on": published_on,
        "audience": consultation.audience.value,
        "verified_parents": verified_parent_count(consultation) if consultation.audience == Audience.PARENTS else None,
        "responses": counts.published,
        "stances": {stance.value: count for stance, count in counts.stances},
        "choice_results": [
            {"prompt": question.prompt, "choices": [{"choice": choice, "count": count} for choice, count in choices]}
            for question, choices in counts.questions
        ],
        "themes": [{"title": title, "count": count} for title, count in themes],
        "heard_html": str(render_markdown(heard)),
        "changes_html": str(render_markdown(changes)),
        "decisions": [
            {"number": decision.number, "title": decision.title} for decision in answering_decisions(consultation)
        ],
        "verify_url": verify_url(),
        "fingerprint": body_fingerprint(f"{heard}\n\n{changes}"),
    }


def publish_outcome(actor, consultation: Consultation, data: dict, now: datetime | None = None) -> Consultation:
    """Publish the "you said, we did" report of a closed consultation, in one step: render its
    PDF, archive it (signed, stored by SHA-256, logged), record the outcome and its themes on the
    consultation and write the audit event "consultation.outcome_publish" — all in the caller's
    transaction. Reads `heard`, `changes` (Markdown) and `themes` ([(title, count)], a count at
    most the number of published responses) from `data`. Raises DomainError "outcome_published",
    "not_closed", "heard_missing", "changes_missing", "outcome_too_long", "theme_title",
    "theme_count", "theme_count_too_high", "too_many_themes" — or whatever rendering, signing or
    storing raised; the caller then rolls back and nothing has changed."""
    now = now or utcnow()
    if consultation.status == ConsultationStatus.OUTCOME_PUBLISHED:
        raise DomainError("outcome_published")
    if consultation.phase(now) != Phase.CLOSED:
        raise DomainError("not_closed")
    heard, changes = nfc(data.get("heard")), nfc(data.get("changes"))
    if not heard:
        raise DomainError("heard_missing")
    if not changes:
        raise DomainError("changes_missing")
    if len(heard) > OUTCOME_TEXT_MAX or len(changes) > OUTCOME_TEXT_MAX:
        raise DomainError("outcome_too_long")
    themes = _clean_themes(data.get("themes"), results(consultation).published)

    context = outcome_pdf_context(
        consultation, heard=heard, changes=changes, themes=themes, published_on=local_date(now)
    )
    pdf = render.render_pdf("outcome", context)
    document = archive_pdf(
        actor,
        kind=DocumentKind.OUTCOME,
        object_type="outcome",
        object_id=consultation.id,
        pdf_bytes=pdf,
        school_id=consultation.school_id,
    )
    consultation.publish_outcome(now, heard=heard, changes=changes, document_sha256=document.sha256)
    consultation.themes = [
        OutcomeTheme(position=position, title=title, count=count)
        for position, (title, count) in enumerate(themes, start=1)
    ]
    db.session.flush()
    audit.record(
        actor,
        "consultation.outcome_publish",
        consultation,
        **_owner_ids(consultation),
        sha256=document.sha256,
        themes=len(themes),
        decisions=[decision["number"] for decision in context["decisions"]],
    )
    return consultation


def authority_by_id(authority_id: int) -> Authority | None:
    """The authority at /authorities/<id>/..., or None (also for ids no database holds)."""
    return db.session.get(Authority, authority_id)


# --- the public pages ---------------------------------------------------------------------

LIST_STATES = ("open", "closed", "outcome")


def _ancestor_ids(authority: Authority) -> list[int]:
    return [int(part) for part in authority.path.strip("/").split("/") if part]


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
    query = {"open": open_query, "closed": closed_query, "outcome": outcome_query}[state](now)
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
            query = query.where(
                or_(Consultation.school_id == school.id, Consultation.authority_id.in_(_ancestor_ids(school.authority)))
            )
    order = {
        "open": (Consultation.closes_at, Consultation.id),
        "closed": (func.coalesce(Consultation.closed_early_at, Consultation.closes_at).desc(), Consultation.id.desc()),
        "outcome": (Consultation.outcome_published_at.desc(), Consultation.id.desc()),
    }[state]
    query = query.options(
        joinedload(Consultation.school).joinedload(School.authority), joinedload(Consultation.authority)
    ).order_by(*order)
    return db.paginate(query, page=page, per_page=per_page, error_out=False, max_per_page=100)


def schools_for_filter(*, include_id: int | None = None) -> list[School]:
    """The schools the list can be narrowed to, by district and then by Chinese name: those with
    a public consultation, plus the school already chosen, if any."""
    public = (ConsultationStatus.APPROVED, ConsultationStatus.CLOSED, ConsultationStatus.OUTCOME_PUBLISHED)
    condition = School.id.in_(select(Consultation.school_id).where(Consultation.status.in_(public)))
    if include_id is not None:
        condition = condition | (School.id == include_id)
    return list(
        db.session.scalars(
            select(School)
            .join(School.authority)
            .where(condition)
            .options(contains_eager(School.authority))
            .order_by(Authority.id, School.name_zh, School.id)
        )
    )


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


def answering_decisions(consultation: Consultation) -> list:
    """The published decisions that answer the consultation (the outcome's "we did"), oldest first."""
    from portal.decisions.models import PUBLIC_STATUSES, Decision  # decisions refer to consultations, not back

    return list(
        db.session.scalars(
            select(Decision)
            .where(Decision.consultation_id == consultation.id, Decision.status.in_(PUBLIC_STATUSES))
            .options(defer(Decision.body, raiseload=True))
            .order_by(Decision.published_at, Decision.id)
        )
    )


def outcome_document(consultation: Consultation):
    """The archived PDF of the outcome report, or None (not published, or published without one)."""
    from portal.documents.services import find_by_sha256

    if consultation.status != ConsultationStatus.OUTCOME_PUBLISHED or not consultation.outcome_document_sha256:
        return None
    return find_by_sha256(consultation.outcome_document_sha256)


def open_report_counts(responses: list[Response]) -> dict[int, int]:
    """For moderators: how many unresolved reports each of these responses has. One query."""
    if not responses:
        return {}
    rows = db.session.execute(
        select(Report.response_id, func.count())
        .where(Report.response_id.in_([r.id for r in responses]), Report.resolved_at.is_(None))
        .group_by(Report.response_id)
    )
    return dict(rows.all())


def export_records(consultation: Consultation, batch: int = 1000) -> Iterator:
    """Every published response, oldest first, as plain rows (id, published_at, stance, body,
    answers, name), streamed in batches: never all in memory, and no ORM objects to build. The
    name is the author's display name only when they chose to show it: for anonymous responses
    the database never even returns it."""
    from portal.accounts.models import User

    query = (
        select(
            Response.id,
            Response.published_at,
            Response.stance,
            Response.body,
            Response.answers,
            case((Response.show_name.is_(True), User.display_name), else_=None).label("name"),
        )
        .join(User, User.id == Response.author_id)
        .where(Response.consultation_id == consultation.id, Response.state == ResponseState.PUBLISHED)
        .order_by(Response.id)
        .execution_options(yield_per=batch)
    )
    yield from db.session.execute(query)
