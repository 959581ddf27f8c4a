"""What moderation keeps: reports on published responses, the reasons moderators give, and blocks.

Moderation acts on the consultations' responses (their state moves through the Response model's
own methods); what it adds of its own lives here.
"""

from datetime import datetime

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.clock import utcnow
from portal.consultations.models import Response
from portal.extensions import db

REASON_MAX = 1000  # a report's reason, and a moderator's details
BLOCK_REASON_MAX = 1000
# The durations a moderator chooses from, in days; None is "until lifted".
BLOCK_DAYS = (1, 7, 30, None)

# The reasons moderators give most often. A rejected or hidden response stores the key (and any
# details after ": "), never the words of the moderator's language: readers see the reason in
# theirs (reason_label).
STANDARD_REASONS = {
    "off_topic": _l("Off-topic"),
    "personal_attack": _l("Personal attack"),
    "personal_data": _l("Personal data"),
    "advertising": _l("Advertising or spam"),
    "duplicate": _l("Duplicate"),
}
# What the portal itself stores when the reports threshold hides a response.
REPORTED = "reported"


def reason_key(stored: str) -> str | None:
    """The standard reason a stored reason begins with, or None for a reason in free text."""
    key = (stored or "").split(": ", 1)[0]
    return key if key in STANDARD_REASONS else None


def reason_label(stored: str) -> str:
    """A stored reason as the reader reads it: the standard reason in their language, then the
    moderator's details as written; a free-text reason as written."""
    key = reason_key(stored)
    if key is None:
        return stored or ""
    details = stored.split(": ", 1)[1] if ": " in stored else ""
    if not details:
        return str(STANDARD_REASONS[key])
    return gettext("%(label)s: %(text)s", label=STANDARD_REASONS[key], text=details)


def counts_by_reason(rows) -> list[tuple[str, int]]:
    """[(stored reason, count)] as the public reads them: a standard reason counts under its name
    in the reader's language (the moderator's details stay out), a free-text reason under its
    words; most frequent first."""
    counts: dict[str, int] = {}
    for stored, count in rows:
        key = reason_key(stored)
        label = str(STANDARD_REASONS[key]) if key else stored
        counts[label] = counts.get(label, 0) + count
    return sorted(counts.items(), key=lambda pair: -pair[1])


class Report(db.Model):
    """Someone reports a published response to the moderators, once, with a reason."""

    __tablename__ = "consultation_report"
    __table_args__ = (
        UniqueConstraint("response_id", "reporter_id", name="uq_consultation_report_reporter"),
        Index("ix_consultation_report_open", "resolved_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("consultation_response.id"), index=True)
    reporter_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    reason: Mapped[str] = mapped_column(String(REASON_MAX))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    resolution: Mapped[str] = mapped_column(String(40), default="")

    response: Mapped[Response] = relationship()


class Block(db.Model):
    """A moderator stops an account from responding, reporting and sending feedback, for a while
    or for good, saying why. A block is never deleted: lifting it records who lifted it and when,
    so the account's history stays readable.

    A block applies where the moderator who made it moderates: `authority` is that moderator's
    authority (the broadest of theirs over the content they acted on). A district bureau's block
    applies in that district, to its schools (feedback) and to the consultations of its schools
    and of the district itself; the city commission's block applies everywhere. So a 渝中区
    moderator's block does not stop anyone writing to a 沙坪坝区 school, nor responding to a
    city-wide consultation, which only the city's moderators decide about."""

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
    # Where the block applies: this authority and everything below it (see the class's docstring).
    authority_id: Mapped[int] = mapped_column(ForeignKey("authority.id"))

    user = relationship("User", foreign_keys=[user_id])
    authority = relationship("Authority", lazy="joined", innerjoin=True)

    def in_force(self, now: datetime) -> bool:
        return self.lifted_at is None and (self.ends_at is None or self.ends_at > now)

    @property
    def everywhere(self) -> bool:
        """A block of the city's commission (the root of the authorities): it applies everywhere."""
        return self.authority.parent_id is None

    def applies_to(self, place) -> bool:
        """Whether the block stops speaking at `place`, an Authority (a school's, or the one whose
        consultation it is); None asks about anywhere at all."""
        return place is None or self.authority.covers(place)
