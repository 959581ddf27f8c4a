"""A consultation's responses: responding (and editing), the running tallies that results are
read from, the lists of published responses, and the exports.

Moderating responses (publishing, rejecting, hiding, reports) is the moderation feature's: it
moves a response's state through the Response model's methods and keeps the tallies in step with
count_response().
"""

import functools
import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, bindparam, case, delete, func, select, update
from sqlalchemy.orm import joinedload, undefer

from portal import audit, events
from portal.accounts.models import User
from portal.clock import utcnow
from portal.consultations.models import (
    ANSWER_TEXT_MAX,
    RESPONSE_BODY_MAX,
    Consultation,
    ConsultationRefusal,
    ModerationMode,
    Phase,
    Question,
    QuestionKind,
    Response,
    ResponseDraft,
    ResponseState,
    ResponseVersion,
    Stance,
    Tally,
)
from portal.domain import DomainError
from portal.extensions import db, insert_if_absent
from portal.text import nfc, whole_number

RESPONSES_PAGE_SIZE = 20


PUBLISHED_KEY = "published"


def response_in(consultation: Consultation, response_id: int, *, for_update: bool = False) -> Response | None:
    query = select(Response).where(Response.id == response_id, Response.consultation_id == consultation.id)
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    return db.session.scalar(query)


@functools.cache
def _own_response_query() -> Select:
    # Built once and run with the ids (consultations.services._consultation_query says why).
    return (
        select(Response)
        .where(Response.consultation_id == bindparam("consultation_id"), Response.author_id == bindparam("user_id"))
        .options(undefer(Response.edit_count))
    )


def response_of(consultation: Consultation, user) -> Response | None:
    """The person's own response to the consultation, if they wrote one."""
    if not getattr(user, "is_authenticated", False):
        return None
    return db.session.scalar(_own_response_query(), {"consultation_id": consultation.id, "user_id": user.id})


def state_after_saving(consultation: Consultation, response: Response | None = None) -> ResponseState:
    """The state a response takes when it is saved (`response`: the person's earlier one, which
    an edit changes): published at once under post-moderation, else awaiting a moderator. An edit
    never republishes what a moderator rejected or hid: that awaits a moderator again. The
    response form says so before it is sent (an edit that goes back to the moderators)."""
    taken_down = response is not None and response.state in (ResponseState.REJECTED, ResponseState.HIDDEN)
    if consultation.moderation == ModerationMode.POST and not taken_down:
        return ResponseState.PUBLISHED
    return ResponseState.PENDING


def tally_keys(consultation: Consultation) -> list[str]:
    keys = [PUBLISHED_KEY] + [f"stance:{stance.value}" for stance in Stance]
    for question in consultation.questions:
        keys += [f"choice:{question.id}:{index}" for index in range(len(question.choices))]
    return keys


def prepare_tallies(consultation: Consultation) -> None:
    existing = set(db.session.scalars(select(Tally.key).where(Tally.consultation_id == consultation.id)))
    for key in tally_keys(consultation):
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


def count_response(response: Response, delta: int) -> None:
    """The response counts (delta +1) or no longer counts (delta -1) in its consultation's
    tallies: when it is published, hidden or restored. Atomic in the database."""
    _count(response.consultation_id, _contribution(response.stance, response.answers), delta)


REJECTED_PREFIX = "rejected:"


def rejected_key(reason: str) -> str:
    """The tally key of a consultation's responses rejected for `reason` (as stored): a digest,
    since a reason is free text of any length (the tally's label keeps its words). Migration 0024
    counted the responses rejected before it with the same keys."""
    return REJECTED_PREFIX + hashlib.sha256(reason.encode("utf-8")).hexdigest()[:40]


def count_rejected(response: Response, delta: int) -> None:
    """The response counts (+1: a moderator rejected it) or no longer counts (-1: its author
    edited it, so that it awaits a moderator again, or erased their account) among its
    consultation's rejected responses, under its reason. Atomic in the database; the reason's
    tally is made at its first rejection (two moderators first rejecting for the same words at
    once both count: the second insert does nothing)."""
    reason = response.reject_reason or ""
    key = rejected_key(reason)
    if delta > 0:
        made = {"consultation_id": response.consultation_id, "key": key, "label": reason, "count": 0}
        insert_if_absent(db.session, Tally.__table__, made, ["consultation_id", "key"])
    _count(response.consultation_id, [key], delta)


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
    return _results_of(consultation, tallies(consultation))


@functools.cache
def _counts_query() -> Select:
    # Every tally of one consultation, with the reasons of its "rejected:" ones; built once and
    # run with its id (consultations.services._consultation_query says why).
    return select(Tally.key, Tally.label, Tally.count).where(Tally.consultation_id == bindparam("consultation_id"))


