"""Consultations: a school (or an authority, for district- or city-wide policy) puts a proposal up
for comment; people respond; the school publishes what it heard and what it did.

The lifecycle lives on the model (CONVENTIONS.md §5): draft → submitted → approved (scheduled,
then open between its dates) → closed (at the closing time, computed; or early, with a reason) →
outcome published. Nobody assigns `status` anywhere else.
"""

from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from sqlalchemy import (
    JSON,
    CheckConstraint,
    ColumnElement,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    and_,
    false,
    func,
    or_,
    select,
)
from sqlalchemy.ext.hybrid import hybrid_method, hybrid_property
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship

from portal.clock import utcnow
from portal.domain import DomainError, Labelled, Reason
from portal.extensions import db, str_enum
from portal.schools.models import Authority, School

if TYPE_CHECKING:
    from portal.accounts.models import User

TITLE_MAX = 200
SUMMARY_MAX = 500
PROPOSAL_MAX = 100_000
QUESTION_PROMPT_MAX = 300
CHOICE_MAX = 120
MAX_QUESTIONS = 10
MAX_CHOICES = 12
RESPONSE_BODY_MAX = 5000
ANSWER_TEXT_MAX = 2000
REASON_MAX = 1000


class ConsultationRefusal(Reason):
    """Why a consultation, its questions, its outcome or a response to it refuses a change."""

    # Where it is in its lifecycle (409: nothing was changed).
    NOT_A_DRAFT = (
        "not_a_draft",
        _l(
            "This consultation is no longer a draft: it has been submitted for approval, so its details and questions "
            "can no longer be changed. If something must change, ask the moderators to send it back."
        ),
    )
    NOT_SUBMITTED = "not_submitted", _l("This consultation is not awaiting approval.")
    NOT_OPEN_TO_CLOSE = (
        "not_open_to_close",
        _l("Only a consultation that is open, or approved and about to open, can be closed early."),
    )
    NOT_CLOSED = "not_closed", _l("The outcome can be written once the consultation has closed.")
    OUTCOME_PUBLISHED = (
        "outcome_published",
        _l("The outcome of this consultation is published. A published outcome is never changed."),
    )
    NOT_OPEN = "not_open", _l("This consultation is not open for comment, so responses are not accepted.")
    # What a draft lacks before it can be submitted (submission_problems).
    TITLE_MISSING = "title_missing", _l("Give the consultation a title."), "title"
    PROPOSAL_MISSING = "proposal_missing", _l("Write the proposal people are asked to comment on."), "proposal"
    CLOSES_IN_THE_PAST = (
        "closes_in_the_past",
        _l("The closing date has passed. Choose a closing date in the future."),
        "closes_on",
    )
    # What was typed.
    CLOSES_BEFORE_OPENING = "closes_before_opening", _l("The consultation must close after it opens."), "closes_on"
    TOO_FEW_CHOICES = "too_few_choices", _l("A choice question needs at least 2 choices, one a line."), "choices"
    TOO_MANY_CHOICES = "too_many_choices", _l("A question can have at most 12 choices."), "choices"
    DUPLICATE_CHOICES = "duplicate_choices", _l("Each choice may appear only once."), "choices"
    TOO_MANY_QUESTIONS = (
        "too_many_questions",
        _l("A consultation can have at most %(max)d questions. Remove one to add another.", max=MAX_QUESTIONS),
    )
    UNKNOWN_QUESTION = "unknown_question", _l("This question is not one of this consultation's.")
    REASON_REQUIRED = "reason_required", _l("Please say why."), "reason"
    BODY_TOO_LONG = (
        "body_too_long",
        _l("This can have at most %(max)d characters.", max=RESPONSE_BODY_MAX),
        "body",
    )
    HEARD_MISSING = "heard_missing", _l("Please say what you heard."), "heard"
    CHANGES_MISSING = "changes_missing", _l("Please say what changes as a result, or why nothing does."), "changes"
    OUTCOME_TOO_LONG = "outcome_too_long", _l("The text is too long."), "heard"
    THEME_TITLE = "theme_title", _l("Name the theme, or leave its count empty."), "theme_1_title"
    THEME_COUNT = "theme_count", _l("Enter how many responses raised this theme."), "theme_1_count"
    THEME_COUNT_TOO_HIGH = (
        "theme_count_too_high",
        _l("A theme cannot have been raised by more responses than were published."),
        "theme_1_count",
    )
    TOO_MANY_THEMES = "too_many_themes", _l("At most 8 themes."), "theme_1_title"
    # A response's moderation (the moderation feature checks first; these keep the model safe).
    ALREADY_MODERATED = "already_moderated", _l("Someone else has already handled this. Nothing was changed.")


class ConsultationStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    CLOSED = "closed"  # closed early by the school; otherwise closing is computed from closes_at
    OUTCOME_PUBLISHED = "outcome_published"


# Approved, and after: what the public sees.
PUBLIC_STATUSES = (ConsultationStatus.APPROVED, ConsultationStatus.CLOSED, ConsultationStatus.OUTCOME_PUBLISHED)


class Phase(Labelled):
    """Where a consultation is now: its status and, once approved, the clock."""

    DRAFT = "draft", _l("Draft")
    # A draft the moderators sent back, with their reason, until it is submitted again.
    SENT_BACK = "sent_back", _l("Sent back by the moderators")
    SUBMITTED = "submitted", _l("Awaiting approval")
    SCHEDULED = "scheduled", _l("Opens soon")
    OPEN = "open", _l("Open for comment")
    CLOSED = "closed", lazy_pgettext("consultation", "Closed")
    OUTCOME_PUBLISHED = "outcome_published", _l("Outcome published")


class Audience(Labelled):
    REGISTERED = "registered", _l("Anyone with an account")
    # Verified parents (by invitation code) of the school, or of a school under the authority.
    PARENTS = "parents", _l("Verified parents of the school")


class ModerationMode(Labelled):
    # A response is published once a moderator approves it.
    PRE = "pre", _l("Responses are checked before they are published")
    # A response is published at once; moderators may hide it afterwards.
    POST = "post", _l("Responses are published at once and checked afterwards")


class QuestionKind(Labelled):
    TEXT = "text", _l("Free text")
    SINGLE = "single", _l("One choice")
    MULTIPLE = "multiple", _l("Several choices")


class Stance(Labelled):
    SUPPORT = "support", _l("Support")
    OPPOSE = "oppose", _l("Oppose")
    NEUTRAL = "neutral", _l("Neutral")


class ResponseState(Labelled):
    PENDING = "pending", _l("Awaiting moderation")
    PUBLISHED = "published", _l("Published")
    REJECTED = "rejected", _l("Rejected")
    HIDDEN = "hidden", _l("Hidden")


