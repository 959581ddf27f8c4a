"""The suggestion box: sending feedback, the school's replies and status changes, and the queries
that serve the pages.

Services flush and never commit: the caller commits once, so the item, its timeline, its audit
events and the reference counter are saved together or not at all. Business rules refuse with
portal.domain.DomainError; its `reason`, a member of models.FeedbackRefusal, names the rule and
carries the message:

- FORM_ALREADY_SENT: this form (its submission token) already made an item, with another text;
- INVALID_TRANSITION: the item cannot move from its status to the one asked for;
- ANSWER_NEEDS_REPLY: an item is marked answered only once it has a reply;
- FEEDBACK_CLOSED: a closed item gets no replies until it is reopened;
- STATUS_CHANGED: someone else changed the status since the page was shown.
"""

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import Select, bindparam, case, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload, selectinload

from portal import audit, events, workdays
from portal.clock import local_date, local_to_utc, utcnow
from portal.domain import DomainError
from portal.extensions import db, insert_if_absent
from portal.feedback.models import (
    OPEN_STATUSES,
    EventKind,
    Feedback,
    FeedbackCategory,
    FeedbackEvent,
    FeedbackReferenceCounter,
    FeedbackRefusal,
    FeedbackStatus,
    format_reference,
)
from portal.schools.models import School
from portal.text import nfc

MY_FEEDBACK_PER_PAGE = 10
INBOX_PER_PAGE = 20
RECENTLY_ANSWERED_MAX = 3
# A school answers feedback within 15 working days of receiving it; after that the item is overdue
# (the inbox marks it, the staff's page counts it, the oversight dashboard counts it late).
ANSWER_WORKING_DAYS = 15


# --- references -----------------------------------------------------------------------------


def reference_year(moment: datetime) -> int:
    """References count per year of the schools' calendar (Beijing time): an item sent at
    00:30 on 1 January in Chongqing is the new year's, though it is still 31 December in UTC."""
    return local_date(moment).year


def take_sequence(session: Session, year: int) -> int:
    """The next sequence number of `year`, taken inside the caller's transaction.

    The counter row is created if the year has none (INSERT … ON CONFLICT DO NOTHING: two
    requests creating it at once both succeed, one of them inserting), then incremented with a
    single `UPDATE … SET last_sequence = last_sequence + 1 … RETURNING`. On PostgreSQL the
    UPDATE locks the row until the transaction ends: a second request waits, then reads the
    number the first one committed, so numbers are consecutive and never given twice (and a
    transaction that rolls back gives its number back). SQLite has a single writer, so
    transactions are serialised anyway. The unique (year, sequence) and reference on the
    feedback table are the last defence."""
    counter = FeedbackReferenceCounter.__table__
    insert_if_absent(session, counter, {"year": year, "last_sequence": 0}, ["year"])
    return session.execute(
        update(counter)
        .where(counter.c.year == year)
        .values(last_sequence=counter.c.last_sequence + 1)
        .returning(counter.c.last_sequence)
    ).scalar_one()


# --- sending --------------------------------------------------------------------------------


def sent_with_token(author, token: str) -> Feedback | None:
    """The item `author` sent with this form's submission token, if any."""
    return db.session.scalar(
        select(Feedback).where(Feedback.author_id == author.id, Feedback.submission_token == token)
    )


def _same_form(existing: Feedback, values: dict) -> Feedback:
    """The item this form already made, if what was sent is the same (a second click, a retried
    request); a different text under the same token is refused rather than silently dropped."""
    if (existing.school_id, existing.category, existing.body, existing.private) != (
        values["school_id"],
        values["category"],
        values["body"],
        values["private"],
    ):
        raise DomainError(FeedbackRefusal.FORM_ALREADY_SENT)
    return existing


