"""Telling people: who is told what (recipients of each event), notifications written per
recipient as each prefers, what they follow, and reading them.

A notification for one or a few people is written in the transaction of the event itself, so it is
never lost; one for a whole school or district (parents and followers: thousands) is written by
a job after the commit (jobs.fan_out), once, whatever happens to the worker.
"""

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, bindparam, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from portal import audit, jobs
from portal.accounts.models import AUTHORITY_ROLES, Membership, Role, User
from portal.clock import utcnow
from portal.extensions import db
from portal.notifications import mail
from portal.notifications.models import (
    DEFAULT_DELIVERY,
    Announcement,
    Delivery,
    Follow,
    Kind,
    Notification,
    Preference,
)
from portal.schools.models import Authority, School

PAGE_SIZE = 20
INSERT_BATCH = 1000  # rows per INSERT: thousands of recipients in a few statements
UNREAD_SHOWN_MAX = 99  # the header says "99+" beyond: counting further costs more than it tells


@dataclass(frozen=True)
class Notice:
    """What to tell: the kind (for preferences), the event, where it points, plain values for the
    words, the school it belongs to (the digest groups by it)."""

    kind: Kind
    event: str
    endpoint: str
    url_args: dict
    params: dict
    school_id: int | None = None


# --- preferences --------------------------------------------------------------------------


def deliveries_for(user_ids: Iterable[int], kind: Kind) -> dict[int, Delivery]:
    """How each of these people wants `kind` delivered (one query, whatever their number)."""
    ids = list(user_ids)
    chosen = dict(
        db.session.execute(
            select(Preference.user_id, Preference.delivery).where(Preference.user_id.in_(ids), Preference.kind == kind)
        ).all()
    )
    return {ident: Delivery(chosen.get(ident, DEFAULT_DELIVERY[kind])) for ident in ids}


def kinds_for(user) -> list[Kind]:
    """The kinds a person can be told of, for their settings page: everyone's own feedback,
    responses, schools and outcomes; a school's staff also its inbox; moderators and the
    commission also what waits for moderators; staff also the consultations they drafted."""
    roles = {membership.role for membership in user.memberships}
    staff = bool(roles - {Role.PARENT})
    offered = {
        Kind.MY_CONSULTATIONS: staff,
        Kind.INBOX: bool(roles & {Role.BOARD_MEMBER, Role.SCHOOL_ADMIN}),
        Kind.MODERATION: bool(roles & {Role.MODERATOR, Role.COMMISSION_ADMIN}),
        Kind.SUPERVISION: Role.SUPERVISOR in roles,
        Kind.MY_DATA: False,
    }
    return [kind for kind in Kind if offered.get(kind, True)]


def preferences_of(user) -> dict[Kind, Delivery]:
    chosen = dict(
        db.session.execute(select(Preference.kind, Preference.delivery).where(Preference.user_id == user.id)).all()
    )
    return {kind: Delivery(chosen.get(kind, DEFAULT_DELIVERY[kind])) for kind in Kind}


def set_preferences(actor, user, data: dict) -> list[Kind]:
    """Save how `user` wants each kind (data: {kind value: delivery value}); returns what changed.
    Unknown kinds or deliveries are ignored (the form only offers the known ones)."""
    current = preferences_of(user)
    changed = []
    for kind in Kind:
        wanted = data.get(kind.value)
        if wanted not in {delivery.value for delivery in Delivery} or Delivery(wanted) == current[kind]:
            continue
        preference = db.session.get(Preference, (user.id, kind))
        if preference is None:
            db.session.add(Preference(user_id=user.id, kind=kind, delivery=Delivery(wanted)))
        else:
            preference.delivery = Delivery(wanted)
        changed.append(kind)
    db.session.flush()
    if changed:
        audit.record(
            actor,
            "notifications.preferences",
            user,
            **{kind.value: preferences_of(user)[kind].value for kind in changed},
        )
    return changed