def results_and_rejection_reasons(consultation: Consultation) -> tuple[Results, list[tuple[str, int]]]:
    """results(), and how many responses were rejected by the reason stored (counts only, never
    the content; pages show them through the `moderation_reason_counts` filter, the moderation
    feature's reasons in the reader's language), from the consultation's tallies: one query
    whatever the number of responses (the consultation's page shows both)."""
    counts, reasons = {}, []
    for key, label, count in db.session.execute(_counts_query(), {"consultation_id": consultation.id}):
        if not key.startswith(REJECTED_PREFIX):
            counts[key] = count
        elif count > 0:
            reasons.append((label or "", count))
    return _results_of(consultation, counts), sorted(reasons)


def _results_of(consultation: Consultation, counts: dict[str, int]) -> Results:
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
    published at once. Refuses with NOT_OPEN outside the consultation's dates,
    BODY_TOO_LONG. Only `stance`, `body`, `answers` and `show_name` are read from `data`."""
    now = now or utcnow()
    if not consultation.is_open(now):
        raise DomainError(ConsultationRefusal.NOT_OPEN)
    stance = Stance(data["stance"])
    body = nfc(data.get("body"))
    if len(body) > RESPONSE_BODY_MAX:
        raise DomainError(ConsultationRefusal.BODY_TOO_LONG)
    answers = clean_answers(consultation, data.get("answers") or {})
    show_name = bool(data.get("show_name"))
    response = db.session.scalar(
        select(Response)
        .where(Response.consultation_id == consultation.id, Response.author_id == actor.id)
        .with_for_update()
    )
    state = state_after_saving(consultation, response)
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
        elif response.state == ResponseState.REJECTED:
            count_rejected(response, -1)  # it awaits a moderator again
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
    # Sent: what they had started is the response now, and nobody tells them to finish it.
    db.session.execute(
        delete(ResponseDraft).where(ResponseDraft.consultation_id == consultation.id, ResponseDraft.user_id == actor.id)
    )
    audit.record(actor, action, response, **consultation.audit_scope, consultation=consultation.id, state=state.value)
    return response


@functools.cache
def _published_query(limit: int, by_stance: bool, before: bool) -> Select:
    # Built once for each shape and run with the values (consultations.services._consultation_query
    # says why); words, which the filter box adds now and then, are added to it per request.
    query = (
        select(Response)
        .where(Response.consultation_id == bindparam("consultation_id"), Response.state == ResponseState.PUBLISHED)
        .options(joinedload(Response.author))
        .order_by(Response.id.desc())
        .limit(limit)
    )
    if by_stance:
        query = query.where(Response.stance == bindparam("stance"))
    if before:
        query = query.where(Response.id < bindparam("before_id"))
    return query


def published_responses(
    consultation: Consultation,
    *,
    stance: Stance | None = None,
    before_id: int | None = None,
    limit: int = RESPONSES_PAGE_SIZE,
    words: Sequence[str] = (),
) -> list[Response]:
    """Published responses, newest first, `limit` at a time ("load more" passes the last id seen):
    keyset pagination on an index, so the 5,000th page costs what the first does. `words`: only
    those whose text holds every one (Chinese or not, as typed; letters in any case). Only ever the
    published responses of this one consultation: never a site-wide search (portal/search)."""
    query = _published_query(limit, stance is not None, before_id is not None)
    for word in words:
        query = query.where(func.lower(Response.body).contains(word.lower(), autoescape=True))
    values = {"consultation_id": consultation.id, "stance": stance, "before_id": before_id}
    return list(db.session.scalars(query, values))


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


@dataclass(frozen=True)
class ExportVersion:
    """What the exports of a consultation's responses change with (beside the consultation and
    its questions): how many responses are published, the newest change of any of its responses
    (published, hidden, restored, edited, withdrawn: whatever its state), and the newest change
    of the accounts of those published (a display name, an erasure). A change to any of these
    rows sets its updated_at (onupdate), whether made through the ORM or by an UPDATE."""

    published: int
    responses_changed: datetime | None
    authors_changed: datetime | None


def export_version(consultation: Consultation) -> ExportVersion:
    """One statement, read before an export is streamed: its ETag (a browser that has it gets 304
    and nothing is streamed)."""
    published = Response.state == ResponseState.PUBLISHED
    row = db.session.execute(
        select(
            func.count(case((published, 1))),
            func.max(Response.updated_at),
            func.max(case((published, User.updated_at))),
        )
        .select_from(Response)
        .join(User, User.id == Response.author_id)
        .where(Response.consultation_id == consultation.id)
    ).one()
    return ExportVersion(*row)


def export_records(consultation: Consultation, batch: int = 1000) -> Iterator:
    """Every published response, oldest first, as plain rows (id, published_at, stance, body,
    answers, name), streamed in batches: never all in memory, and no ORM objects to build. The
    name is the author's display name only when they chose to show it: for anonymous responses
    the database never even returns it."""
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


# --- unfinished responses -----------------------------------------------------------------

# Comments kept as typed, longer than a response may be (the person cuts them to size when they
# come back), but not without end: the inline check is no place to store a book.
DRAFT_BODY_MAX = 2 * RESPONSE_BODY_MAX
REMIND_BEFORE_CLOSING = timedelta(days=2)


@functools.cache
def _draft_query() -> Select:
    # Built once and run with the ids (consultations.services._consultation_query says why).
    return select(ResponseDraft).where(
        ResponseDraft.consultation_id == bindparam("consultation_id"), ResponseDraft.user_id == bindparam("user_id")
    )


def draft_of(consultation: Consultation, user) -> ResponseDraft | None:
    """What the person started and did not send, if anything."""
    if not getattr(user, "is_authenticated", False):
        return None
    return db.session.scalar(_draft_query(), {"consultation_id": consultation.id, "user_id": user.id})


def _typed(consultation: Consultation, data: dict) -> dict:
    """What was typed, in the draft's shape: only this consultation's questions and offered
    choices, a stance only if it is one, text as typed (NFC), the comments up to DRAFT_BODY_MAX."""
    stance = data.get("stance")
    return {
        "stance": stance if stance in {each.value for each in Stance} else "",
        "body": nfc(data.get("body") if isinstance(data.get("body"), str) else "")[:DRAFT_BODY_MAX],
        "show_name": bool(data.get("show_name")),
        "answers": clean_answers(consultation, data.get("answers") or {}),
    }


def keep_draft(actor, consultation: Consultation, data: dict, now: datetime | None = None) -> ResponseDraft | None:
    """Keep what `actor` typed into the response form (data: stance, body, show_name, answers as
    posted, even invalid) while the consultation is open and they have not responded yet. Nothing
    typed: no draft (and an earlier one goes). An edit of a sent response is no draft: the response
    itself is kept. Not audited: it is the person's scratch paper, seen by nobody else."""
    now = now or utcnow()
    if not consultation.is_open(now) or response_of(consultation, actor) is not None:
        return None
    typed = _typed(consultation, data)
    draft = draft_of(consultation, actor)
    if not (typed["stance"] or typed["body"].strip() or typed["answers"]):
        if draft is not None:
            db.session.delete(draft)
            db.session.flush()
        return None
    if draft is None:
        draft = ResponseDraft(consultation_id=consultation.id, user_id=actor.id, started_at=now)
        db.session.add(draft)
    draft.answers, draft.updated_at = typed, now
    db.session.flush()
    return draft


