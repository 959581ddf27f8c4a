"""Blocks: a moderator stops an account from responding, reporting and sending feedback, for a
while or for good, saying why. A block is never deleted: lifting it records who lifted it and when,
so the account's history stays readable."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.clock import utcnow
from portal.extensions import db

BLOCK_REASON_MAX = 1000
# The durations a moderator chooses from, in days; None is "until lifted".
BLOCK_DAYS = (1, 7, 30, None)


class Block(db.Model):
    __tablename__ = "account_block"
    __table_args__ = (
        # "Is this person blocked now?" is asked on every response, report and feedback.
        Index("ix_account_block_user_lifted", "user_id", "lifted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    blocked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    ends_at: Mapped[datetime | None]  # None: permanent, until a moderator lifts it
    lifted_at: Mapped[datetime | None]
    lifted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    user = relationship("User", foreign_keys=[user_id])

    def in_force(self, now: datetime) -> bool:
        return self.lifted_at is None and (self.ends_at is None or self.ends_at > now)