def send_feedback(actor, school: School, data: dict, *, now: datetime | None = None) -> Feedback:
    """Send feedback from `actor` to `school`. `data`: category, body, private, submission_token.
    Only these are read: a status, school or reference in `data` is ignored.

    Guarantees: the item gets the next reference of the year (FB-<year>-<6 digits>) and starts
    as received, with that first step on its timeline and an audit event. The body is stored
    as typed, normalised to NFC. One submission token makes at most one item: sending the
    same form again returns the item it made (also when both arrive at the same moment); the
    same token with a different text raises FeedbackRefusal.FORM_ALREADY_SENT."""
    now = now or utcnow()
    values = {
        "school_id": school.id,
        "category": FeedbackCategory(data["category"]),
        "body": nfc(data["body"]),
        "private": bool(data.get("private")),
    }
    token = data["submission_token"]
    existing = sent_with_token(actor, token)
    if existing is not None:
        return _same_form(existing, values)
    year = reference_year(now)
    try:
        # A savepoint: if the same form's other request won the race, its item is there and
        # this one (with the number it took) is undone.
        with db.session.begin_nested():
            sequence = take_sequence(db.session, year)
            feedback = Feedback(
                **values,
                author_id=actor.id,
                reference=format_reference(year, sequence),
                year=year,
                sequence=sequence,
                status=FeedbackStatus.RECEIVED,
                submission_token=token,
                created_at=now,
                updated_at=now,
            )
            db.session.add(feedback)
            db.session.flush()
    except IntegrityError:
        existing = sent_with_token(actor, token)
        if existing is None:
            raise
        return _same_form(existing, values)
    db.session.add(
        FeedbackEvent(
            feedback=feedback,
            actor_id=actor.id,
            kind=EventKind.STATUS_CHANGE,
            status=FeedbackStatus.RECEIVED,
            created_at=now,
        )
    )
    db.session.flush()
    audit.record(
        actor,
        "feedback.send",
        feedback,
        school_id=school.id,
        reference=feedback.reference,
        category=feedback.category.value,
        private=feedback.private,
        length=len(feedback.body),
    )
    events.emit("feedback.sent", feedback, actor)
    return feedback


# --- the school's answer --------------------------------------------------------------------


def change_feedback_status(
    actor,
    feedback: Feedback,
    status: FeedbackStatus,
    *,
    current: FeedbackStatus | None = None,
    now: datetime | None = None,
    announce: bool = True,
) -> FeedbackEvent:
    """Move `feedback` to `status`, on its timeline and in the audit log. `current` is the status
    the person saw: if it is no longer the item's, FeedbackRefusal.STATUS_CHANGED and nothing
    changes. Also raises INVALID_TRANSITION or ANSWER_NEEDS_REPLY (Feedback.move_to). The sender
    is told (event "feedback.status_changed"), unless `announce` is False (a reply that also marks
    the item answered tells them once, as an answer)."""
    if current is not None and feedback.status != current:
        raise DomainError(FeedbackRefusal.STATUS_CHANGED)
    now = now or utcnow()
    before = feedback.status
    feedback.move_to(FeedbackStatus(status))
    event = FeedbackEvent(
        feedback=feedback,
        actor_id=getattr(actor, "id", None),
        kind=EventKind.STATUS_CHANGE,
        status=feedback.status,
        created_at=now,
    )
    db.session.add(event)
    db.session.flush()
    audit.record(
        actor,
        "feedback.status",
        feedback,
        school_id=feedback.school_id,
        reference=feedback.reference,
        before=before.value,
        after=feedback.status.value,
    )
    if announce:
        events.emit("feedback.status_changed", feedback, actor, before=before.value, after=feedback.status.value)
    return event


def reply_to_feedback(actor, feedback: Feedback, data: dict, *, now: datetime | None = None) -> FeedbackEvent:
    """Add the school's reply to the timeline, and audit it. `data`: reply (the text), public
    (bool), mark_answered (bool: also move the item to answered, unless it already is).

    A reply to a private item is never public, whatever `data` says. Raises
    FeedbackRefusal.FEEDBACK_CLOSED for a closed item; nothing is then changed."""
    now = now or utcnow()
    feedback.record_reply(now)
    public = bool(data.get("public")) and not feedback.private
    event = FeedbackEvent(
        feedback=feedback,
        actor_id=getattr(actor, "id", None),
        kind=EventKind.REPLY,
        body=nfc(data["reply"]),
        public=public,
        created_at=now,
    )
    db.session.add(event)
    db.session.flush()
    audit.record(
        actor,
        "feedback.reply",
        feedback,
        school_id=feedback.school_id,
        reference=feedback.reference,
        public=public,
        length=len(event.body),
    )
    if data.get("mark_answered") and feedback.status != FeedbackStatus.ANSWERED:
        change_feedback_status(actor, feedback, FeedbackStatus.ANSWERED, now=now, announce=False)
    # The sender is told it is answered only when it is: a reply that leaves the item received or
    # in progress ("we have passed it on, an answer within a week") is a reply.
    answered = feedback.status == FeedbackStatus.ANSWERED
    events.emit("feedback.answered" if answered else "feedback.replied", feedback, actor, public=public)
    return event


