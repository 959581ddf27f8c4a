"""Decisions of a school's board: drafted, then published once as a signed PDF, and from then on
never edited or deleted — only superseded or revoked by a later published decision."""

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, and_, or_
from sqlalchemy.orm import Mapped, foreign, mapped_column, relationship, remote

from portal.clock import local_date, utcnow
from portal.domain import DomainError, Labelled, Reason, Status
from portal.extensions import db, str_enum
from portal.schools.models import School

if TYPE_CHECKING:
    from portal.charters.models import CharterVersion
    from portal.meetings.models import Meeting

DECISION_TITLE_MAX = 200
DECISION_BODY_MAX = 50_000
DECISION_PREFIX_MAX = 40
# A publication asked for this long ago and neither done nor failed was lost (its worker died and
# every retry with it): the draft may be published again. Rendering and signing take seconds.
PUBLISHING_GIVES_UP_AFTER = timedelta(minutes=10)
# A publication asked for this long ago and still neither done nor failed may never have reached
# the queue (it was unreachable when the request committed: portal/jobs.py logs it and goes on):
# the job worker's sweep asks for it again, until PUBLISHING_GIVES_UP_AFTER.
PUBLISHING_ASKED_AGAIN_AFTER = timedelta(minutes=2)


class DecisionStatus(Labelled):
    DRAFT = "draft", _l("Draft")
    PUBLISHED = "published", _l("In force")
    SUPERSEDED = "superseded", _l("Superseded")
    REVOKED = "revoked", _l("Revoked")


PUBLIC_STATUSES = (DecisionStatus.PUBLISHED, DecisionStatus.SUPERSEDED, DecisionStatus.REVOKED)


class DecisionState(Labelled):
    """Where a decision stands on a given day (Decision.status_on): its stored status read
    against the clock, for a decision takes effect on its effective date, and one that a later
    decision replaces stays in force until that decision takes effect."""

    DRAFT = "draft", _l("Draft")
    # %(date)s: the day it takes effect.
    NOT_YET_IN_FORCE = "not_yet_in_force", _l("Not yet in force (from %(date)s)")
    IN_FORCE = "in_force", _l("In force")
    # %(date)s: the day the decision that replaces it takes effect.
    ENDING = "ending", _l("In force until %(date)s, when a later decision replaces it")
    SUPERSEDED = "superseded", _l("Superseded")
    REVOKED = "revoked", _l("Revoked")


class DecisionRefusal(Reason):
    """Why drafting or publishing a decision was refused: the words people read, and the field
    of the decision's form they belong beside (none: about the whole draft)."""

    # A published decision is the record: whatever is asked of it, its state refuses it (409).
    PUBLISHED = (
        "decision_published",
        _l(
            "This decision is published. "
            "A published decision is never changed; publish a new decision that supersedes or revokes it."
        ),
    )
    # Its publication was asked for and the job is at work: the draft waits, unchanged.
    PUBLISHING = (
        "decision_publishing",
        _l("This draft is being published. It cannot be changed meanwhile; wait a moment."),
    )
    # Ids a form posted that are not this school's (or not fit to link): the form's own
    # validators say the same words when the id is not among the choices.
    UNKNOWN_MEETING = "unknown_meeting", _l("Choose one of this school's meetings that has taken place."), "meeting_id"
    FUTURE_MEETING = (
        "future_meeting",
        _l("This meeting has not taken place yet. A decision is published after the meeting that took it."),
        "meeting_id",
    )
    UNKNOWN_TARGET = "unknown_target", _l("Choose one of this school's decisions that is in force."), "replaces_id"
    UNKNOWN_CHARTER_VERSION = (
        "unknown_charter_version",
        _l("Choose one of this school's charter versions."),
        "charter_version_id",
    )
    UNKNOWN_CONSULTATION = (
        "unknown_consultation",
        _l("Choose one of this school's consultations that has closed."),
        "consultation_id",
    )
    VOTE_EXCEEDS_PRESENT = (
        "vote_exceeds_present",
        _l(
            "More votes were entered than members were recorded present at the meeting. "
            "Check the vote, or record the meeting's attendance first."
        ),
        "votes_for",
    )
    # What a draft still lacks before it can be published.
    TITLE_MISSING = "title_missing", _l("Give the decision a title."), "title"
    BODY_MISSING = "body_missing", _l("Write the text of the decision."), "body"
    MEETING_MISSING = "meeting_missing", _l("Choose the meeting at which the decision was taken."), "meeting_id"
    NO_VOTES = "no_votes", _l("Enter the vote: for, against and abstentions."), "votes_for"
    EFFECTIVE_BEFORE_MEETING = (
        "effective_before_meeting",
        _l("A decision cannot take effect before the meeting that took it."),
        "effective_on",
    )
    # A decision adopts a draft version, or says it is the one that adopted the newest version; a
    # version that a newer one has replaced is not adopted again by a decision years later.
    CHARTER_VERSION_REPLACED = (
        "charter_version_replaced",
        _l(
            "A newer version of the charter has been adopted since this one. "
            "Choose a draft version, which this decision adopts, or the newest adopted version."
        ),
        "charter_version_id",
    )
    TARGET_NOT_IN_FORCE = (
        "target_not_in_force",
        _l("The earlier decision is no longer in force: another decision has already superseded or revoked it."),
        "replaces_id",
    )
    # The charter version a decision adopts refused adoption (portal.charters.services.adopt_version,
    # whose codes these are), said as it concerns the decision.
    CHARTER_ADOPTED = "charter_adopted", _l("This charter version is already adopted."), "charter_version_id"
    CHARTER_ADOPTED_BEFORE_PREVIOUS = (
        "adopted_before_previous",
        _l("A later charter version is already adopted."),
        "charter_version_id",
    )
    CHARTER_EMPTY = "empty_body", _l("This charter version has no text yet."), "charter_version_id"
    CHARTER_EFFECTIVE_BEFORE_ADOPTION = (
        "effective_before_adoption",
        _l("The charter version cannot take effect before the decision is published."),
        "effective_on",
    )
    # Its publication was asked for long ago (PUBLISHING_GIVES_UP_AFTER) and never finished: the
    # worker was stopped, or the database failed it on every try.
    PUBLICATION_LOST = (
        "publication_lost",
        _l(
            "Publishing did not finish, so nothing was published: the draft is unchanged and no number "
            "was used. Please try again."
        ),
    )
    # The job that publishes it could not make, sign or store the PDF (Decision.publishing_failure).
    PDF_FAILED = (
        "pdf_failed",
        _l(
            "The PDF of the decision could not be made, so nothing was published: "
            "the draft is unchanged and no number was used. "
            "Please try again in a moment; if it happens again, tell the portal's administrators."
        ),
    )


