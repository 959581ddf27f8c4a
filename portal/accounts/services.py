"""Accounts: registration, passwords, memberships, invitation codes, and the invitations that bring
new staff to the portal.

Services flush and never commit: the caller commits once, so an audit event and the change
it describes are saved together or not at all.
"""

import functools
import hashlib
import logging
import secrets
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import get_locale, gettext, pgettext
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import Select, bindparam, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from portal import audit, events
from portal.accounts.models import (
    EMAIL_MAX,
    PRIVACY_NOTICE_VERSION,
    AccountSession,
    Invitation,
    Membership,
    Role,
    StaffInvitation,
    User,
    hash_invitation_code,
    hash_link_token,
    new_invitation_code,
    normalize_email,
)
from portal.clock import utcnow
from portal.domain import DomainError, Reason
from portal.extensions import db
from portal.schools.models import Authority, School
from portal.text import whole_number
from portal.web import public_url

# argon2id at OWASP's password storage parameters (19 MiB, 2 passes, 1 lane): about a fifth of
# argon2-cffi's defaults (64 MiB, 3 passes), which took three quarters of the server's CPU when
# many people logged in at once (bench/login.py). Each hash carries its own parameters, so a hash
# made with others still verifies, and is made again with these at the next login (authenticate).
PASSWORD_HASHING = {"time_cost": 2, "memory_cost": 19 * 1024, "parallelism": 1, "type": Type.ID}
_hasher = PasswordHasher(**PASSWORD_HASHING)
# Verified against when the email is unknown, so a failed login takes as long either way
# and its timing does not reveal which emails have accounts.
_DUMMY_HASH = _hasher.hash("not a real password, only for timing")


class AccountRefusal(Reason):
    EMAIL_TAKEN = (
        "email_taken",
        _l("An account with this email address already exists. Log in instead, or use another address."),
        "email",
    )
    WRONG_PASSWORD = "wrong_password", _l("Your current password is not correct."), "current_password"
    SCOPE_MISMATCH = "scope_mismatch", _l("This role belongs to a school, or to an authority, not to the other.")
    UNKNOWN_CODE = "unknown", _l("This code is not known. Check it against the one your school gave you."), "code"
    USED_CODE = (
        "used",
        _l("This code has already been used. Each code works once: ask your school for a new one."),
        "code",
    )
    EXPIRED_CODE = "expired", _l("This code has expired. Ask your school for a new one."), "code"
    WITHDRAWN_CODE = "withdrawn", _l("Your school withdrew this code. Ask it for a new one."), "code"
    CODE_NOT_VALID = "code_not_valid", _l("This code was used or has ended already: there is nothing to withdraw.")
    ALREADY_PARENT = "already_parent", _l("You are already a verified parent of this school."), "code"
    STAFF_NAME = (
        "staff_name",
        _l(
            "This name is already used by a member of staff. Please choose another, so that nobody mistakes you "
            "for them."
        ),
        "display_name",
    )
    ROLE_WORD = (
        "role_word",
        _l("A role alone cannot be a display name. Please enter the name others will know you by."),
        "display_name",
    )
    LINK_EXPIRED = (
        "link_expired",
        _l("This link has expired. Links in our emails work for a limited time: ask for a new one below."),
    )
    LINK_INVALID = (
        "link_invalid",
        _l("This link is not valid. Check that you opened the whole link from the email, or ask for a new one."),
    )
    LINK_USED = (
        "link_used",
        _l("This link has already been used. Each link works once: log in, or ask for a new link."),
    )
    # A school's staff are appointed by the commission from the accounts people made themselves.
    OWN_ROLE = "own_role", _l("You cannot remove your own role. Another commission administrator can.")
    # Staff invitations (the link mailed to an address no account used when it was sent).
    INVITATION_WITHDRAWN = (
        "invitation_withdrawn",
        _l("This invitation was withdrawn. If you expected it, ask the commission that sent it."),
    )
    INVITATION_EXPIRED = (
        "invitation_expired",
        _l("This invitation has expired. Ask the commission that sent it to send it again."),
    )
    INVITATION_USED = (
        "invitation_used",
        _l("This invitation has already been accepted. Log in with the account that accepted it."),
    )
    INVITATION_OTHER_ACCOUNT = (
        "invitation_other_account",
        _l(
            "This invitation was sent to a different email address from your account's. Log out, then open "
            "the link again to accept it with the account of that address."
        ),
    )


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def password_matches(user: User | None, password: str) -> bool:
    try:
        return _hasher.verify(user.password_hash if user else _DUMMY_HASH, password) and user is not None
    except (VerificationError, InvalidHashError):
        return False


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalize_email(email)))


def email_is_taken(email: str) -> bool:
    return db.session.scalar(select(func.count()).where(User.email == normalize_email(email))) > 0


# --- sessions -------------------------------------------------------------------------------

# last_seen_at is written at most this often per session (not on every request).
SEEN_EVERY = timedelta(minutes=5)
DEVICE_MAX = 120


def describe_device(user_agent: str | None) -> str:
    """A few words for a browser's User-Agent, to tell one's devices apart: "Chrome · Android"."""
    agent = (user_agent or "").lower()
    browsers = [
        ("micromessenger", "WeChat"),
        ("edg/", "Edge"),
        ("firefox/", "Firefox"),
        ("chromium/", "Chromium"),
        ("chrome/", "Chrome"),
        ("safari/", "Safari"),
    ]
    systems = [
        ("harmonyos", "HarmonyOS"),
        ("android", "Android"),
        ("iphone", "iPhone"),
        ("ipad", "iPad"),
        ("windows", "Windows"),
        ("mac os", "macOS"),
        ("linux", "Linux"),
    ]
    browser = next((name for key, name in browsers if key in agent), "")
    system = next((name for key, name in systems if key in agent), "")
    described = " · ".join(part for part in (browser, system) if part)
    return (described or (user_agent or "").strip())[:DEVICE_MAX]


