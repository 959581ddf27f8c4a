"""People, the roles they hold where, the invitation codes that verify parents, and the invitations
that bring new staff to the portal."""

import hashlib
import secrets
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.clock import utcnow
from portal.domain import Labelled
from portal.extensions import db, str_enum
from portal.schools.models import Authority, School

EMAIL_MAX = 254
DISPLAY_NAME_MAX = 60
PASSWORD_MIN = 12
PASSWORD_MAX = 200

# The privacy notice (/privacy) in force; registration records which one the person accepted.
# Raise it whenever the notice changes in substance.
PRIVACY_NOTICE_VERSION = "2026-12-05"  # the cookies named and described
# What an erased account is called, stored in place of its name (never English: the pages show
# "Deleted account" to readers in English, User.shown_name).
DELETED_NAME = "已注销用户"


def normalize_email(email: str) -> str:
    """Emails are unique whatever their case: we keep them trimmed and lower-cased."""
    return (email or "").strip().lower()


def new_session_token() -> str:
    return secrets.token_urlsafe(32)


class Role(Labelled):
    PARENT = "parent", _l("Parent")
    BOARD_MEMBER = "board_member", _l("Board member")
    SCHOOL_ADMIN = "school_admin", _l("School administrator")
    MODERATOR = "moderator", _l("Moderator")
    COMMISSION_ADMIN = "commission_admin", _l("Commission administrator")
    # 责任督学: from the district's education supervision office, for several of its schools
    # (one membership per school), assigned by the district's commission admins.
    SUPERVISOR = "supervisor", _l("Responsible supervisor")

    @property
    def scope_is_school(self) -> bool:
        return self in SCHOOL_ROLES


SCHOOL_ROLES = frozenset({Role.PARENT, Role.BOARD_MEMBER, Role.SCHOOL_ADMIN, Role.SUPERVISOR})
AUTHORITY_ROLES = frozenset({Role.MODERATOR, Role.COMMISSION_ADMIN})


class User(UserMixin, db.Model):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(EMAIL_MAX), unique=True)
    display_name: Mapped[str] = mapped_column(String(DISPLAY_NAME_MAX))
    password_hash: Mapped[str] = mapped_column(String(255))
    language: Mapped[str | None] = mapped_column(String(8))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # The version of the privacy notice accepted at registration (None: before notices were recorded).
    privacy_version: Mapped[str | None] = mapped_column(String(20))
    # Set when the person erased their account (/me/delete): the row stays, so that what they
    # published and the audit trail keep a pseudonymous id, but nothing in it names them.
    deleted_at: Mapped[datetime | None]

    memberships: Mapped[list["Membership"]] = relationship(
        back_populates="user", foreign_keys="Membership.user_id", order_by="Membership.id"
    )

    @property
    def is_active(self) -> bool:
        return self.active

    # The session this request runs in (an AccountSession's token), set when the person logs in
    # or their session is loaded; Flask-Login keeps get_id() in the session and the remember cookie.
    session_token = None

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def shown_name(self) -> str:
        """The name others read: for an erased account "已注销用户", or "Deleted account" in English."""
        if self.deleted_at is None:
            return self.display_name
        from flask_babel import get_locale, gettext

        locale = get_locale()
        return DELETED_NAME if locale is None or locale.language == "zh" else gettext("Deleted account")

    def get_id(self) -> str:
        if not self.session_token:
            raise RuntimeError("no session: log in through accounts.services.start_session()")
        return f"{self.id}:{self.session_token}"

    def __repr__(self):
        return f"<User {self.id} {self.email}>"


class AccountSession(db.Model):
    """One logged-in device: created at login, deleted at logout (so a copied cookie stops
    working), by "log out this one / everywhere", by a password change (all but the one that
    changed it) and by a password reset (all). The "keep me logged in" cookie names it too."""

    __tablename__ = "account_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    token: Mapped[str] = mapped_column(String(64), unique=True, default=new_session_token)
    device: Mapped[str] = mapped_column(String(120), default="")
    ip_prefix: Mapped[str] = mapped_column(String(64), default="")
    remember: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)


class ExportStatus(Labelled):
    PREPARING = "preparing", _l("Being prepared")
    READY = "ready", _l("Ready to download")
    FAILED = "failed", _l("Could not be prepared")


# A copy still "being prepared" after this long was lost (a worker that died): a new one may be asked for.
EXPORT_GIVEN_UP_AFTER = timedelta(hours=1)


class DataExport(db.Model):
    """A copy of everything the portal holds about a person (/me/data), prepared by a job as a ZIP
    file under instance/exports/ (never in the database), downloadable by them alone until it
    expires, then deleted with its file."""

    __tablename__ = "data_export"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    status: Mapped[ExportStatus] = mapped_column(str_enum(ExportStatus), default=ExportStatus.PREPARING)
    file_name: Mapped[str] = mapped_column(String(80), default="")
    size: Mapped[int] = mapped_column(default=0)
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    ready_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]

    def mark_ready(self, file_name: str, size: int, at: datetime, expires_at: datetime) -> None:
        self.status, self.file_name, self.size, self.ready_at, self.expires_at = (
            ExportStatus.READY,
            file_name,
            size,
            at,
            expires_at,
        )

    def mark_failed(self) -> None:
        self.status = ExportStatus.FAILED

    def is_being_prepared(self, now: datetime) -> bool:
        return self.status == ExportStatus.PREPARING and self.requested_at > now - EXPORT_GIVEN_UP_AFTER

    def is_downloadable(self, now: datetime) -> bool:
        return self.status == ExportStatus.READY and self.expires_at is not None and self.expires_at > now


