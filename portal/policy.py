"""The one place that answers "may this person do this to that?".

Deny by default: every endpoint needs a logged-in person unless it is in PUBLIC_ENDPOINTS,
and every action needs a rule in RULES. An object outside a person's scope does not exist
for them (404); one they can see but not change answers 403.
"""
from collections.abc import Callable

from flask import abort
from flask_login import AnonymousUserMixin

from portal.accounts.models import AUTHORITY_ROLES, Role
from portal.extensions import login_manager
from portal.schools.models import Authority, School

# Pages anyone may open without an account. Everything else sends a visitor to log in.
PUBLIC_ENDPOINTS = frozenset(
    {
        "static",
        "main.home",
        "main.healthz",
        "main.set_language",
        "accounts.login",
        "accounts.register",
        "accounts.check_email",
        "schools.index",
        "schools.show",
        "charters.current",
        "charters.versions",
        "charters.version",
        "charters.diff",
        "meetings.index",
        "meetings.show",
        "meetings.body",
        "meetings.calendar",
        "meetings.minutes_pdf",
        "charters.version_pdf",
        "decisions.index",
        "decisions.show",
        "decisions.pdf",
        "decisions.feed",
        "decisions.school_feed",
        "documents.verify",
    }
)

STAFF_ROLES = frozenset({Role.BOARD_MEMBER, Role.SCHOOL_ADMIN, Role.MODERATOR, Role.COMMISSION_ADMIN})


def roles_for_school(user, school: School) -> set[Role]:
    """The roles `user` holds that reach `school`: directly, or through an authority above it."""
    roles = set()
    if not getattr(user, "is_authenticated", False):
        return roles
    for membership in user.memberships:
        if membership.school_id == school.id:
            roles.add(membership.role)
        elif membership.role in AUTHORITY_ROLES and membership.authority.covers(school.authority):
            roles.add(membership.role)
    return roles


def roles_for_authority(user, authority: Authority) -> set[Role]:
    roles = set()
    if not getattr(user, "is_authenticated", False):
        return roles
    for membership in user.memberships:
        if membership.role in AUTHORITY_ROLES and membership.authority.covers(authority):
            roles.add(membership.role)
    return roles


def is_staff(user) -> bool:
    return getattr(user, "is_authenticated", False) and any(m.role in STAFF_ROLES for m in user.memberships)


def _has_school_role(*roles: Role) -> Callable[..., bool]:
    """A rule: the person holds one of `roles` reaching the school (directly or from above)."""
    wanted = frozenset(roles)

    def rule(user, school: School) -> bool:
        return bool(roles_for_school(user, school) & wanted)

    return rule


def _is_logged_in(user, obj=None) -> bool:
    return getattr(user, "is_authenticated", False) and user.is_active


def _may_read_draft_minutes(user, meeting) -> bool:
    """Draft minutes are for the body's own members and the school's staff (and the moderators
    and commission above it), never the public: they may still change."""
    if not _is_logged_in(user):
        return False
    if roles_for_school(user, meeting.school) & STAFF_ROLES:
        return True
    return any(member.user_id == user.id for member in meeting.body.members)


def _may_create_school(user, authority: Authority) -> bool:
    return Role.COMMISSION_ADMIN in roles_for_authority(user, authority)


def _is_commission_admin(user, obj=None) -> bool:
    return _is_logged_in(user) and any(m.role == Role.COMMISSION_ADMIN for m in user.memberships)


RULES: dict[str, Callable[..., bool]] = {
    "view_own_account": _is_logged_in,
    "redeem_invitation": _is_logged_in,
    # A school's own records: the charter and its bodies are the school admin's; meetings and
    # minutes are kept by the board members too. Commission staff oversee, they do not edit.
    "manage_school": _has_school_role(Role.BOARD_MEMBER, Role.SCHOOL_ADMIN),
    "manage_charter": _has_school_role(Role.SCHOOL_ADMIN),
    "manage_bodies": _has_school_role(Role.SCHOOL_ADMIN),
    "manage_meetings": _has_school_role(Role.BOARD_MEMBER, Role.SCHOOL_ADMIN),
    # Decisions are the board's: its members and the school admins draft and publish them.
    "manage_decisions": _has_school_role(Role.BOARD_MEMBER, Role.SCHOOL_ADMIN),
    "edit_school_profile": _has_school_role(Role.SCHOOL_ADMIN, Role.COMMISSION_ADMIN),
    "manage_invitations": _has_school_role(Role.SCHOOL_ADMIN, Role.COMMISSION_ADMIN),
    "read_draft_minutes": _may_read_draft_minutes,
    "create_school": _may_create_school,  # in this authority
    "add_schools": _is_commission_admin,  # somewhere: shows the "add a school" link
}

# Actions inside a school's management area (/schools/<slug>/manage/...).
MANAGEMENT_ACTIONS = frozenset(
    {
        "manage_school",
        "manage_charter",
        "manage_bodies",
        "manage_meetings",
        "manage_decisions",
        "edit_school_profile",
        "manage_invitations",
    }
)


def visible(user, action: str, obj) -> bool:
    """Whether `obj` exists for `user` when they try `action` on it.

    A school's management area is out of scope for staff of other schools and districts: they
    get 404, as if it did not exist, so staff accounts cannot map other schools' internals.
    Everyone else sees that the school exists (it is public) and is refused with 403."""
    if action in MANAGEMENT_ACTIONS and isinstance(obj, School) and is_staff(user):
        return bool(roles_for_school(user, obj) & STAFF_ROLES)
    return True


def can(user, action: str, obj=None) -> bool:
    rule = RULES.get(action)
    if rule is None:  # an action nobody wrote a rule for is refused, never allowed by accident
        return False
    return bool(rule(user, obj))


def require(user, action: str, obj=None) -> None:
    """Refuse the request unless `user` may do `action` to `obj`: visitors are sent to log in,
    an object out of scope is 404, a visible one without the right is 403."""
    if user is None or isinstance(user, AnonymousUserMixin) or not user.is_authenticated:
        abort(login_manager.unauthorized())
    if obj is not None and not visible(user, action, obj):
        abort(404)
    if not can(user, action, obj):
        abort(403)

