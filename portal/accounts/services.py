"""Accounts: registration, passwords, memberships and invitation codes.

Services flush and never commit: the caller commits once, so an audit event and the change
it describes are saved together or not at all.
"""

import logging
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from portal import audit
from portal.accounts.models import (
    EMAIL_MAX,
    PRIVACY_NOTICE_VERSION,
    AccountSession,
    Invitation,
    Membership,
    Role,
    User,
    hash_invitation_code,
    new_invitation_code,
    normalize_email,
)
from portal.clock import utcnow
from portal.domain import DomainError, Reason
from portal.extensions import db
from portal.schools.models import Authority, School
from portal.text import whole_number

_hasher = PasswordHasher()
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
    ALREADY_PARENT = "already_parent", _l("You are already a verified parent of this school."), "code"


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


def load_user_for_session(session_id: str) -> User | None:
    """Flask-Login's loader: "<id>:<session token>". The session must still exist (logout, "log
    out everywhere", a password change or reset delete it) and the account be active. One query:
    the person, their memberships and each scope joined in, with the session row."""
    user_id, _, token = (session_id or "").partition(":")
    user_id = whole_number(user_id)
    if user_id is None or not token:
        return None
    found = (
        db.session.execute(
            select(User, AccountSession)
            .join(AccountSession, AccountSession.user_id == User.id)
            .where(User.id == user_id, AccountSession.token == token)
            .options(
                # A person holds a handful of memberships, so the joined rows stay few.
                joinedload(User.memberships).options(
                    joinedload(Membership.school).joinedload(School.authority), joinedload(Membership.authority)
                )
            )
        )
        .unique()
        .one_or_none()
    )
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
    Refuses with EMAIL_TAKEN if the email exists in any case."""
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
    return user


def authenticate(email: str, password: str, *, ip_address: str | None = None) -> User | None:
    """The account for these credentials, or None. Every failure is audited; the caller shows
    one message whatever went wrong, so nobody learns whether an email has an account."""
    user = find_user_by_email(email)
    if password_matches(user, password) and user.active:
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
        .where(Invitation.id == invitation.id, Invitation.used_at.is_(None))
        .values(used_at=now, used_by_id=user.id)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        raise DomainError(AccountRefusal.USED_CODE)
    db.session.refresh(invitation)
    audit.record(user, "invitation.redeem", invitation, school_id=invitation.school_id)
    return grant_membership(user, user, Role.PARENT, invitation.school)


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