PUBLIC_CONTACT_MAX = 120


class Membership(db.Model):
    """A role held by a person in a scope: a school for school roles, an authority for the others."""

    __tablename__ = "membership"
    __table_args__ = (
        CheckConstraint(
            "(school_id IS NOT NULL AND authority_id IS NULL"
            " AND role IN ('parent', 'board_member', 'school_admin', 'supervisor'))"
            " OR (school_id IS NULL AND authority_id IS NOT NULL AND role IN ('moderator', 'commission_admin'))",
            name="scope_matches_role",
        ),
        UniqueConstraint("user_id", "role", "school_id", name="uq_membership_user_role_school"),
        UniqueConstraint("user_id", "role", "authority_id", name="uq_membership_user_role_authority"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    role: Mapped[Role] = mapped_column(str_enum(Role))
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id"), index=True)
    authority_id: Mapped[int | None] = mapped_column(ForeignKey("authority.id"), index=True)
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # A supervisor's contact as the school's page shows it (an office phone or address; never a
    # personal phone unless they choose to give it). Empty for every other role.
    public_contact: Mapped[str] = mapped_column(String(PUBLIC_CONTACT_MAX), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(back_populates="memberships", foreign_keys=[user_id])
    school: Mapped[School | None] = relationship()
    authority: Mapped[Authority | None] = relationship()

    @property
    def scope(self) -> School | Authority:
        return self.school if self.school_id else self.authority


INVITATION_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I: codes are read aloud and typed on phones
INVITATION_CODE_LENGTH = 10
INVITATION_NOTE_MAX = 80


def new_invitation_code() -> str:
    raw = "".join(secrets.choice(INVITATION_CODE_ALPHABET) for _ in range(INVITATION_CODE_LENGTH))
    return f"{raw[:5]}-{raw[5:]}"


def canonical_invitation_code(code: str) -> str:
    """What the person typed, as the code itself: case, spaces and dashes do not matter."""
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())


def hash_invitation_code(code: str) -> str:
    return hashlib.sha256(canonical_invitation_code(code).encode()).hexdigest()


class Invitation(db.Model):
    """A single-use, expiring code a school hands to a parent. Only its hash is stored,
    so a leaked database does not leak usable codes."""

    __tablename__ = "invitation"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    code_hint: Mapped[str] = mapped_column(String(8))
    note: Mapped[str] = mapped_column(String(INVITATION_NOTE_MAX), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    used_at: Mapped[datetime | None]
    withdrawn_at: Mapped[datetime | None]  # by the school: handed to the wrong family, or leaked

    school: Mapped[School] = relationship()
    used_by: Mapped[User | None] = relationship(foreign_keys=[used_by_id])

    def status(self, now: datetime) -> str:
        if self.used_at is not None:
            return "used"
        if self.withdrawn_at is not None:
            return "withdrawn"
        if self.expires_at <= now:
            return "expired"
        return "valid"


class StaffInvitation(db.Model):
    """A staff role (or a school's responsible supervisor) waiting for its account: the commission
    appointed someone by an email address that no account uses yet. A mail with a link goes to the
    address; the role is theirs once an account with that address exists, made from the link or
    from a registration link to the same address (either proves the address is theirs). Only the
    link's hash is kept; sending the invitation again makes a new link, and the old one stops
    working. Withdrawn or accepted invitations are kept, for the record."""

    __tablename__ = "staff_invitation"
    __table_args__ = (
        CheckConstraint(
            "(school_id IS NOT NULL AND authority_id IS NULL"
            " AND role IN ('board_member', 'school_admin', 'supervisor'))"
            " OR (school_id IS NULL AND authority_id IS NOT NULL AND role IN ('moderator', 'commission_admin'))",
            name="scope_matches_role",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(EMAIL_MAX), index=True)
    role: Mapped[Role] = mapped_column(str_enum(Role))
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id"), index=True)
    authority_id: Mapped[int | None] = mapped_column(ForeignKey("authority.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)  # the last time its mail was sent
    expires_at: Mapped[datetime]
    accepted_at: Mapped[datetime | None]
    accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    withdrawn_at: Mapped[datetime | None]
    # A responsible supervisor's contact as the school's page will show it (Membership.public_contact).
    public_contact: Mapped[str] = mapped_column(String(PUBLIC_CONTACT_MAX), default="", server_default="")

    school: Mapped[School | None] = relationship()
    authority: Mapped[Authority | None] = relationship()
    invited_by: Mapped[User | None] = relationship(foreign_keys=[invited_by_id])

    @property
    def scope(self) -> School | Authority:
        return self.school if self.school_id else self.authority

    def status(self, now: datetime) -> str:
        """accepted, withdrawn, expired or pending."""
        if self.accepted_at is not None:
            return "accepted"
        if self.withdrawn_at is not None:
            return "withdrawn"
        if self.expires_at <= now:
            return "expired"
        return "pending"

    def renew(self, token_hash: str, now: datetime, lasts: timedelta) -> None:
        """Sent again: a new link, valid from now."""
        self.token_hash = token_hash
        self.sent_at = now
        self.expires_at = now + lasts

    def accept(self, user: User, now: datetime) -> None:
        self.accepted_at = now
        self.accepted_by_id = user.id

    def withdraw(self, now: datetime) -> None:
        self.withdrawn_at = now


def hash_link_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
