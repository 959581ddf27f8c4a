"""Decisions of a school's board: drafted, then published once as a signed PDF, and from then on
never edited or deleted — only superseded or revoked by a later published decision."""

from datetime import date, datetime
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, and_, or_
from sqlalchemy.orm import Mapped, foreign, mapped_column, relationship, remote

from portal.clock import utcnow
from portal.domain import DomainError, Labelled
from portal.extensions import db, str_enum
from portal.schools.models import School

if TYPE_CHECKING:
    from portal.charters.models import CharterVersion
    from portal.meetings.models import Meeting

DECISION_TITLE_MAX = 200
DECISION_BODY_MAX = 50_000
DECISION_PREFIX_MAX = 40


class DecisionStatus(Labelled):
    DRAFT = "draft", _l("Draft")
    PUBLISHED = "published", _l("In force")
    SUPERSEDED = "superseded", _l("Superseded")
    REVOKED = "revoked", _l("Revoked")


PUBLIC_STATUSES = (DecisionStatus.PUBLISHED, DecisionStatus.SUPERSEDED, DecisionStatus.REVOKED)


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
    def votes_total(self) -> int:
        return (self.votes_for or 0) + (self.votes_against or 0) + (self.votes_abstain or 0)

    def edit(self, **fields) -> None:
        """Change the draft. A published decision is the record: it never changes."""
        if not self.is_draft:
            raise DomainError("decision_published")
        for name, value in fields.items():
            setattr(self, name, value)

    def publish(
        self, *, number: str, year: int, sequence: int, at: datetime, by_id: int | None, document_sha256: str
    ) -> None:
        if not self.is_draft:
            raise DomainError("decision_published")
        self.status = DecisionStatus.PUBLISHED
        self.number, self.number_year, self.number_sequence = number, year, sequence
        self.published_at, self.published_by_id, self.document_sha256 = at, by_id, document_sha256

    def replace(self, how: DecisionStatus) -> None:
        """Superseded or revoked by a later decision being published."""
        if self.status != DecisionStatus.PUBLISHED:
            raise DomainError("target_not_in_force")
        if how not in (DecisionStatus.SUPERSEDED, DecisionStatus.REVOKED):
            raise ValueError(how)
        self.status = how

    def __repr__(self):
        return f"<Decision {self.id} {self.status} {self.number or ''}>"