def ip_prefix(address: str | None) -> str:
    """The network a session came from, not the address: IPv4 /24 ("203.0.113.x"), IPv6 /48."""
    import ipaddress

    try:
        ip = ipaddress.ip_address((address or "").strip())
    except ValueError:
        return ""
    if ip.version == 4:
        return ".".join(str(ip).split(".")[:3]) + ".x"
    return str(ipaddress.ip_network(f"{ip}/48", strict=False))


def start_session(user: User, *, user_agent: str | None = None, address: str | None = None, remember=False) -> str:
    """A new logged-in session for `user` (at login): its token goes into Flask-Login's session
    and remember cookie through user.get_id()."""
    record = AccountSession(
        user_id=user.id, device=describe_device(user_agent), ip_prefix=ip_prefix(address), remember=bool(remember)
    )
    db.session.add(record)
    db.session.flush()
    user.session_token = record.token
    return record.token


@functools.cache
def _session_user_query() -> Select:
    # Built once, run with the id and the token: every page someone logged in opens runs it
    # (charters.services._school_with_charter_query says why).
    return (
        select(User, AccountSession)
        .join(AccountSession, AccountSession.user_id == User.id)
        .where(User.id == bindparam("user_id"), AccountSession.token == bindparam("token"))
        .options(
            # A person holds a handful of memberships, so the joined rows stay few.
            joinedload(User.memberships).options(
                joinedload(Membership.school).joinedload(School.authority), joinedload(Membership.authority)
            )
        )
    )


def load_user_for_session(session_id: str) -> User | None:
    """Flask-Login's loader: "<id>:<session token>". The session must still exist (logout, "log
    out everywhere", a password change or reset delete it) and the account be active. One query:
    the person, their memberships and each scope joined in, with the session row."""
    user_id, _, token = (session_id or "").partition(":")
    user_id = whole_number(user_id)
    if user_id is None or not token:
        return None
    found = db.session.execute(_session_user_query(), {"user_id": user_id, "token": token}).unique().one_or_none()
    if found is None:
        return None
    user, record = found
    if not user.active:
        return None
    user.session_token = token
    now = utcnow()
    if now - record.last_seen_at > SEEN_EVERY:
        _seen(record.id, now)
    return user


def _seen(session_id: int, now: datetime) -> None:
    """When the session was last used: written now and then, on a connection of its own (a
    write from the start, so on SQLite it waits its turn rather than upgrading a read), and
    best effort: a busy database never costs the person their page."""
    try:
        with db.engine.begin() as connection:
            sqlite = connection.dialect.name == "sqlite"
            if sqlite:  # a quarter of a second at most, not the writers' full wait
                connection.exec_driver_sql("PRAGMA busy_timeout = 250")
            try:
                connection.execute(
                    update(AccountSession).where(AccountSession.id == session_id).values(last_seen_at=now)
                )
            finally:
                if sqlite:
                    waited = int(current_app.config["PORTAL_SQLITE_BUSY_SECONDS"] * 1000)
                    connection.exec_driver_sql(f"PRAGMA busy_timeout = {waited}")
    except Exception:  # noqa: BLE001 - a missed "last seen" is harmless; the page matters
        logging.getLogger(__name__).warning("could not record when session %s was last seen", session_id)


def sessions_of(user: User) -> list[AccountSession]:
    """The person's logged-in devices, the most recently seen first."""
    return list(
        db.session.scalars(
            select(AccountSession)
            .where(AccountSession.user_id == user.id)
            .order_by(AccountSession.last_seen_at.desc(), AccountSession.id.desc())
        )
    )


def end_session(actor: User, user: User, session_id: int) -> bool:
    """Log out one of `user`'s devices (by the session's id); False if it is not theirs or gone."""
    ended = db.session.execute(
        delete(AccountSession).where(AccountSession.id == session_id, AccountSession.user_id == user.id)
    ).rowcount
    if ended:
        audit.record(actor, "user.session_end", user)
    db.session.flush()
    return bool(ended)


def end_sessions(actor: User | None, user: User, *, keep_token: str | None = None, action="user.logout_everywhere"):
    """Log out every device of `user` (but the one whose token is `keep_token`); how many."""
    statement = delete(AccountSession).where(AccountSession.user_id == user.id)
    if keep_token:
        statement = statement.where(AccountSession.token != keep_token)
    ended = db.session.execute(statement).rowcount or 0
    if action:
        audit.record(actor, action, user, sessions=ended)
    db.session.flush()
    return ended


def log_out(user: User) -> None:
    """The person logs out: this session ends (its cookie, copied or not, opens nothing)."""
    if user.session_token:
        db.session.execute(
            delete(AccountSession).where(AccountSession.user_id == user.id, AccountSession.token == user.session_token)
        )
        db.session.flush()


def remembered_for() -> timedelta:
    """How long "keep me logged in" keeps someone logged in on a device: the remember cookie's
    lifetime (Flask-Login's REMEMBER_COOKIE_DURATION, a timedelta or seconds; a year unset)."""
    remembered = current_app.config.get("REMEMBER_COOKIE_DURATION") or timedelta(days=365)
    return remembered if isinstance(remembered, timedelta) else timedelta(seconds=float(remembered))


def forget_stale_sessions(now: datetime, *, idle: timedelta, remembered: timedelta) -> int:
    """Delete sessions nobody used for `idle` (or `remembered` for "keep me logged in" ones)."""
    result = db.session.execute(
        delete(AccountSession).where(
            ((AccountSession.remember.is_(False)) & (AccountSession.last_seen_at < now - idle))
            | (AccountSession.last_seen_at < now - remembered)
        )
    )
    db.session.flush()
    return result.rowcount or 0