def discard_draft(actor, consultation: Consultation) -> bool:
    """Forget what `actor` started on this consultation; False if there was nothing."""
    result = db.session.execute(
        delete(ResponseDraft).where(ResponseDraft.consultation_id == consultation.id, ResponseDraft.user_id == actor.id)
    )
    return bool(result.rowcount)


def remind_unfinished(now: datetime) -> int:
    """Each person who started a response and has not sent it is told once, when the consultation
    closes within REMIND_BEFORE_CLOSING (the event "response.unfinished", for whoever tells people).
    Returns how many were told."""
    responded = select(Response.id).where(
        Response.consultation_id == ResponseDraft.consultation_id, Response.author_id == ResponseDraft.user_id
    )
    due = db.session.scalars(
        select(ResponseDraft)
        .join(Consultation, Consultation.id == ResponseDraft.consultation_id)
        .where(
            ResponseDraft.reminded_at.is_(None),
            Consultation.in_phase(Phase.OPEN, now),
            Consultation.closed_at <= now + REMIND_BEFORE_CLOSING,
            ~responded.exists(),
        )
        .order_by(ResponseDraft.id)
        .with_for_update(of=ResponseDraft, skip_locked=True)
    ).all()
    for draft in due:
        draft.reminded_at = now
        events.emit("response.unfinished", draft)
    db.session.flush()
    return len(due)


def forget_drafts_of_closed(now: datetime) -> int:
    """Delete what people started on consultations that no longer take responses (closed, or
    withdrawn from being open): it was theirs, and it will never be sent."""
    still_open = select(Consultation.id).where(Consultation.in_phase(Phase.OPEN, now))
    result = db.session.execute(
        delete(ResponseDraft)
        .where(ResponseDraft.consultation_id.not_in(still_open))
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0
