"""A case on the supervisor's desk: one feedback item referred to the school's responsible
supervisor, either because the school left it unanswered (escalated) or because the sender asked
for a review of the school's answer (review, once per item), and the supervisor's answer."""

from datetime import date, datetime
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, Index, Text, UniqueConstraint, and_
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from portal.accounts.models import Membership, Role
from portal.clock import utcnow
from portal.domain import DomainError, Labelled, Reason
from portal.extensions import db, str_enum
from portal.feedback.models import Feedback
from portal.schools.models import School

if TYPE_CHECKING:
    from portal.accounts.models import User

REASON_MAX = 2_000
ANSWER_MAX = 5_000


class CaseKind(Labelled):
    ESCALATED = "escalated", _l("Left unanswered by the school")
    REVIEW = "review", _l("Review requested by the sender")


class SupervisionRefusal(Reason):
    ALREADY_ANSWERED = "already_answered", _l("This case was already answered.")
    REVIEW_ALREADY_REQUESTED = (
        "review_already_requested",
        _l("You already asked the supervisor to review this feedback. A review can be asked for once per item."),
    )
    NOTHING_TO_REVIEW = (
        "nothing_to_review",
        _l("The school has not answered yet. The supervisor takes up unanswered feedback by themselves."),
    )
    NO_SUPERVISOR = (
        "no_supervisor",
        _l("This school has no responsible supervisor on the portal yet."),
    )
    DIRECT_BY_IN_PAST = ("direct_by_in_past", _l("Choose a day after today."), "answer_by")


class SupervisionCase(db.Model):
    __tablename__ = "supervision_case"
    __table_args__ = (
        # Escalated once, and reviewed once, per item.
        UniqueConstraint("feedback_id", "kind", name="uq_supervision_case_feedback_kind"),
        CheckConstraint("kind = 'escalated' OR reason <> ''", name="review_has_reason"),
        # The queue: a school's open cases, oldest first.
        Index("ix_supervision_case_school_answered_opened", "school_id", "answered_at", "opened_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    feedback_id: Mapped[int] = mapped_column(ForeignKey("feedback.id"))
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"))
    kind: Mapped[CaseKind] = mapped_column(str_enum(CaseKind))
    reason: Mapped[str] = mapped_column(Text, default="")  # the sender's, for a review
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    answer: Mapped[str] = mapped_column(Text, default="")
    answer_public: Mapped[bool] = mapped_column(default=False)
    # The supervisor may direct the school to answer by a day.
    school_to_answer_by: Mapped[date | None]
    answered_at: Mapped[datetime | None]
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    feedback: Mapped[Feedback] = relationship(
        backref=backref("supervision_cases", order_by="SupervisionCase.id", lazy="select")
    )
    school: Mapped[School] = relationship()
    answered_by: Mapped["User | None"] = relationship()

    @property
    def is_answered(self) -> bool:
        return self.answered_at is not None

    def record_answer(self, at: datetime, by_id: int, answer: str, public: bool, answer_by: date | None) -> None:
        """Answered once (SupervisionRefusal.ALREADY_ANSWERED)."""
        if self.is_answered:
            raise DomainError(SupervisionRefusal.ALREADY_ANSWERED)
        self.answer, self.answer_public, self.school_to_answer_by = answer, public, answer_by
        self.answered_at, self.answered_by_id = at, by_id


# What the school's page shows of supervision, as read-only views its own queries load (with the
# school, and with the answered items: supervision.services.SUPERVISORS_LOADED and
# PUBLIC_ANSWERS_LOADED), so that the page spends no query of its own on them. Read elsewhere,
# each loads itself on first use.
School.supervisor_memberships = relationship(
    Membership,
    primaryjoin=and_(Membership.school_id == School.id, Membership.role == Role.SUPERVISOR),
    order_by=Membership.id,
    viewonly=True,
)
# A private answer stays between the supervisor and the sender (their item page).
Feedback.public_supervisor_answers = relationship(
    SupervisionCase,
    primaryjoin=lambda: and_(
        SupervisionCase.feedback_id == Feedback.id,
        SupervisionCase.answered_at.is_not(None),
        SupervisionCase.answer_public.is_(True),
    ),
    order_by=lambda: (SupervisionCase.answered_at, SupervisionCase.id),
    viewonly=True,
)