def register_user(
    *,
    email: str,
    display_name: str,
    password: str,
    language: str | None,
    ip_address: str | None = None,
    privacy_version: str = PRIVACY_NOTICE_VERSION,
) -> User:
    """Create an account, recording the privacy notice accepted (the one in force unless told).
    Refuses with EMAIL_TAKEN if the email exists in any case. The staff roles the address was
    invited to (and that are still open) become the account's: every caller has proved the address
    (a registration or invitation link), or is the command line."""
    email = normalize_email(email)
    # Hashed (on purpose slow) before the first query: on SQLite a registration holds the write
    # lock from its first query to its commit, and others wait for it meanwhile.
    password_hash = hash_password(password)
    if email_is_taken(email):
        raise DomainError(AccountRefusal.EMAIL_TAKEN)
    user = User(
        email=email,
        display_name=display_name.strip(),
        password_hash=password_hash,
        language=language,
        privacy_version=privacy_version,
    )
    try:
        # Two registrations with one email at the same moment: the unique index stops the second.
        with db.session.begin_nested():
            db.session.add(user)
            db.session.flush()
    except IntegrityError:
        raise DomainError(AccountRefusal.EMAIL_TAKEN) from None
    audit.record(user, "user.register", user, ip_address=ip_address)
    _take_up_invitations(user)
    return user


@dataclass(frozen=True)
class CheckedPassword:
    """What `check_password` found: the address asked, the account's password hash then (None:
    no account), and whether the password matched it."""

    email: str
    password_hash: str | None
    matched: bool


def check_password(email: str, password: str) -> CheckedPassword:
    """The costly half of logging in (argon2id: tens of milliseconds), which only reads: done
    before the request takes SQLite's write lock, then handed to `authenticate`."""
    user = find_user_by_email(email)
    matched = password_matches(user, password)
    return CheckedPassword(normalize_email(email), user.password_hash if user else None, matched)


def authenticate(
    email: str, password: str, *, ip_address: str | None = None, checked: CheckedPassword | None = None
) -> User | None:
    """The account for these credentials, or None. Every failure is audited; the caller shows
    one message whatever went wrong, so nobody learns whether an email has an account.
    `checked` (from check_password, earlier in the request) is used while the account's hash is
    still the one it was checked against; changed since (a new password), the password is
    checked again."""
    user = find_user_by_email(email)
    hash_now = user.password_hash if user is not None else None
    if checked is not None and checked.email == normalize_email(email) and checked.password_hash == hash_now:
        matched = checked.matched
    else:
        matched = password_matches(user, password)
    if matched and user.active:
        if _hasher.check_needs_rehash(user.password_hash):
            user.password_hash = hash_password(password)
        return user
    audit.record(
        user,
        "user.login_failed",
        user,
        ip_address=ip_address,
        email=normalize_email(email)[:EMAIL_MAX],
        reason="inactive" if user is not None and user.active is False else "credentials",
    )
    db.session.flush()
    return None


def update_profile(user: User, *, display_name: str, language: str | None) -> None:
    user.display_name = display_name.strip()
    user.language = language
    db.session.flush()


def change_password(user: User, *, current_password: str, new_password: str) -> None:
    """Refuses with WRONG_PASSWORD. Every other session of the account ends."""
    if not password_matches(user, current_password):
        raise DomainError(AccountRefusal.WRONG_PASSWORD)
    user.password_hash = hash_password(new_password)
    end_sessions(user, user, keep_token=user.session_token, action=None)
    audit.record(user, "user.password_change", user)
    db.session.flush()


def grant_membership(actor, user: User, role: Role, scope: School | Authority) -> Membership:
    """Give `user` the `role` in `scope` (a school for school roles, an authority otherwise).
    Granting a role the person already holds there returns the existing membership."""
    is_school = isinstance(scope, School)
    if role.scope_is_school != is_school:
        raise DomainError(AccountRefusal.SCOPE_MISMATCH)
    existing = db.session.scalar(
        select(Membership).where(
            Membership.user_id == user.id,
            Membership.role == role,
            (Membership.school_id if is_school else Membership.authority_id) == scope.id,
        )
    )
    if existing is not None:
        return existing
    membership = Membership(
        user=user,
        role=role,
        school=scope if is_school else None,
        authority=None if is_school else scope,
        granted_by_id=getattr(actor, "id", None),
    )
    db.session.add(membership)
    db.session.flush()
    audit.record(
        actor,
        "membership.grant",
        membership,
        school_id=scope.id if is_school else None,
        authority_id=None if is_school else scope.id,
        user_id=user.id,
        role=role.value,
    )
    return membership


# --- staff (the commission appoints them) ------------------------------------------------

# Who runs a school on the portal, and who moderates and administers for an authority, by rank.
SCHOOL_STAFF_ROLES = (Role.SCHOOL_ADMIN, Role.BOARD_MEMBER)
AUTHORITY_STAFF_ROLES = (Role.COMMISSION_ADMIN, Role.MODERATOR)


def staff_roles(scope: School | Authority) -> tuple[Role, ...]:
    return SCHOOL_STAFF_ROLES if isinstance(scope, School) else AUTHORITY_STAFF_ROLES


def _held_at(scope: School | Authority):
    return Membership.school_id == scope.id if isinstance(scope, School) else Membership.authority_id == scope.id


def staff_of(scope: School | Authority) -> list[Membership]:
    """The staff of a school (administrators, then board members) or of an authority (commission
    admins, then moderators; not those of the authorities below it), each by name."""
    roles = staff_roles(scope)
    staff = db.session.scalars(
        select(Membership).where(_held_at(scope), Membership.role.in_(roles)).options(joinedload(Membership.user))
    ).all()
    return sorted(staff, key=lambda m: (roles.index(m.role), m.user.display_name, m.id))


def staff_membership(scope: School | Authority, membership_id: int) -> Membership | None:
    """One of the staff roles held at `scope` (another place's, a parent's, a supervisor's: None)."""
    return db.session.scalar(
        select(Membership).where(
            Membership.id == membership_id, _held_at(scope), Membership.role.in_(staff_roles(scope))
        )
    )


