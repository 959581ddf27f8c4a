"""Feedback to a school (the suggestion box), its timeline of status changes and replies, and
the counter that numbers it FB-<year>-<sequence>."""

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.clock import utcnow
from portal.domain import DomainError, Labelled, Reason
from portal.extensions import AppendOnly, AppendOnlyError, db, str_enum
from portal.schools.models import School

if TYPE_CHECKING:
    from portal.accounts.models import User

FEEDBACK_BODY_MAX = 5_000
REPLY_BODY_MAX = 5_000
REFERENCE_MAX = 20  # FB-2026-000123; a year with a millionth item gets a seventh digit
SUBMISSION_TOKEN_MAX = 32


class FeedbackCategory(Labelled):
    TEACHING = "teaching", _l("Teaching and homework")
    SAFETY = "safety", _l("Safety")
    CANTEEN = "canteen", _l("Canteen and meals")
    FEES = "fees", _l("Fees and charges")
    FACILITIES = "facilities", _l("Buildings and facilities")
    OTHER = "other", _l("Something else")


class FeedbackStatus(Labelled):
    RECEIVED = "received", _l("Received")
    IN_PROGRESS = "in_progress", _l("In progress")
    ANSWERED = "answered", _l("Answered")
    CLOSED = "closed", lazy_pgettext("feedback", "Closed")
    # The school left it unanswered too long, or the sender asked for a review of its answer: the
    # school's responsible supervisor (责任督学) takes it up. The school may still answer it.
    ESCALATED = "escalated", _l("Referred to the responsible supervisor")

    @property
    def is_open(self) -> bool:
        """Still waiting for the school: received, in progress, or referred to the supervisor."""
        return self in OPEN_STATUSES


OPEN_STATUSES = frozenset({FeedbackStatus.RECEIVED, FeedbackStatus.IN_PROGRESS, FeedbackStatus.ESCALATED})
# The steps every item goes through, as its pages show them (an item referred to the supervisor
# shows that step too: Feedback.steps).
STEPS = (FeedbackStatus.RECEIVED, FeedbackStatus.IN_PROGRESS, FeedbackStatus.ANSWERED, FeedbackStatus.CLOSED)

# Where a status may go next. Answered and closed items can be taken up again (the answer raised
# a new question, or it was closed by mistake); nothing goes back to "received", which only
# records when the school got it.
TRANSITIONS: dict[FeedbackStatus, tuple[FeedbackStatus, ...]] = {
    FeedbackStatus.RECEIVED: (FeedbackStatus.IN_PROGRESS, FeedbackStatus.ANSWERED, FeedbackStatus.CLOSED),
    FeedbackStatus.IN_PROGRESS: (FeedbackStatus.ANSWERED, FeedbackStatus.CLOSED),
    FeedbackStatus.ANSWERED: (FeedbackStatus.IN_PROGRESS, FeedbackStatus.CLOSED),
    FeedbackStatus.CLOSED: (FeedbackStatus.IN_PROGRESS,),
    # The school goes on from a referral as from any other step.
    FeedbackStatus.ESCALATED: (FeedbackStatus.IN_PROGRESS, FeedbackStatus.ANSWERED, FeedbackStatus.CLOSED),
}
# Where an item may be referred to the supervisor from (Feedback.escalate, never move_to): left
# unanswered, or answered (or closed) to the sender's dissatisfaction.
ESCALATE_FROM = frozenset(
    {FeedbackStatus.RECEIVED, FeedbackStatus.IN_PROGRESS, FeedbackStatus.ANSWERED, FeedbackStatus.CLOSED}
)


class FeedbackRefusal(Reason):
    """Why the suggestion box refused a change; nothing was changed. Feedback.move_to() and
    record_reply() raise the item's own, the services the others."""

    FORM_ALREADY_SENT = "form_already_sent", _l("This form was already sent, with another text.")
    INVALID_TRANSITION = "invalid_transition", _l("This feedback cannot move to that status from where it is now.")
    ANSWER_NEEDS_REPLY = "answer_needs_reply", _l("Write a reply before marking the feedback as answered.")
    # Closed without a word, an item would leave the overdue list while its sender learns nothing.
    CLOSE_NEEDS_REPLY = (
        "close_needs_reply",
        _l("Write a reply before closing the feedback, so that its sender learns why it is closed."),
    )
    FEEDBACK_CLOSED = "feedback_closed", _l("This feedback is closed. Reopen it before replying.")
    STATUS_CHANGED = (
        "status_changed",
        _l(
            "Someone else changed this feedback's status in the meantime. "
            "Here it is as it is now: check it and try again."
        ),
    )


def format_reference(year: int, sequence: int) -> str:
    """The tracking reference people quote: FB-2026-000123."""
    return f"FB-{year}-{sequence:06d}"