# --- loading --------------------------------------------------------------------------------


def _with_timeline(statement):
    return statement.options(selectinload(Feedback.events).joinedload(FeedbackEvent.actor))


def feedback_in_school(school: School, feedback_id: int, *, for_update: bool = False) -> Feedback | None:
    """An item sent to `school`, with its sender and timeline; None for any other (out of scope:
    404). With `for_update` the row stays locked until the commit (PostgreSQL), so that two
    people changing it at once are served one after the other and the second sees the first's
    change (and is told its page was out of date)."""
    statement = select(Feedback).where(Feedback.id == feedback_id, Feedback.school_id == school.id)
    if for_update:
        statement = statement.with_for_update(of=Feedback).execution_options(populate_existing=True)
    return db.session.scalar(_with_timeline(statement.options(joinedload(Feedback.author))))


def feedback_of_author(author, feedback_id: int) -> Feedback | None:
    """One of `author`'s own items, with its school and timeline; None for anyone else's."""
    statement = select(Feedback).where(Feedback.id == feedback_id, Feedback.author_id == author.id)
    return db.session.scalar(_with_timeline(statement.options(joinedload(Feedback.school))))


def my_feedback(author, *, page: int = 1, per_page: int = MY_FEEDBACK_PER_PAGE):
    """`author`'s items, newest first, each with its school and timeline: a page (Flask-SQLAlchemy's
    Pagination) in three queries, however many items and steps there are."""
    statement = (
        select(Feedback)
        .where(Feedback.author_id == author.id)
        .options(joinedload(Feedback.school))
        .order_by(Feedback.created_at.desc(), Feedback.id.desc())
    )
    return db.paginate(_with_timeline(statement), page=page, per_page=per_page, error_out=False, count=True)


# --- how long an item has waited -------------------------------------------------------------


def answer_due(received: datetime) -> date:
    """The last day an item received at `received` may be answered in time: 15 working days
    after the day it arrived (on the schools' calendar, holidays and make-up days counted)."""
    return workdays.working_days_after(local_date(received), ANSWER_WORKING_DAYS)


def working_days_waited(received: datetime, today: date) -> int:
    """How many working days an item received at `received` has waited by `today`."""
    return workdays.working_days_between(local_date(received), today)


def is_overdue(feedback: Feedback, today: date) -> bool:
    """Still waiting for the school, and past its answer day."""
    return feedback.status.is_open and today > answer_due(feedback.created_at)


def overdue_before(today: date) -> datetime:
    """The moment before which an item still waiting is overdue by `today` (for queries): the
    start of the day after the last day whose answer day is before today."""
    last_received = workdays.latest_start(ANSWER_WORKING_DAYS, today - timedelta(days=1))
    return local_to_utc(last_received + timedelta(days=1), time(0, 0))


@dataclass(frozen=True)
class Waiting:
    """How long an item has waited (working days) and whether it is overdue, as the inbox shows it."""

    days: int
    due: date
    overdue: bool


def waiting_of(items: list[Feedback], today: date) -> dict[int, Waiting]:
    """For each item still waiting: how long it has waited and whether it is overdue (no query
    beyond the working calendar, which a request loads once)."""
    waiting = {}
    for feedback in items:
        if feedback.status.is_open:
            due = answer_due(feedback.created_at)
            days = working_days_waited(feedback.created_at, today)
            waiting[feedback.id] = Waiting(days=days, due=due, overdue=today > due)
    return waiting


@dataclass
class FeedbackWaiting:
    """What waits in one school's inbox: items not answered yet, and how many of them are overdue."""

    unanswered: int = 0
    overdue: int = 0


def waiting_by_school(school_ids, today: date) -> dict[int, FeedbackWaiting]:
    """For each of `school_ids`: unanswered items (received or in progress) and the overdue
    ones among them. One aggregate query, whatever the number of schools."""
    counts = {school_id: FeedbackWaiting() for school_id in school_ids}
    if not counts:
        return counts
    rows = db.session.execute(_waiting_query(), {"school_ids": list(counts), "before": overdue_before(today)})
    for school_id, unanswered, overdue in rows:
        counts[school_id] = FeedbackWaiting(unanswered=unanswered, overdue=overdue)
    return counts