@dataclass(frozen=True)
class Appointment:
    """What appointing did: the membership (new, or held already), or, for an address that no
    account uses, the invitation mailed to it (new, or sent again with a new link)."""

    membership: Membership | None = None
    invitation: StaffInvitation | None = None
    new: bool = True


def appoint_staff(actor, scope: School | Authority, data: dict, *, language: str | None = None) -> Appointment:
    """Give the account with `data["email"]` the staff role `data["role"]` at `scope` (a school's
    administrator or board member; an authority's commission admin or moderator). No account with
    that address: an invitation is mailed to it (in `language`), and the role is theirs once they
    have an account (invite_staff). SCOPE_MISMATCH for a role that is not this kind of place's.
    Audited ("membership.grant", or "staff_invitation.create") when something is new."""
    role = Role(data["role"])
    if role not in staff_roles(scope):
        raise DomainError(AccountRefusal.SCOPE_MISMATCH)
    user = find_user_by_email(data["email"])
    if user is None:
        return invite_staff(actor, scope, normalize_email(data["email"]), role, language=language)
    held = db.session.scalar(
        select(func.count()).where(Membership.user_id == user.id, Membership.role == role, _held_at(scope))
    )
    return Appointment(membership=grant_membership(actor, user, role, scope), new=not held)


# --- staff invitations (an address without an account) --------------------------------------

# The link in an invitation works this long; sending it again makes a new link, for as long.
STAFF_INVITATION_AGE = timedelta(days=14)
# Invitations nobody accepted are forgotten (the address with them) this long after they ended.
STAFF_INVITATION_KEPT = timedelta(days=90)


def _invitations_at(scope: School | Authority):
    if isinstance(scope, School):
        return StaffInvitation.school_id == scope.id
    return StaffInvitation.authority_id == scope.id


def invite_staff(
    actor, scope: School | Authority, email: str, role: Role, *, language: str | None, public_contact: str = ""
) -> Appointment:
    """Mail an invitation to `email` to take `role` at `scope` (a responsible supervisor's with the
    contact the school's page will show). If the same role here is already waiting for that
    address, that invitation is sent again (a new link, valid anew, the contact as given now)
    instead of a second one. Audited."""
    open_one = db.session.scalar(
        select(StaffInvitation).where(
            _invitations_at(scope),
            StaffInvitation.email == email,
            StaffInvitation.role == role,
            StaffInvitation.accepted_at.is_(None),
            StaffInvitation.withdrawn_at.is_(None),
        )
    )
    if open_one is not None:
        open_one.public_contact = public_contact
        resend_staff_invitation(actor, open_one, language=language)
        return Appointment(invitation=open_one, new=False)
    now = utcnow()
    token = secrets.token_urlsafe(24)
    invitation = StaffInvitation(
        email=email,
        role=role,
        school=scope if isinstance(scope, School) else None,
        authority=None if isinstance(scope, School) else scope,
        token_hash=hash_link_token(token),
        invited_by_id=getattr(actor, "id", None),
        created_at=now,
        sent_at=now,
        expires_at=now + STAFF_INVITATION_AGE,
        public_contact=public_contact,
    )
    db.session.add(invitation)
    db.session.flush()
    _mail_staff_invitation(actor, invitation, token, language)
    _audit_invitation(actor, "staff_invitation.create", invitation)
    return Appointment(invitation=invitation, new=True)


def resend_staff_invitation(actor, invitation: StaffInvitation, *, language: str | None) -> None:
    """Mail the invitation again, with a new link valid from now (the old link stops working):
    for an address that lost the mail, or an invitation that expired. Refuses one accepted
    (INVITATION_USED) or withdrawn (INVITATION_WITHDRAWN). Audited."""
    _refuse_if_ended(invitation)
    token = secrets.token_urlsafe(24)
    invitation.renew(hash_link_token(token), utcnow(), STAFF_INVITATION_AGE)
    db.session.flush()
    _mail_staff_invitation(actor, invitation, token, language)
    _audit_invitation(actor, "staff_invitation.resend", invitation)


def withdraw_staff_invitation(actor, invitation: StaffInvitation) -> None:
    """The invitation's link stops working and it leaves the staff page. Refuses one accepted
    (INVITATION_USED: remove the role instead) or already withdrawn. Audited."""
    _refuse_if_ended(invitation)
    invitation.withdraw(utcnow())
    db.session.flush()
    _audit_invitation(actor, "staff_invitation.withdraw", invitation)


def _refuse_if_ended(invitation: StaffInvitation) -> None:
    if invitation.accepted_at is not None:
        raise DomainError(AccountRefusal.INVITATION_USED)
    if invitation.withdrawn_at is not None:
        raise DomainError(AccountRefusal.INVITATION_WITHDRAWN)


def _audit_invitation(actor, action: str, invitation: StaffInvitation) -> None:
    audit.record(
        actor,
        action,
        invitation,
        school_id=invitation.school_id,
        authority_id=invitation.authority_id,
        email=invitation.email,
        role=invitation.role.value,
    )


def _mail_staff_invitation(actor, invitation: StaffInvitation, token: str, language: str | None) -> None:
    url = public_url("accounts.staff_invitation", token=token)
    inviter = getattr(actor, "display_name", None)
    scope, role = invitation.scope, invitation.role

    def build():
        place = scope.name(str(get_locale() or "zh"))
        invited = (
            gettext(
                "%(inviter)s invited you to take the role “%(role)s” at %(place)s on the school governance portal.",
                inviter=inviter,
                role=role.label,
                place=place,
            )
            if inviter
            else gettext(
                "You are invited to take the role “%(role)s” at %(place)s on the school governance portal.",
                role=role.label,
                place=place,
            )
        )
        return {
            "subject": gettext("Invitation: %(role)s, %(place)s", role=role.label, place=place),
            "name": "",
            "paragraphs": [
                invited,
                gettext(
                    "Open the link to create your account with this email address: the role is then yours. "
                    "If you already made an account with this address, the link asks you to log in."
                ),
            ],
            "link_label": gettext("Accept the invitation"),
            "url": url,
            "note": gettext("The link works for 14 days."),
            "footer": gettext(
                "If you did not expect this invitation, you can ignore this email: no account is made without you."
            ),
        }

    _account_mail(invitation.email, language, user=None, build=build)