def unsubscribe(actor, user, kind: Kind | None) -> list[Kind]:
    """Stop the mails a mail's unsubscribe link names: of `kind` (at once or in the digest), or
    with None the daily digest (every kind in it). The person is still told in the portal.
    Returns the kinds that changed (none: no such mail was going to them anyway)."""
    current = preferences_of(user)
    if kind is None:
        stopping = [each for each in Kind if current[each] == Delivery.DIGEST]
    else:
        stopping = [kind] if current[kind] in (Delivery.EMAIL, Delivery.DIGEST) else []
    return set_preferences(actor, user, {each.value: Delivery.PORTAL.value for each in stopping})


def person(user_id: int) -> User | None:
    return db.session.get(User, user_id)


# --- writing notifications ----------------------------------------------------------------


def notify(user_ids: Iterable[int], notice: Notice, *, exclude: int | None = None) -> int:
    """Write `notice` for each person (but `exclude`, who did it), as each prefers: nothing for
    "off"; otherwise a notification saying how they want it (in the portal only, by mail at once,
    or in the digest), for the mail jobs to pick up. Bulk inserts: a constant number of statements
    whatever the number of people. Returns how many want a mail at once."""
    ids = sorted({ident for ident in user_ids if ident is not None and ident != exclude})
    if not ids:
        return 0
    deliveries = deliveries_for(ids, notice.kind)
    now = utcnow()
    rows = [
        {
            "user_id": ident,
            "kind": notice.kind,
            "event": notice.event,
            "school_id": notice.school_id,
            "params": notice.params,
            "endpoint": notice.endpoint,
            "url_args": notice.url_args,
            "created_at": now,
            "delivery": deliveries[ident],
        }
        for ident in ids
        if deliveries[ident] != Delivery.OFF
    ]
    for start in range(0, len(rows), INSERT_BATCH):
        db.session.execute(insert(Notification), rows[start : start + INSERT_BATCH])
    return sum(1 for row in rows if row["delivery"] == Delivery.EMAIL)


def announce_once(key: str) -> bool:
    """True the first time `key` is announced, False ever after (a unique row, in the caller's
    transaction): what makes reminders, openings and digests happen once."""
    try:
        with db.session.begin_nested():
            db.session.add(Announcement(key=key[:120]))
    except IntegrityError:
        return False
    return True


# --- who: the audiences of events ---------------------------------------------------------


def school_staff(school_id: int) -> list[int]:
    """The school's admins and board members (they answer its feedback)."""
    return list(
        db.session.scalars(
            select(Membership.user_id)
            .where(Membership.school_id == school_id, Membership.role.in_([Role.SCHOOL_ADMIN, Role.BOARD_MEMBER]))
            .distinct()
        )
    )


def moderators_of(authority: Authority) -> list[int]:
    """The moderators and commission admins of the authority and of every authority above it."""
    above = [int(part) for part in authority.path.strip("/").split("/") if part]
    return list(
        db.session.scalars(
            select(Membership.user_id)
            .where(Membership.authority_id.in_(above), Membership.role.in_(list(AUTHORITY_ROLES)))
            .distinct()
        )
    )


def school_audience(school_ids: list[int]) -> list[int]:
    """Verified parents of these schools and everyone following one of them."""
    parents = select(Membership.user_id).where(Membership.school_id.in_(school_ids), Membership.role == Role.PARENT)
    followers = select(Follow.user_id).where(Follow.school_id.in_(school_ids))
    return list(db.session.scalars(parents.union(followers)))


def schools_under(authority: Authority) -> list[int]:
    return list(
        db.session.scalars(
            select(School.id).join(School.authority).where(Authority.path.startswith(authority.path, autoescape=True))
        )
    )


# --- following ----------------------------------------------------------------------------


