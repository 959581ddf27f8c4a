"""What people are told, and how: a notification per recipient and event, what they follow, how
they want each kind delivered, and the mails waiting to go out.

A notification keeps plain values (`params`) and where it points (`endpoint`, `url_args`), never
its words: each recipient reads it in their own language, whenever they read it.
"""

from datetime import datetime
from enum import StrEnum
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.clock import utcnow
from portal.domain import Labelled
from portal.extensions import db, str_enum

EMAIL_SUBJECT_MAX = 300


class Kind(Labelled):
    """What a notification is about: each person chooses how each kind reaches them."""

    FEEDBACK = "feedback", _l("Replies and changes to the feedback I sent")
    MY_RESPONSES = "my_responses", _l("What moderators decide about my responses")
    MY_CONSULTATIONS = "my_consultations", _l("Approval of the consultations I drafted")
    SCHOOL_NEWS = (
        "school_news",
        _l("News of my children's schools and of the schools I follow: consultations, decisions, charter, minutes"),
    )
    OUTCOMES = "outcomes", _l("Outcomes of the consultations I responded to")
    INBOX = "inbox", _l("Feedback to the schools I serve (staff)")
    MODERATION = "moderation", _l("Consultations and reports waiting for moderators")
    SUPERVISION = "supervision", _l("Feedback referred to me as the responsible supervisor")
    # The answer to a person's own request about their data (/me/data): always told, in the portal
    # and by its own mail, so it is not offered in the settings (services.kinds_for).
    MY_DATA = "my_data", _l("Copies of my data I asked for")


class Delivery(Labelled):
    PORTAL = "portal", _l("In the portal only")
    EMAIL = "email", _l("By email at once")
    DIGEST = "digest", _l("In a daily email digest")
    OFF = "off", _l("Off")


# What each kind does until the person chooses: replies and decisions about one's own items at
# once by email; news of schools in the daily digest.
DEFAULT_DELIVERY = {
    Kind.FEEDBACK: Delivery.EMAIL,
    Kind.MY_RESPONSES: Delivery.EMAIL,
    Kind.MY_CONSULTATIONS: Delivery.EMAIL,
    Kind.SCHOOL_NEWS: Delivery.DIGEST,
    Kind.OUTCOMES: Delivery.EMAIL,
    Kind.INBOX: Delivery.EMAIL,
    Kind.MODERATION: Delivery.EMAIL,
    Kind.SUPERVISION: Delivery.EMAIL,
    Kind.MY_DATA: Delivery.PORTAL,  # the mail is queued on its own (see Kind.MY_DATA)
}


class Notification(db.Model):
    """One thing one person is told, written in the transaction of what happened (or by the job
    that tells a whole school), with how they wanted it: in the portal only, by mail at once, or
    in the daily digest. The mail or the digest is written from it later by a job (`mailed_at`
    says it has been): a request never waits for the mailer, and nothing is lost while it is down."""

    __tablename__ = "notification"
    __table_args__ = (
        # /me/notifications: the person's newest first (keyset on id); the header's unread count.
        Index("ix_notification_user_id", "user_id", "id"),
        Index("ix_notification_user_unread", "user_id", "read_at"),
        # The mail jobs' work: what is still to be mailed, at once or in the digest (a partial
        # index: the notifications already mailed, or read in the portal only, are not in it).
        Index(
            "ix_notification_mail_due",
            "delivery",
            "user_id",
            postgresql_where=text("mailed_at IS NULL AND delivery <> 'portal'"),
            sqlite_where=text("mailed_at IS NULL AND delivery <> 'portal'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    kind: Mapped[Kind] = mapped_column(str_enum(Kind))
    event: Mapped[str] = mapped_column(String(60))  # portal.events name, e.g. "feedback.answered"
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id"))  # the digest groups by it
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # plain values for the words
    endpoint: Mapped[str] = mapped_column(String(60), default="")  # where it points, url_for's
    url_args: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]
    # How the person wanted it when it was written (never "off": nothing is written then).
    delivery: Mapped[Delivery] = mapped_column(str_enum(Delivery), default=Delivery.PORTAL)
    mailed_at: Mapped[datetime | None]  # its mail, or the digest it is in, was written

    school = relationship("School", lazy="raise")

    @property
    def unread(self) -> bool:
        return self.read_at is None


class Follow(db.Model):
    """A person follows a school or a consultation (exactly one of the two)."""

    __tablename__ = "follow"
    __table_args__ = (
        CheckConstraint("(school_id IS NULL) <> (consultation_id IS NULL)", name="one_subject"),
        UniqueConstraint("user_id", "school_id", name="uq_follow_user_school"),
        UniqueConstraint("user_id", "consultation_id", name="uq_follow_user_consultation"),
        Index("ix_follow_school_id", "school_id"),
        Index("ix_follow_consultation_id", "consultation_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))  # the unique constraints index it
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id"))
    consultation_id: Mapped[int | None] = mapped_column(ForeignKey("consultation.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    school = relationship("School", lazy="raise")
    consultation = relationship("Consultation", lazy="raise")


class Preference(db.Model):
    """How one person wants one kind of notification (absent: DEFAULT_DELIVERY)."""

    __tablename__ = "notification_preference"

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), primary_key=True)
    kind: Mapped[Kind] = mapped_column(str_enum(Kind), primary_key=True)
    delivery: Mapped[Delivery] = mapped_column(str_enum(Delivery))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Announcement(db.Model):
    """That something was announced once and must never be again (a consultation's opening, a
    reminder about one feedback item, one person's digest of one day): the key is unique."""

    __tablename__ = "announcement"

    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class MailStatus(StrEnum):
    QUEUED = "queued"  # waiting (again, after a temporary failure, from next_attempt_at)
    SENDING = "sending"  # claimed by a worker; becomes sent, queued or failed
    SENT = "sent"
    FAILED = "failed"  # refused for good (a bad address), or too many attempts
    UNCERTAIN = "uncertain"  # a worker died while sending it: it may have gone; never sent again by itself


class Mail(db.Model):
    """One message to one address, queued in the database so that a request never waits for the
    mail server and nothing is lost while it is down. The words are written when it is queued,
    in the recipient's language."""

    __tablename__ = "mail"
    __table_args__ = (Index("ix_mail_status_next", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    # The notification it tells (None: a digest, which tells several). Unique: one notification
    # is never mailed twice, whichever worker wrote its mail first.
    notification_id: Mapped[int | None] = mapped_column(ForeignKey("notification.id"), unique=True)
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(EMAIL_SUBJECT_MAX))
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str] = mapped_column(Text)
    headers: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)  # List-Unsubscribe, ...
    status: Mapped[MailStatus] = mapped_column(str_enum(MailStatus), default=MailStatus.QUEUED)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_by: Mapped[str] = mapped_column(String(40), default="")
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