def invitation_words(appointed: Appointment) -> str:
    """What the staff page says when appointing mailed an invitation (new, or sent again)."""
    invitation = appointed.invitation
    if appointed.new:
        return gettext(
            "No account uses %(email)s yet, so an invitation was emailed to it (role: %(role)s). "
            "The role is theirs once they create their account from it.",
            email=invitation.email,
            role=invitation.role.label,
        )
    return gettext(
        "%(email)s was already invited (role: %(role)s). The invitation was sent again, with a new link.",
        email=invitation.email,
        role=invitation.role.label,
    )


def resent_words(invitation: StaffInvitation) -> str:
    return gettext("The invitation was sent again to %(email)s, with a new link.", email=invitation.email)


def withdrawn_words(invitation: StaffInvitation) -> str:
    return gettext("The invitation to %(email)s was withdrawn: its link no longer works.", email=invitation.email)


def open_invitations_query(*where) -> Select:
    """The invitations that nobody accepted and nobody withdrew (expired ones too: they can be sent
    again), newest first, with who sent them."""
    return (
        select(StaffInvitation)
        .where(StaffInvitation.accepted_at.is_(None), StaffInvitation.withdrawn_at.is_(None), *where)
        .options(joinedload(StaffInvitation.invited_by))
        .order_by(StaffInvitation.sent_at.desc(), StaffInvitation.id.desc())
    )


def pending_staff_invitations(scope: School | Authority) -> list[StaffInvitation]:
    """The open invitations to the staff roles of `scope` (a school's supervisors are the
    authority's business: supervision.services)."""
    return db.session.scalars(
        open_invitations_query(_invitations_at(scope), StaffInvitation.role.in_(staff_roles(scope)))
    ).all()


def staff_invitation_of(scope: School | Authority, invitation_id: int) -> StaffInvitation | None:
    """One of `scope`'s invitations to a staff role (another place's, a supervisor's: None)."""
    return db.session.scalar(
        select(StaffInvitation).where(
            StaffInvitation.id == invitation_id,
            _invitations_at(scope),
            StaffInvitation.role.in_(staff_roles(scope)),
        )
    )


def read_staff_invitation(token: str, *, now: datetime | None = None) -> StaffInvitation:
    """The invitation a link names, while it can be accepted. Refuses with LINK_INVALID (no such
    link, or one replaced by a newer mail), INVITATION_USED, INVITATION_WITHDRAWN or
    INVITATION_EXPIRED."""
    invitation = None
    if token and len(token) <= 100:
        invitation = db.session.scalar(
            select(StaffInvitation).where(StaffInvitation.token_hash == hash_link_token(token))
        )
    if invitation is None:
        raise DomainError(AccountRefusal.LINK_INVALID)
    status = invitation.status(now or utcnow())
    if status != "pending":
        raise DomainError(
            {
                "accepted": AccountRefusal.INVITATION_USED,
                "withdrawn": AccountRefusal.INVITATION_WITHDRAWN,
                "expired": AccountRefusal.INVITATION_EXPIRED,
            }[status]
        )
    return invitation


def accept_staff_invitation(user: User, invitation: StaffInvitation) -> Membership:
    """The invited person, logged in with the account of the invitation's address, takes the role.
    Refuses an account of another address (INVITATION_OTHER_ACCOUNT), and an invitation that can
    no longer be accepted. The role counts as granted by the one who invited. Audited."""
    if normalize_email(user.email) != invitation.email:
        raise DomainError(AccountRefusal.INVITATION_OTHER_ACCOUNT)
    _refuse_if_ended(invitation)
    if invitation.status(utcnow()) == "expired":
        raise DomainError(AccountRefusal.INVITATION_EXPIRED)
    return _take_up(user, invitation)


def _take_up(user: User, invitation: StaffInvitation) -> Membership:
    invitation.accept(user, utcnow())
    membership = grant_membership(invitation.invited_by, user, invitation.role, invitation.scope)
    if invitation.role == Role.SUPERVISOR:
        membership.public_contact = invitation.public_contact
    _audit_invitation(user, "staff_invitation.accept", invitation)
    return membership


def _take_up_invitations(user: User) -> list[Membership]:
    """Every open invitation to the address of a new account (whose address a link proved), taken
    up: the person made their account from a registration link rather than the invitation's."""
    now = utcnow()
    waiting = db.session.scalars(
        select(StaffInvitation).where(
            StaffInvitation.email == user.email,
            StaffInvitation.accepted_at.is_(None),
            StaffInvitation.withdrawn_at.is_(None),
            StaffInvitation.expires_at > now,
        )
    ).all()
    return [_take_up(user, invitation) for invitation in waiting]


def forget_old_staff_invitations(now: datetime, *, kept: timedelta = STAFF_INVITATION_KEPT) -> int:
    """Delete the invitations that ended without an account (withdrawn, or expired) more than
    `kept` ago: the address of someone who never joined is not kept for ever. Accepted ones stay
    (the account has the address anyway). The audit log keeps what was done."""
    result = db.session.execute(
        delete(StaffInvitation).where(
            StaffInvitation.accepted_at.is_(None),
            ((StaffInvitation.withdrawn_at < now - kept) | (StaffInvitation.expires_at < now - kept)),
        )
    )
    db.session.flush()
    return result.rowcount or 0