class Consultation(db.Model):
    __tablename__ = "consultation"
    __table_args__ = (
        CheckConstraint("(school_id IS NULL) <> (authority_id IS NULL)", name="one_owner"),
        CheckConstraint("closes_at > opens_at", name="closes_after_opening"),
        # Lists: what is open now, what closed, per school.
        Index("ix_consultation_status_closes_at", "status", "closes_at"),
        Index("ix_consultation_school_status", "school_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id"))
    authority_id: Mapped[int | None] = mapped_column(ForeignKey("authority.id"), index=True)
    status: Mapped[ConsultationStatus] = mapped_column(str_enum(ConsultationStatus), default=ConsultationStatus.DRAFT)
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    summary: Mapped[str] = mapped_column(String(SUMMARY_MAX), default="")
    proposal: Mapped[str] = mapped_column(Text, default="")
    audience: Mapped[Audience] = mapped_column(str_enum(Audience), default=Audience.REGISTERED)
    moderation: Mapped[ModerationMode] = mapped_column(str_enum(ModerationMode), default=ModerationMode.PRE)
    opens_at: Mapped[datetime]
    closes_at: Mapped[datetime]

    submitted_at: Mapped[datetime | None]
    sent_back_reason: Mapped[str] = mapped_column(Text, default="")
    approved_at: Mapped[datetime | None]
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    closed_early_at: Mapped[datetime | None]
    close_reason: Mapped[str] = mapped_column(Text, default="")

    # The outcome: "you said, we did".
    outcome_heard: Mapped[str] = mapped_column(Text, default="")
    outcome_changes: Mapped[str] = mapped_column(Text, default="")
    outcome_published_at: Mapped[datetime | None]
    outcome_document_sha256: Mapped[str | None] = mapped_column(ForeignKey("document.sha256"))

    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    school: Mapped[School | None] = relationship()
    authority: Mapped[Authority | None] = relationship()
    questions: Mapped[list["Question"]] = relationship(
        back_populates="consultation", order_by="Question.position", cascade="all, delete-orphan"
    )
    themes: Mapped[list["OutcomeTheme"]] = relationship(
        back_populates="consultation", order_by="OutcomeTheme.position", cascade="all, delete-orphan"
    )

    # The decisions that answer it (the outcome's "we did"): published ones, oldest first. The
    # decisions feature refers to consultations, not back: the relationship is by name.
    answering_decisions = relationship(
        "Decision",
        primaryjoin="and_(Decision.consultation_id == Consultation.id, "
        "Decision.status.in_(('published', 'superseded', 'revoked')))",
        order_by="(Decision.published_at, Decision.id)",
        viewonly=True,
    )

    # --- where it is: one rule, for Python (an object) and SQL (a query) alike ----------------
    # Every page, list, feed and export that shows where a consultation is shows phase(now).
    # Its status and, once approved, the clock: approved before `opens_at` is scheduled, between
    # `opens_at` and `closes_at` open, after `closes_at` closed (as is one the school closed early).

    def phase(self, now: datetime) -> Phase:
        if self.status == ConsultationStatus.APPROVED:
            if now < self.opens_at:
                return Phase.SCHEDULED
            return Phase.OPEN if now < self.closes_at else Phase.CLOSED
        if self.status == ConsultationStatus.DRAFT:
            return Phase.SENT_BACK if self.sent_back_reason else Phase.DRAFT
        return {
            ConsultationStatus.SUBMITTED: Phase.SUBMITTED,
            ConsultationStatus.CLOSED: Phase.CLOSED,
            ConsultationStatus.OUTCOME_PUBLISHED: Phase.OUTCOME_PUBLISHED,
        }[self.status]

    @hybrid_method
    def in_phase(self, phase: Phase, now: datetime) -> bool:
        return self.phase(now) == phase

    @in_phase.inplace.expression
    @classmethod
    def _in_phase_expression(cls, phase: Phase, now: datetime) -> ColumnElement[bool]:
        approved = cls.status == ConsultationStatus.APPROVED
        return {
            Phase.DRAFT: and_(cls.status == ConsultationStatus.DRAFT, cls.sent_back_reason == ""),
            Phase.SENT_BACK: and_(cls.status == ConsultationStatus.DRAFT, cls.sent_back_reason != ""),
            Phase.SUBMITTED: cls.status == ConsultationStatus.SUBMITTED,
            Phase.SCHEDULED: and_(approved, cls.opens_at > now),
            Phase.OPEN: and_(approved, cls.opens_at <= now, cls.closes_at > now),
            Phase.CLOSED: or_(cls.status == ConsultationStatus.CLOSED, and_(approved, cls.closes_at <= now)),
            Phase.OUTCOME_PUBLISHED: cls.status == ConsultationStatus.OUTCOME_PUBLISHED,
        }.get(phase, false())

    def is_open(self, now: datetime) -> bool:
        return self.in_phase(Phase.OPEN, now)

    @hybrid_property
    def closed_at(self) -> datetime:
        """When it closed (or will close): early, or at its closing time."""
        return self.closed_early_at or self.closes_at

    @closed_at.inplace.expression
    @classmethod
    def _closed_at_expression(cls) -> ColumnElement[datetime]:
        return func.coalesce(cls.closed_early_at, cls.closes_at)

    @hybrid_method
    def outcome_overdue(self, now: datetime, days: int) -> bool:
        """Closed for more than `days` days and still no outcome."""
        return self.phase(now) == Phase.CLOSED and now - self.closed_at > timedelta(days=days)

    @outcome_overdue.inplace.expression
    @classmethod
    def _outcome_overdue_expression(cls, now: datetime, days: int) -> ColumnElement[bool]:
        return cls.outcome_due_before(now, now - timedelta(days=days))

    @classmethod
    def outcome_due_before(cls, now, closed_before) -> ColumnElement[bool]:
        """outcome_overdue as SQL, from the moment `closed_before` (now less the days allowed):
        a statement built once passes both as bound parameters."""
        return and_(cls.in_phase(Phase.CLOSED, now), cls.closed_at < closed_before)

    @hybrid_property
    def is_public(self) -> bool:
        """The public sees it once a moderator approved it (scheduled, open, closed, outcome)."""
        return self.status in PUBLIC_STATUSES

    @is_public.inplace.expression
    @classmethod
    def _is_public_expression(cls) -> ColumnElement[bool]:
        return cls.status.in_(PUBLIC_STATUSES)

    @property
    def owner_authority(self) -> Authority:
        """The authority whose moderators approve and moderate it: the school's, or its own."""
        return self.school.authority if self.school is not None else self.authority

    @property
    def audit_scope(self) -> dict:
        """Where its audit events belong (the commission admins of that subtree read them)."""
        return {"school_id": self.school_id, "authority_id": self.owner_authority.id}

    # --- transitions (each raises DomainError when not allowed now) --------------------------

    def edit(self, **fields) -> None:
        if self.status != ConsultationStatus.DRAFT:
            raise DomainError(ConsultationRefusal.NOT_A_DRAFT)
        for name, value in fields.items():
            setattr(self, name, value)

    def submit(self, at: datetime) -> None:
        if self.status != ConsultationStatus.DRAFT:
            raise DomainError(ConsultationRefusal.NOT_A_DRAFT)
        self.status = ConsultationStatus.SUBMITTED
        self.submitted_at = at
        self.sent_back_reason = ""

    def send_back(self, reason: str) -> None:
        if self.status != ConsultationStatus.SUBMITTED:
            raise DomainError(ConsultationRefusal.NOT_SUBMITTED)
        self.status = ConsultationStatus.DRAFT
        self.sent_back_reason = reason

    def approve(self, by_id: int | None, at: datetime) -> None:
        if self.status != ConsultationStatus.SUBMITTED:
            raise DomainError(ConsultationRefusal.NOT_SUBMITTED)
        if self.closes_at <= at:
            raise DomainError(ConsultationRefusal.CLOSES_IN_THE_PAST)
        self.status = ConsultationStatus.APPROVED
        self.approved_by_id, self.approved_at = by_id, at

    def close_early(self, at: datetime, reason: str) -> None:
        if self.phase(at) not in (Phase.SCHEDULED, Phase.OPEN):
            raise DomainError(ConsultationRefusal.NOT_OPEN_TO_CLOSE)
        self.status = ConsultationStatus.CLOSED
        self.closed_early_at, self.close_reason = at, reason

    def publish_outcome(self, at: datetime, *, heard: str, changes: str, document_sha256: str | None) -> None:
        if self.phase(at) != Phase.CLOSED:
            raise DomainError(ConsultationRefusal.NOT_CLOSED)
        self.status = ConsultationStatus.OUTCOME_PUBLISHED
        self.outcome_heard, self.outcome_changes = heard, changes
        self.outcome_published_at, self.outcome_document_sha256 = at, document_sha256

    def __repr__(self):
        return f"<Consultation {self.id} {self.status}>"