class Feedback(db.Model):
    """One suggestion, question or complaint sent to a school. The sender follows it by its
    reference; its status moves only through `move_to()` and replies through `record_reply()`."""

    __tablename__ = "feedback"
    __table_args__ = (
        UniqueConstraint("year", "sequence", name="uq_feedback_year_sequence"),
        # One form, one item: a second click or a retried request carries the same token.
        UniqueConstraint("author_id", "submission_token", name="uq_feedback_author_submission_token"),
        CheckConstraint("sequence > 0", name="sequence_positive"),
        # The inbox filters a school's items by status and sorts them by age.
        Index("ix_feedback_school_status_created_at", "school_id", "status", "created_at"),
        # "My feedback": a person's items, newest first.
        Index("ix_feedback_author_created_at", "author_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    category: Mapped[FeedbackCategory] = mapped_column(str_enum(FeedbackCategory))
    body: Mapped[str] = mapped_column(Text)
    # Private: only the sender and the school's staff ever read it, and its replies are never public.
    private: Mapped[bool] = mapped_column(default=False)
    reference: Mapped[str] = mapped_column(String(REFERENCE_MAX), unique=True)
    year: Mapped[int]
    sequence: Mapped[int]
    status: Mapped[FeedbackStatus] = mapped_column(str_enum(FeedbackStatus), default=FeedbackStatus.RECEIVED)
    submission_token: Mapped[str] = mapped_column(String(SUBMISSION_TOKEN_MAX))
    replied_at: Mapped[datetime | None]  # the latest reply, of any kind
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    school: Mapped[School] = relationship()
    author: Mapped["User"] = relationship()
    events: Mapped[list["FeedbackEvent"]] = relationship(back_populates="feedback", order_by="FeedbackEvent.id")

    def next_statuses(self) -> tuple[FeedbackStatus, ...]:
        """The statuses it may move to now (answered only once there is a reply)."""
        needs_reply = (FeedbackStatus.ANSWERED, FeedbackStatus.CLOSED)
        return tuple(s for s in TRANSITIONS[self.status] if s not in needs_reply or self.replied_at is not None)

    def move_to(self, status: FeedbackStatus) -> None:
        """Raises FeedbackRefusal.INVALID_TRANSITION for a status it cannot move to from its own,
        ANSWER_NEEDS_REPLY for answered and CLOSE_NEEDS_REPLY for closed before any reply."""
        if status not in TRANSITIONS[self.status]:
            raise DomainError(FeedbackRefusal.INVALID_TRANSITION)
        if status == FeedbackStatus.ANSWERED and self.replied_at is None:
            raise DomainError(FeedbackRefusal.ANSWER_NEEDS_REPLY)
        if status == FeedbackStatus.CLOSED and self.replied_at is None:
            raise DomainError(FeedbackRefusal.CLOSE_NEEDS_REPLY)
        self.status = status

    def escalate(self) -> None:
        """Refer the item to the school's responsible supervisor (FeedbackRefusal.INVALID_TRANSITION
        when it already is)."""
        if self.status not in ESCALATE_FROM:
            raise DomainError(FeedbackRefusal.INVALID_TRANSITION)
        self.status = FeedbackStatus.ESCALATED

    @property
    def was_escalated(self) -> bool:
        return any(event.status == FeedbackStatus.ESCALATED for event in self.events)

    def steps(self) -> tuple[FeedbackStatus, ...]:
        """The steps its pages show: the usual four, with the referral where it happened once it
        did: after "received" when the school left the item unanswered, after "answered" when the
        sender asked for a review of the answer."""
        if not self.was_escalated and self.status != FeedbackStatus.ESCALATED:
            return STEPS
        before_referral = []
        for event in self.events:
            if event.status == FeedbackStatus.ESCALATED:
                break
            before_referral.append(event.status)
        after = STEPS.index(FeedbackStatus.ANSWERED) if FeedbackStatus.ANSWERED in before_referral else 0
        return (*STEPS[: after + 1], FeedbackStatus.ESCALATED, *STEPS[after + 1 :])

    def record_reply(self, at: datetime) -> None:
        """A closed item is finished: it is reopened before anyone writes to it again
        (FeedbackRefusal.FEEDBACK_CLOSED)."""
        if self.status == FeedbackStatus.CLOSED:
            raise DomainError(FeedbackRefusal.FEEDBACK_CLOSED)
        self.replied_at = at

    def __repr__(self):
        return f"<Feedback {self.reference} {self.status}>"


class EventKind(StrEnum):
    STATUS_CHANGE = "status_change"
    REPLY = "reply"


class FeedbackTimelineIsAppendOnly(AppendOnlyError):
    pass


class FeedbackEvent(AppendOnly, db.Model):
    """A step of an item's timeline: a status it moved to, or a reply. Written once, never changed,
    so the sender's timeline is a faithful record of what the school did and said."""

    __tablename__ = "feedback_event"
    __table_args__ = (CheckConstraint("kind = 'reply' OR status IS NOT NULL", name="status_change_has_status"),)
    append_only_error = FeedbackTimelineIsAppendOnly

    id: Mapped[int] = mapped_column(primary_key=True)
    feedback_id: Mapped[int] = mapped_column(ForeignKey("feedback.id"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    kind: Mapped[EventKind] = mapped_column(str_enum(EventKind))
    status: Mapped[FeedbackStatus | None] = mapped_column(str_enum(FeedbackStatus))  # the new status
    body: Mapped[str] = mapped_column(Text, default="")  # the reply
    # A public reply may be shown on the school's page under a non-private item; a private one
    # is for the sender only.
    public: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    feedback: Mapped[Feedback] = relationship(back_populates="events")
    actor: Mapped["User | None"] = relationship()

    @property
    def is_reply(self) -> bool:
        return self.kind == EventKind.REPLY


class FeedbackReferenceCounter(db.Model):
    """The last sequence number given out in each year. Taking a number is one
    `UPDATE … SET last_sequence = last_sequence + 1` in the caller's transaction (see
    services.take_sequence): the row stays locked until that transaction ends, so two items
    sent at the same moment get consecutive numbers, never the same one."""

    __tablename__ = "feedback_reference_counter"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last_sequence: Mapped[int] = mapped_column(default=0)