def others_in_role(membership: Membership) -> int:
    """How many others hold the same staff role at the same place."""
    return db.session.scalar(
        select(func.count()).where(
            _held_at(membership.scope), Membership.role == membership.role, Membership.id != membership.id
        )
    )


def remove_staff(actor, membership: Membership) -> None:
    """Take the staff role away (the account stays, with its other roles). Nobody removes their
    own (OWN_ROLE: another commission admin does, so that a place is never left by mistake with
    nobody to run it). Audited."""
    if membership.user_id == getattr(actor, "id", None):
        raise DomainError(AccountRefusal.OWN_ROLE)
    audit.record(
        actor,
        "membership.revoke",
        membership,
        school_id=membership.school_id,
        authority_id=membership.authority_id,
        user_id=membership.user_id,
        role=membership.role.value,
    )
    db.session.delete(membership)
    db.session.flush()


def create_invitations(
    actor, school: School, *, count: int, valid_days: int, note: str = ""
) -> list[tuple[Invitation, str]]:
    """Make `count` single-use codes for `school`. Returns each invitation with its code in
    clear: this is the only time the code exists outside the parent's hands."""
    now = utcnow()
    created = []
    for _ in range(count):
        code = new_invitation_code()
        invitation = Invitation(
            school=school,
            code_hash=hash_invitation_code(code),
            code_hint=code[-4:],
            note=note.strip(),
            created_by_id=actor.id,
            created_at=now,
            expires_at=now + timedelta(days=valid_days),
        )
        db.session.add(invitation)
        created.append((invitation, code))
    db.session.flush()
    audit.record(
        actor, "invitation.create", school, school_id=school.id, count=count, valid_days=valid_days, note=note.strip()
    )
    return created