class Question(db.Model):
    __tablename__ = "consultation_question"
    __table_args__ = (UniqueConstraint("consultation_id", "position", name="uq_consultation_question_position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id"), index=True)
    position: Mapped[int]
    kind: Mapped[QuestionKind] = mapped_column(str_enum(QuestionKind))
    prompt: Mapped[str] = mapped_column(String(QUESTION_PROMPT_MAX))
    # The choices of a single or multiple choice question, in order; answers store their index.
    choices: Mapped[list[str]] = mapped_column(JSON, default=list)

    consultation: Mapped[Consultation] = relationship(back_populates="questions")


def answer_words(question: Question, value) -> str | list[str] | None:
    """What a stored answer to `question` says: the text; the chosen choice; the chosen choices (a
    list, in the order stored). None for no answer, or a text or a choice that is not one (an
    index that names no choice is left out). The exports write it; pages show it (shown_answers)."""
    if value is None:
        return None
    if question.kind == QuestionKind.TEXT:
        return value if isinstance(value, str) else None
    choices = question.choices or []
    indexes = value if isinstance(value, list) else [value]
    chosen = [
        choices[index]
        for index in indexes
        if isinstance(index, int) and not isinstance(index, bool) and 0 <= index < len(choices)
    ]
    if question.kind == QuestionKind.SINGLE:
        return chosen[0] if chosen else None
    return chosen