# A charter version's refusals when a decision adopts it (their codes are the charters' own).
CHARTER_REFUSALS = (
    DecisionRefusal.CHARTER_ADOPTED,
    DecisionRefusal.CHARTER_ADOPTED_BEFORE_PREVIOUS,
    DecisionRefusal.CHARTER_EMPTY,
    DecisionRefusal.CHARTER_EFFECTIVE_BEFORE_ADOPTION,
)


def format_number(prefix: str, year: int, sequence: int) -> str:
    """The decision's number as it is cited: 渝一中校委〔2026〕3号 (prefix, year, sequence)."""
    return f"{prefix}〔{year}〕{sequence}号"


class Decision(db.Model):
    __tablename__ = "decision"
    __table_args__ = (
        UniqueConstraint("school_id", "number_year", "number_sequence", name="uq_decision_school_year_sequence"),
        CheckConstraint("votes_for >= 0 AND votes_against >= 0 AND votes_abstain >= 0", name="votes_not_negative"),
        CheckConstraint("(status = 'draft') = (number IS NULL)", name="number_only_when_published"),
        # The public archive lists published decisions newest first, per school or everywhere.
        Index("ix_decision_status_published_at", "status", "published_at"),
        Index("ix_decision_school_status_published_at", "school_id", "status", "published_at"),
        # …and newest first across all statuses shown (published, superseded, revoked): the
        # archive reads this index backwards instead of sorting every published row.
        Index("ix_decision_published_at_id", "published_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    status: Mapped[DecisionStatus] = mapped_column(str_enum(DecisionStatus), default=DecisionStatus.DRAFT)
    title: Mapped[str] = mapped_column(String(DECISION_TITLE_MAX))
    body: Mapped[str] = mapped_column(Text, default="")
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meeting.id"), index=True)
    votes_for: Mapped[int] = mapped_column(default=0)
    votes_against: Mapped[int] = mapped_column(default=0)
    votes_abstain: Mapped[int] = mapped_column(default=0)
    effective_on: Mapped[date | None]
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("decision.id"), index=True)
    revokes_id: Mapped[int | None] = mapped_column(ForeignKey("decision.id"), index=True)
    charter_version_id: Mapped[int | None] = mapped_column(ForeignKey("charter_version.id"), index=True)
    # The consultation this decision answers ("you said, we did" lists it).
    consultation_id: Mapped[int | None] = mapped_column(ForeignKey("consultation.id"), index=True)

    # Set once, by publish(): the number, when, by whom, and the archived PDF.
    number: Mapped[str | None] = mapped_column(String(DECISION_PREFIX_MAX + 30))
    number_year: Mapped[int | None]
    number_sequence: Mapped[int | None]
    published_at: Mapped[datetime | None]
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    document_sha256: Mapped[str | None] = mapped_column(ForeignKey("document.sha256"), index=True)

    # A draft whose publication was asked for (request_publication): the request's key, which
    # the job that publishes it carries, and when; cleared when it is published or the attempt
    # failed, which says why (a DecisionRefusal code) until the next request.
    publishing_key: Mapped[str | None] = mapped_column(String(36))
    publishing_since: Mapped[datetime | None]
    publishing_failure: Mapped[str | None] = mapped_column(String(40))

    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    school: Mapped[School] = relationship()
    meeting: Mapped["Meeting | None"] = relationship()
    charter_version: Mapped["CharterVersion | None"] = relationship()
    supersedes: Mapped["Decision | None"] = relationship(foreign_keys=[supersedes_id], remote_side=[id])
    revokes: Mapped["Decision | None"] = relationship(foreign_keys=[revokes_id], remote_side=[id])
    # The later published decision that superseded or revoked this one (at most one does).
    replaced_by: Mapped["Decision | None"] = relationship(
        primaryjoin=lambda: and_(
            or_(
                remote(foreign(Decision.supersedes_id)) == Decision.id,
                remote(foreign(Decision.revokes_id)) == Decision.id,
            ),
            remote(Decision.status) != DecisionStatus.DRAFT,
        ),
        viewonly=True,
        uselist=False,
    )

    @property
    def is_draft(self) -> bool:
        return self.status == DecisionStatus.DRAFT

    @property
    def takes_effect_on(self) -> date | None:
        """The day it takes effect: its effective date, else the day it was published (None: a draft)."""
        if self.effective_on is not None:
            return self.effective_on
        return local_date(self.published_at) if self.published_at is not None else None

    def status_on(self, today: date) -> Status:
        """Where it stands on `today` (the schools' date, portal.clock.today()): the one rule
        every page, list, feed and export shows. A replaced decision needs `replaced_by` loaded
        (the list queries load it)."""
        if self.status == DecisionStatus.DRAFT:
            return Status(DecisionState.DRAFT)
        starts = self.takes_effect_on
        if self.status in (DecisionStatus.SUPERSEDED, DecisionStatus.REVOKED):
            replacement = self.replaced_by
            ends = replacement.takes_effect_on if replacement is not None else None
            if ends is None or ends <= today or (starts is not None and starts >= ends):
                gone = DecisionState.REVOKED if self.status == DecisionStatus.REVOKED else DecisionState.SUPERSEDED
                return Status(gone)
        else:
            ends = None
        if starts is not None and starts > today:
            return Status(DecisionState.NOT_YET_IN_FORCE, starts)
        if ends is not None:
            return Status(DecisionState.ENDING, ends)
        return Status(DecisionState.IN_FORCE)

    @property
    def votes_total(self) -> int:
        return (self.votes_for or 0) + (self.votes_against or 0) + (self.votes_abstain or 0)

    def edit(self, **fields) -> None:
        """Change the draft. A published decision is the record: it never changes."""
        if not self.is_draft:
            raise DomainError(DecisionRefusal.PUBLISHED)
        for name, value in fields.items():
            setattr(self, name, value)

    def is_publishing(self, now: datetime) -> bool:
        """Its publication was asked for and the job that publishes it has not finished (nor
        been given up for lost, PUBLISHING_GIVES_UP_AFTER)."""
        return (
            self.is_draft
            and self.publishing_key is not None
            and self.publishing_since is not None
            and self.publishing_since > now - PUBLISHING_GIVES_UP_AFTER
        )

    def publication_failure(self, now: datetime) -> DecisionRefusal | None:
        """Why the last attempt to publish it failed, if it did (shown on the draft's page)."""
        if self.is_draft and self.publishing_key is not None and not self.is_publishing(now):
            return DecisionRefusal.PUBLICATION_LOST
        if self.publishing_failure is None:
            return None
        try:
            return DecisionRefusal(self.publishing_failure)
        except ValueError:
            return DecisionRefusal.PDF_FAILED

    def request_publication(self, *, key: str, at: datetime) -> None:
        """Publication asked for: the job carrying `key` publishes it (the last failure is forgotten)."""
        if not self.is_draft:
            raise DomainError(DecisionRefusal.PUBLISHED)
        self.publishing_key, self.publishing_since, self.publishing_failure = key, at, None

    def publication_failed(self, reason: DecisionRefusal) -> None:
        """The job could not publish it: it stays a draft, says why, and may be published again."""
        if not self.is_draft:
            raise DomainError(DecisionRefusal.PUBLISHED)
        self.publishing_key, self.publishing_since, self.publishing_failure = None, None, reason.value

    def publish(
        self, *, number: str, year: int, sequence: int, at: datetime, by_id: int | None, document_sha256: str
    ) -> None:
        if not self.is_draft:
            raise DomainError(DecisionRefusal.PUBLISHED)
        self.publishing_key = self.publishing_since = self.publishing_failure = None
        self.status = DecisionStatus.PUBLISHED
        self.number, self.number_year, self.number_sequence = number, year, sequence
        self.published_at, self.published_by_id, self.document_sha256 = at, by_id, document_sha256

    def replace(self, how: DecisionStatus) -> None:
        """Superseded or revoked by a later decision being published."""
        if self.status != DecisionStatus.PUBLISHED:
            raise DomainError(DecisionRefusal.TARGET_NOT_IN_FORCE)
        if how not in (DecisionStatus.SUPERSEDED, DecisionStatus.REVOKED):
            raise ValueError(how)
        self.status = how

    def __repr__(self):
        return f"<Decision {self.id} {self.status} {self.number or ''}>"