def redeem_invitation(user: User, code: str, *, now: datetime | None = None) -> Membership:
    """Make `user` a verified parent of the code's school. Refuses with
    "unknown", "used", "expired" or "already_parent". A code works exactly once, even when
    two people send it at the same moment: the conditional update lets only one through."""
    now = now or utcnow()
    invitation = db.session.scalar(select(Invitation).where(Invitation.code_hash == hash_invitation_code(code)))
    if invitation is None:
        raise DomainError(AccountRefusal.UNKNOWN_CODE)
    if invitation.used_at is not None:
        raise DomainError(AccountRefusal.USED_CODE)
    if invitation.withdrawn_at is not None:
        raise DomainError(AccountRefusal.WITHDRAWN_CODE)
    if invitation.expires_at <= now:
        raise DomainError(AccountRefusal.EXPIRED_CODE)
    already = db.session.scalar(
        select(func.count()).where(
            Membership.user_id == user.id, Membership.role == Role.PARENT, Membership.school_id == invitation.school_id
        )
    )
    if already:
        raise DomainError(AccountRefusal.ALREADY_PARENT)
    claimed = db.session.execute(
        update(Invitation)
        .where(Invitation.id == invitation.id, Invitation.used_at.is_(None), Invitation.withdrawn_at.is_(None))
        .values(used_at=now, used_by_id=user.id)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        raise DomainError(AccountRefusal.USED_CODE)
    db.session.refresh(invitation)
    audit.record(user, "invitation.redeem", invitation, school_id=invitation.school_id)
    return grant_membership(user, user, Role.PARENT, invitation.school)


def invitation_of(school: School, invitation_id: int) -> Invitation | None:
    return db.session.scalar(
        select(Invitation).where(Invitation.id == invitation_id, Invitation.school_id == school.id)
    )


def withdraw_invitation(actor, invitation: Invitation, *, now: datetime | None = None) -> None:
    """The code verifies nobody from now on. Refuses one used, expired or withdrawn already
    (CODE_NOT_VALID). Audited."""
    now = now or utcnow()
    if invitation.status(now) != "valid":
        raise DomainError(AccountRefusal.CODE_NOT_VALID)
    invitation.withdrawn_at = now
    db.session.flush()
    audit.record(actor, "invitation.withdraw", invitation, school_id=invitation.school_id, hint=invitation.code_hint)


def recent_invitations(school: School, limit: int = 50) -> list[Invitation]:
    return list(
        db.session.scalars(
            select(Invitation)
            .where(Invitation.school_id == school.id)
            .options(selectinload(Invitation.used_by))
            .order_by(Invitation.created_at.desc(), Invitation.id.desc())
            .limit(limit)
        )
    )


# --- staff shown as staff -----------------------------------------------------------------

# The roles that make someone staff, each scope's highest first: a badge shows the highest a person
# holds at a school or an authority (a school admin who also sits on the board: the admin). A
# responsible supervisor (责任督学) is staff too: their name is on every school page they supervise.
STAFF_RANK = {
    Role.SCHOOL_ADMIN: 0,
    Role.BOARD_MEMBER: 1,
    Role.COMMISSION_ADMIN: 0,
    Role.MODERATOR: 1,
    Role.SUPERVISOR: 0,
}


@dataclass(frozen=True)
class StaffBadge:
    """What a staff member's name carries wherever it appears: the role and where it is held
    ("校务委员 · 解放路小学", "渝中区教育委员会 审核员"), from memberships, which no one can type."""

    role: Role
    place_zh: str
    place_en: str
    at_school: bool = True  # the place is a school (else an authority: a district, the city)

    def __str__(self) -> str:
        english = str(get_locale() or "zh").startswith("en")
        place = self.place_en if english else self.place_zh
        if self.at_school:
            return pgettext("staff badge", "%(role)s · %(school)s", role=_badge_role(self.role), school=place)
        return pgettext("staff badge", "%(role)s, %(authority)s", role=_badge_role(self.role), authority=place)


def _badge_role(role: Role) -> str:
    # Shorter than the role's own label: a badge sits beside a name, on a phone too.
    words = {
        Role.BOARD_MEMBER: pgettext("staff badge", "Board member"),
        Role.SCHOOL_ADMIN: pgettext("staff badge", "School administrator"),
        Role.MODERATOR: pgettext("staff badge", "Moderator"),
        Role.COMMISSION_ADMIN: pgettext("staff badge", "Administrator"),
        Role.SUPERVISOR: pgettext("staff badge", "Responsible supervisor"),
    }
    return words[role]


def staff_badges(user_ids: Iterable[int | None]) -> dict[int, list[StaffBadge]]:
    """The staff badges of each of `user_ids` that is staff (people who are not are absent): one
    query however many people, none when there are none. Pages load them with their list and pass
    them to the template's staff_badge macro (templates/macros/people.html)."""
    ids = sorted({user_id for user_id in user_ids if user_id is not None})
    if not ids:
        return {}
    return badges_of_memberships(db.session.scalars(_staff_memberships_query(), {"user_ids": ids}))


@functools.cache
def _staff_memberships_query() -> Select:
    # Built once, run with the people's ids (an expanding parameter): the consultation's page and
    # the lists of answers ask on every visit (charters.services._school_with_charter_query says why).
    return (
        select(Membership)
        .where(Membership.user_id.in_(bindparam("user_ids", expanding=True)), Membership.role.in_(list(STAFF_RANK)))
        .options(
            joinedload(Membership.school).joinedload(School.authority),
            joinedload(Membership.authority),
        )
        .order_by(Membership.user_id, Membership.id)
    )


def badges_of_memberships(memberships: Iterable[Membership]) -> dict[int, list[StaffBadge]]:
    """The staff badges that `memberships` (loaded with their school and authority) give their
    holders, without a query: staff_badges for the people of a page, or a page that already holds
    the memberships it shows (the school page's supervisors)."""
    best: dict[tuple[int, str, int], Membership] = {}
    for membership in memberships:
        if membership.role not in STAFF_RANK:
            continue
        key = (membership.user_id, *_badge_place_key(membership))
        held = best.get(key)
        if held is None or STAFF_RANK[membership.role] < STAFF_RANK[held.role]:
            best[key] = membership
    badges: dict[int, list[StaffBadge]] = {}
    # A school's roles first (the nearer), then the authorities', each in the order granted.
    for membership in sorted(best.values(), key=lambda m: (m.user_id, _badge_place_key(m)[0] != "school", m.id)):
        badges.setdefault(membership.user_id, []).append(_badge(membership))
    return badges


def _badge_place_key(membership: Membership) -> tuple[str, int]:
    # A supervisor holds one membership per school, all of one district's supervision office: one
    # badge naming the district, not one per school beside every answer they give.
    if membership.role == Role.SUPERVISOR:
        return ("supervision", membership.school.authority_id)
    return ("school", membership.school_id) if membership.school_id else ("authority", membership.authority_id)


def _badge(membership: Membership) -> StaffBadge:
    if membership.role == Role.SUPERVISOR:
        district = membership.school.authority
        return StaffBadge(membership.role, district.name_zh, district.name_en, at_school=False)
    scope = membership.scope
    return StaffBadge(membership.role, scope.name_zh, scope.name_en, at_school=membership.school_id is not None)


# Words that name a role: alone, they would make anyone look like staff. Compared normalised.
ROLE_WORDS = (
    "管理员",
    "审核员",
    "校长",
    "副校长",
    "教委",
    "教育委员会",
    "教育局",
    "校务委员",
    "督学",
    "版主",
    "客服",
    "官方",
    "系统",
    "admin",
    "administrator",
    "moderator",
    "principal",
    "staff",
    "official",
    "system",
)


def comparable_name(name: str) -> str:
    """A display name as two people could be confused by it: NFKC (full-width letters as ASCII),
    case folded, and without spaces, punctuation or invisible characters, so "市教委管理员 王敏",
    "市教委管理员·王敏" and "市教委管理员\u200b王敏" are one name."""
    folded = unicodedata.normalize("NFKC", name or "").casefold()
    return "".join(ch for ch in folded if unicodedata.category(ch)[0] not in "ZPC")


_ROLE_WORDS = frozenset(comparable_name(word) for word in ROLE_WORDS)


def display_name_refusal(name: str, *, user_id: int | None = None) -> AccountRefusal | None:
    """Why `name` cannot be a display name (of the person `user_id`, None when registering), or
    None: a role word alone (ROLE_WORD), or the name of a member of staff other than that person
    (STAFF_NAME). Staff are few (hundreds): their names are compared here, normalised."""
    wanted = comparable_name(name)
    if not wanted:
        return None  # the field's own validators ask for a name
    if wanted in _ROLE_WORDS:
        return AccountRefusal.ROLE_WORD
    staff = select(User.id, User.display_name).where(
        User.id.in_(select(Membership.user_id).where(Membership.role.in_(list(STAFF_RANK))))
    )
    if user_id is not None:
        staff = staff.where(User.id != user_id)
    if any(comparable_name(display_name) == wanted for _id, display_name in db.session.execute(staff)):
        return AccountRefusal.STAFF_NAME
    return None


# --- verifying an address, resetting a password ----------------------------------------------

# A registration link works for a day, and once: the account then exists. A reset link works
# for an hour, and once: it is bound to the password it replaces.
REGISTRATION_LINK_AGE = timedelta(hours=24)
RESET_LINK_AGE = timedelta(hours=1)


def _tokens(purpose: str) -> URLSafeTimedSerializer:
    # The salt keeps one purpose's token from being read as another's (an unsubscribe link is
    # never a registration link).
    return URLSafeTimedSerializer(current_app.secret_key, salt=f"portal-{purpose}")


def _password_fingerprint(user: User) -> str:
    """A short digest of the stored hash: a reset link carries it, so it dies once the password
    changes (whether by that link or otherwise), without revealing anything about the hash."""
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:20]