@functools.cache
def _waiting_query() -> Select:
    # Built once and run with its schools and moment (staff's pages ask on every visit).
    late = Feedback.created_at < bindparam("before")
    return (
        select(Feedback.school_id, func.count(), func.coalesce(func.sum(case((late, 1), else_=0)), 0))
        .where(Feedback.school_id.in_(bindparam("school_ids", expanding=True)), Feedback.status.in_(OPEN_STATUSES))
        .group_by(Feedback.school_id)
    )


# The inbox: "open" (received or in progress, the default), "overdue" (open and past the answer
# day), "all", or one status.
OPEN, OVERDUE, ALL = "open", "overdue", "all"
INBOX_STATUS_FILTERS = (OPEN, OVERDUE, *(status.value for status in FeedbackStatus), ALL)


@dataclass(frozen=True)
class InboxFilters:
    status: str = OPEN
    category: FeedbackCategory | None = None


def inbox(
    school: School, filters: InboxFilters, *, page: int = 1, per_page: int = INBOX_PER_PAGE, today: date | None = None
):
    """The school's items matching `filters`, a page at a time, with their senders. Items still
    waiting come first, the oldest first (the longest wait is answered first); answered and
    closed ones follow, the most recently changed first."""
    statement = select(Feedback).where(Feedback.school_id == school.id)
    if filters.status == OPEN:
        statement = statement.where(Feedback.status.in_(OPEN_STATUSES))
    elif filters.status == OVERDUE:
        before = overdue_before(today or local_date(utcnow()))
        statement = statement.where(Feedback.status.in_(OPEN_STATUSES), Feedback.created_at < before)
    elif filters.status != ALL:
        statement = statement.where(Feedback.status == FeedbackStatus(filters.status))
    if filters.category is not None:
        statement = statement.where(Feedback.category == filters.category)
    waiting = Feedback.status.in_(OPEN_STATUSES)
    statement = statement.options(joinedload(Feedback.author)).order_by(
        case((waiting, 0), else_=1),
        case((waiting, Feedback.created_at)).asc(),
        Feedback.updated_at.desc(),
        Feedback.id,
    )
    return db.paginate(statement, page=page, per_page=per_page, error_out=False, count=True)


def status_counts(school: School) -> dict[FeedbackStatus, int]:
    """How many of the school's items are in each status (0 for none): one query."""
    counts = dict.fromkeys(FeedbackStatus, 0)
    rows = db.session.execute(
        select(Feedback.status, func.count()).where(Feedback.school_id == school.id).group_by(Feedback.status)
    )
    for status, count in rows:
        counts[status] = count
    return counts


@dataclass(frozen=True)
class AnsweredFeedback:
    feedback: Feedback
    reply: str
    replied_at: datetime


@functools.lru_cache(maxsize=16)
def _recently_answered_query(limit: int, load: tuple) -> Select:
    # Built once, run with the school's id: the school's page runs it on every visit
    # (charters.services._school_with_charter_query says why, and why the cache is bounded).
    latest = (
        select(FeedbackEvent.feedback_id, func.max(FeedbackEvent.id).label("event_id"))
        .join(Feedback, Feedback.id == FeedbackEvent.feedback_id)
        .where(
            Feedback.school_id == bindparam("school_id"),
            Feedback.private.is_(False),
            FeedbackEvent.kind == EventKind.REPLY,
            FeedbackEvent.public.is_(True),
        )
        .group_by(FeedbackEvent.feedback_id)
        .subquery()
    )
    return (
        select(Feedback, FeedbackEvent.body, FeedbackEvent.created_at)
        .join(latest, latest.c.feedback_id == Feedback.id)
        .join(FeedbackEvent, FeedbackEvent.id == latest.c.event_id)
        .order_by(FeedbackEvent.created_at.desc(), FeedbackEvent.id.desc())
        .limit(limit)
        .options(*load)
    )


def recently_answered(
    school: School, limit: int = RECENTLY_ANSWERED_MAX, *, load: Sequence = ()
) -> list[AnsweredFeedback]:
    """For the school's page: the latest items that are not private and have a public reply,
    each with its latest public reply (and what the loader options `load` add to the items).
    One query."""
    query = _recently_answered_query(limit, tuple(load))
    rows = db.session.execute(query, {"school_id": school.id}).unique()  # a collection in `load` repeats the rows
    return [AnsweredFeedback(feedback, reply, replied_at) for feedback, reply, replied_at in rows]