def shown_answers(answers: dict, questions) -> list[tuple[Question, str | list[str]]]:
    """The questions of `questions` that `answers` (a response's, a version's or a draft's:
    {"<question id>": text | choice index | [choice indexes]}) answered, in order, each with what
    the answer says (answer_words; a choice that is not one shows nothing). The template filter
    `shown_answers`."""
    shown = []
    for question in questions:
        value = answers.get(str(question.id))
        if value in (None, "", []):
            continue
        words = answer_words(question, value)
        shown.append((question, words if words is not None else ""))
    return shown


class OutcomeTheme(db.Model):
    """One theme of what was heard, with how many responses raised it (the outcome report)."""

    __tablename__ = "consultation_outcome_theme"

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id"), index=True)
    position: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    count: Mapped[int] = mapped_column(default=0)

    consultation: Mapped[Consultation] = relationship(back_populates="themes")


class Response(db.Model):
    """One person's response to one consultation (a second one edits the first). Earlier
    versions are kept in ResponseVersion."""

    __tablename__ = "consultation_response"
    __table_args__ = (
        UniqueConstraint("consultation_id", "author_id", name="uq_consultation_response_author"),
        # The public list (published, newest first, by stance) and the moderation queue.
        Index("ix_consultation_response_list", "consultation_id", "state", "id"),
        Index("ix_consultation_response_stance", "consultation_id", "state", "stance", "id"),
        Index("ix_consultation_response_state_created", "state", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    stance: Mapped[Stance] = mapped_column(str_enum(Stance))
    body: Mapped[str] = mapped_column(Text, default="")
    # {"<question id>": "text" | choice index | [choice indexes]}
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    show_name: Mapped[bool] = mapped_column(default=False)
    state: Mapped[ResponseState] = mapped_column(str_enum(ResponseState), default=ResponseState.PENDING)
    reject_reason: Mapped[str] = mapped_column(Text, default="")
    moderated_at: Mapped[datetime | None]
    moderated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    published_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    consultation: Mapped[Consultation] = relationship()
    author: Mapped["User"] = relationship(foreign_keys=[author_id])
    versions: Mapped[list["ResponseVersion"]] = relationship(
        back_populates="response", order_by="ResponseVersion.id", cascade="all, delete-orphan"
    )

    # --- moderation (each refuses with ALREADY_MODERATED when someone was first) -------------

    def publish(self, by_id: int | None, at: datetime) -> None:
        if self.state not in (ResponseState.PENDING, ResponseState.HIDDEN):
            raise DomainError(ConsultationRefusal.ALREADY_MODERATED)
        self.state, self.moderated_by_id, self.moderated_at = ResponseState.PUBLISHED, by_id, at
        self.published_at = self.published_at or at
        self.reject_reason = ""

    def reject(self, by_id: int | None, at: datetime, reason: str) -> None:
        if self.state != ResponseState.PENDING:
            raise DomainError(ConsultationRefusal.ALREADY_MODERATED)
        if not reason.strip():
            raise DomainError(ConsultationRefusal.REASON_REQUIRED)
        self.state, self.moderated_by_id, self.moderated_at, self.reject_reason = (
            ResponseState.REJECTED,
            by_id,
            at,
            reason,
        )

    def hide(self, by_id: int | None, at: datetime, reason: str) -> None:
        if self.state != ResponseState.PUBLISHED:
            raise DomainError(ConsultationRefusal.ALREADY_MODERATED)
        self.state, self.moderated_by_id, self.moderated_at, self.reject_reason = (
            ResponseState.HIDDEN,
            by_id,
            at,
            reason,
        )

    def confirm_hidden(self, by_id: int | None, at: datetime, reason: str) -> None:
        """A moderator upholds what the reports threshold hid (no moderator has decided yet)."""
        if self.state != ResponseState.HIDDEN or self.moderated_by_id is not None:
            raise DomainError(ConsultationRefusal.ALREADY_MODERATED)
        if not reason.strip():
            raise DomainError(ConsultationRefusal.REASON_REQUIRED)
        self.moderated_by_id, self.moderated_at, self.reject_reason = by_id, at, reason


class ResponseVersion(db.Model):
    """What a response said before its author edited it."""

    __tablename__ = "consultation_response_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("consultation_response.id"), index=True)
    stance: Mapped[Stance] = mapped_column(str_enum(Stance))
    body: Mapped[str] = mapped_column(Text, default="")
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    show_name: Mapped[bool]
    state: Mapped[ResponseState] = mapped_column(str_enum(ResponseState))
    written_at: Mapped[datetime]

    response: Mapped[Response] = relationship(back_populates="versions")


# How many times its author changed a response (the page says so), counted in the query that
# loads it (undefer it there) rather than by loading every earlier version.
Response.edit_count = column_property(
    select(func.count(ResponseVersion.id))
    .where(ResponseVersion.response_id == Response.id)
    .correlate_except(ResponseVersion)
    .scalar_subquery(),
    deferred=True,
)


class Tally(db.Model):
    """Running counts of a consultation's published responses: by stance ("stance:support"), by
    choice ("choice:<question id>:<index>"), and in all ("published"); and of its rejected
    responses by reason ("rejected:<the reason's SHA-256>", the reason as stored in `label`: a
    moderator's reason is free text of any length). Kept in step by the services whenever a
    response is published, hidden, rejected, edited or erased (UPDATE … SET count = count ± 1,
    atomic on both databases), so results and the page cost the same with 100 or 100,000
    responses."""

    __tablename__ = "consultation_tally"

    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id"), primary_key=True)
    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    count: Mapped[int] = mapped_column(default=0)
    label: Mapped[str | None] = mapped_column(Text)  # what a "rejected:" key counts: the reason


class ResponseDraft(db.Model):
    """What a person typed into a consultation's response form without sending it: kept while
    they type (the form's inline check) or when a send fails its checks, so that they find it
    again, and are told once before the consultation closes. It is theirs alone (never counted,
    never shown to the school), deleted when they send their response, discard it, or the
    consultation closes."""

    __tablename__ = "response_draft"
    __table_args__ = (
        UniqueConstraint("consultation_id", "user_id", name="uq_response_draft_consultation_user"),
        Index("ix_response_draft_user_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    # As typed, in the form's shape: {"stance": "support" | "", "body": "...", "show_name": bool,
    # "answers": {"<question id>": "text" | choice index | [choice indexes]}}
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    reminded_at: Mapped[datetime | None]  # told before closing (once)

    consultation: Mapped[Consultation] = relationship()