def registration_token(email: str) -> str:
    return _tokens("register").dumps({"e": normalize_email(email), "p": "register"})


def reset_token(user: User) -> str:
    return _tokens("password-reset").dumps({"u": user.id, "h": _password_fingerprint(user), "p": "reset"})


def read_registration_token(token: str, *, now: datetime | None = None) -> str:
    """The address a genuine registration link was sent to. Refuses with LINK_EXPIRED,
    LINK_INVALID, or LINK_USED once that address has an account."""
    serializer = _tokens("register")
    try:
        payload = serializer.loads(token, max_age=int(REGISTRATION_LINK_AGE.total_seconds()))
        email = payload["e"] if payload.get("p") == "register" else None
    except SignatureExpired:
        raise DomainError(AccountRefusal.LINK_EXPIRED) from None
    except (BadSignature, KeyError, TypeError, AttributeError):
        raise DomainError(AccountRefusal.LINK_INVALID) from None
    if not isinstance(email, str) or not email or len(email) > EMAIL_MAX:
        raise DomainError(AccountRefusal.LINK_INVALID)
    if email_is_taken(email):
        raise DomainError(AccountRefusal.LINK_USED)
    return email


def read_reset_token(token: str) -> User:
    """The account of a genuine reset link whose password has not changed since it was sent.
    Refuses with LINK_EXPIRED, LINK_INVALID, or LINK_USED (the password changed since)."""
    try:
        payload = _tokens("password-reset").loads(token, max_age=int(RESET_LINK_AGE.total_seconds()))
        user_id, fingerprint = whole_number(str(payload["u"])), payload["h"]
        if payload.get("p") != "reset":
            raise KeyError("p")
    except SignatureExpired:
        raise DomainError(AccountRefusal.LINK_EXPIRED) from None
    except (BadSignature, KeyError, TypeError, AttributeError):
        raise DomainError(AccountRefusal.LINK_INVALID) from None
    user = db.session.get(User, user_id) if user_id is not None else None
    if user is None or not user.active:
        raise DomainError(AccountRefusal.LINK_INVALID)
    if fingerprint != _password_fingerprint(user):
        raise DomainError(AccountRefusal.LINK_USED)
    return user


def _account_mail(to_address: str, language: str | None, *, user: User | None, build) -> None:
    """A mail of the account's own, announced: the notifications feature (which keeps the mail
    queue) writes it in this transaction, and a job sends it after the commit."""
    events.emit(
        "account.mail_requested", user, None, to_address=to_address, language=language, template="account", build=build
    )


def request_registration(email: str, *, language: str | None, ip_address: str | None = None) -> None:
    """Someone asks to register with `email`: a mail goes to that address, and the caller shows the
    same words whatever it holds. Unknown address: a link (a day, once) to choose a name and a
    password. Known address: a mail saying an account exists, with a link to reset its password.
    Who asked is audited either way (the address, not whether it is known)."""
    email = normalize_email(email)
    user = find_user_by_email(email)
    if user is None or not user.active:
        url = public_url("accounts.complete_registration", token=registration_token(email))

        def build():
            return {
                "subject": gettext("Finish creating your account"),
                "name": "",
                "paragraphs": [
                    gettext("Someone, probably you, asked to create an account on the portal with this email address."),
                    gettext("Open the link to choose your display name and password. Your account is then ready."),
                ],
                "link_label": gettext("Finish creating your account"),
                "url": url,
                "note": gettext("The link works once, for 24 hours."),
            }

        _account_mail(email, language, user=None, build=build)
    else:
        reset_url = public_url("accounts.reset_password", token=reset_token(user))

        def build():
            return {
                "subject": gettext("You already have an account"),
                "name": user.display_name,
                "paragraphs": [
                    gettext(
                        "Someone, probably you, asked to create an account with this email address, "
                        "but it already has one."
                    ),
                    gettext(
                        "Log in with your password. If you have forgotten it, choose a new one with the link below."
                    ),
                ],
                "link_label": gettext("Choose a new password"),
                "url": reset_url,
                "note": gettext("The link works once, for one hour."),
            }

        _account_mail(user.email, user.language or language, user=user, build=build)
    audit.record(user, "user.registration_mail", user, ip_address=ip_address, email=email[:EMAIL_MAX])
    db.session.flush()


def request_password_reset(email: str, *, language: str | None, ip_address: str | None = None) -> None:
    """Someone asks to reset the password of `email`: if it has an account, a mail with a link
    (an hour, once) goes to it; otherwise nothing is sent. The caller shows the same words either
    way, so nobody learns which addresses have accounts."""
    email = normalize_email(email)
    user = find_user_by_email(email)
    if user is not None and user.active:
        url = public_url("accounts.reset_password", token=reset_token(user))

        def build():
            return {
                "subject": gettext("Choose a new password"),
                "name": user.display_name,
                "paragraphs": [
                    gettext("Someone, probably you, asked to reset the password of your account on the portal."),
                    gettext(
                        "Open the link to choose a new password. "
                        "Every device logged in to your account is then logged out."
                    ),
                ],
                "link_label": gettext("Choose a new password"),
                "url": url,
                "note": gettext("The link works once, for one hour."),
            }

        _account_mail(user.email, user.language or language, user=user, build=build)
    audit.record(user, "user.password_reset_request", user, ip_address=ip_address, email=email[:EMAIL_MAX])
    db.session.flush()


def reset_password(user: User, *, new_password: str, ip_address: str | None = None) -> int:
    """Set a new password from a reset link: every session of the account ends (a thief logged in
    elsewhere is out), and the link, bound to the old password, works no more. Returns how many
    sessions ended."""
    user.password_hash = hash_password(new_password)
    ended = end_sessions(user, user, action=None)
    audit.record(user, "user.password_reset", user, ip_address=ip_address, sessions=ended)
    db.session.flush()
    return ended