@functools.cache
def _follows_query(subject: str) -> Select:
    # Built once, run with the ids: the follow button of a school's or a consultation's page runs
    # it on every visit (charters.services._school_with_charter_query says why).
    followed = Follow.school_id if subject == "school" else Follow.consultation_id
    return select(Follow.id).where(Follow.user_id == bindparam("user_id"), followed == bindparam("subject_id"))


def follows(user, *, school=None, consultation=None) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    if school is not None:
        query, subject_id = _follows_query("school"), school.id
    else:
        query, subject_id = _follows_query("consultation"), consultation.id
    return db.session.scalar(query, {"user_id": user.id, "subject_id": subject_id}) is not None


def follow(actor, *, school=None, consultation=None) -> None:
    """`actor` follows the school or the consultation (a second time changes nothing)."""
    if follows(actor, school=school, consultation=consultation):
        return
    try:
        with db.session.begin_nested():
            db.session.add(
                Follow(
                    user_id=actor.id,
                    school_id=getattr(school, "id", None),
                    consultation_id=getattr(consultation, "id", None),
                )
            )
    except IntegrityError:  # the same click twice at once: followed once
        pass


def unfollow(actor, *, school=None, consultation=None) -> None:
    condition = Follow.school_id == school.id if school is not None else Follow.consultation_id == consultation.id
    db.session.execute(delete(Follow).where(Follow.user_id == actor.id, condition))


def followed_by(user) -> list[Follow]:
    return list(
        db.session.scalars(
            select(Follow)
            .where(Follow.user_id == user.id)
            .options(joinedload(Follow.school), joinedload(Follow.consultation))
            .order_by(Follow.created_at.desc(), Follow.id.desc())
        )
    )


# --- reading ------------------------------------------------------------------------------


def notifications_of(user, *, before_id: int | None = None, limit: int = PAGE_SIZE) -> list[Notification]:
    """The person's notifications, newest first, `limit` at a time ("older" passes the last id
    seen): keyset pages on (user_id, id), so the thousandth page costs what the first does."""
    query = select(Notification).where(Notification.user_id == user.id)
    if before_id is not None:
        query = query.where(Notification.id < before_id)
    return list(db.session.scalars(query.order_by(Notification.id.desc()).limit(limit)))


@functools.cache
def _unread_count_query() -> Select:
    # Built once, run with the person's id: the header of every page someone logged in opens runs
    # it (charters.services._school_with_charter_query says why).
    unread = (
        select(Notification.id)
        .where(Notification.user_id == bindparam("user_id"), Notification.read_at.is_(None))
        .limit(UNREAD_SHOWN_MAX + 1)
        .subquery()
    )
    return select(func.count()).select_from(unread)


def unread_count(user) -> int:
    """How many unread notifications the person has, counted up to UNREAD_SHOWN_MAX + 1 (one
    query on the (user_id, read_at) index; the header shows "99+" beyond)."""
    return db.session.scalar(_unread_count_query(), {"user_id": user.id}) or 0


def notification_of(user, notification_id: int) -> Notification | None:
    return db.session.scalar(
        select(Notification).where(Notification.id == notification_id, Notification.user_id == user.id)
    )


def mark_read(actor, notification: Notification, now: datetime | None = None) -> None:
    if notification.read_at is None:
        notification.read_at = now or utcnow()
        db.session.flush()


def mark_all_read(actor, user, now: datetime | None = None) -> int:
    """Mark every unread notification of `user` read; returns how many."""
    result = db.session.execute(
        update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=now or utcnow())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


# --- telling ------------------------------------------------------------------------------


def tell(user_ids: Iterable[int], notice: Notice, *, exclude: int | None = None) -> int:
    """Write `notice` for these people as each prefers; when some want a mail at once, a job
    writes and sends the mails after the commit (the every-minute job would, too, if this one was
    lost). Returns how many mails are due."""
    due = notify(user_ids, notice, exclude=exclude)
    if due:
        jobs.after_commit(db.session, mail.deliver_mails)
    return due
