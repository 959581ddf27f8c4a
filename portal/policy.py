"""The one place that answers "may this person do this to that?", and says why not.

Deny by default: every endpoint needs a logged-in person unless it is in PUBLIC_ENDPOINTS,
and every action needs a rule in RULES. An object outside a person's scope does not exist
for them (404); one they can see but not change answers 403.

`can()` answers yes or no; `check()` answers None or the Refusal that says why not (log in, not
found, blocked until…, not in the audience, not allowed); `require()` raises that Refusal, and
the error layer (portal/errors.py) renders it. Policy reads the schema only (portal.models).
"""

import functools
from collections.abc import Callable
from datetime import date, datetime
from enum import StrEnum

from flask import g, has_app_context
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import Select, bindparam, select

from portal.clock import today as local_today
from portal.clock import utcnow
from portal.extensions import db
from portal.i18n import TO_THE_MINUTE, format_datetime
from portal.models import (
    AUTHORITY_ROLES,
    Audience,
    Authority,
    Block,
    BodyMember,
    Consultation,
    GoverningBody,
    Meeting,
    Role,
    School,
)

# Pages anyone may open without an account. Everything else sends a visitor to log in.
PUBLIC_ENDPOINTS = frozenset(
    {
        "static",
        "pages.home",
        "pages.healthz",
        "search.index",
        "pages.set_language",
        "transparency.signing_certificates",
        "pages.privacy",
        "pages.terms",
        "accounts.login",
        "accounts.register",
        "accounts.check_email",
        "accounts.registration_sent",
        "accounts.complete_registration",
        "accounts.request_password_reset",
        "accounts.password_reset_sent",
        "accounts.reset_password",
        "accounts.staff_invitation",
        "schools.index",
        "pages.school",
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
        "pages.verify",
        # The transparency log is for everyone, witnesses included (they post without an account).
        "transparency.checkpoint",
        "transparency.key",
        "transparency.entries",
        "transparency.proof",
        "transparency.consistency",
        "transparency.cosignatures",
        "transparency.decision_evidence",
        "transparency.charter_version_evidence",
        "transparency.minutes_evidence",
        "transparency.outcome_evidence",
        # The suggestion box explains itself to visitors and asks them to log in; sending needs an account.
        "feedback.new",
        # Approved consultations, their published responses, results, exports and outcome are
        # public; one not yet approved is not found for visitors (see _may_view_consultation).
        "consultations.index",
        "consultations.show",
        "consultations.responses",
        "consultations.export_csv",
        "consultations.export_json",
        "consultations.outcome_pdf",
        # The disclosure checklist is public: what each school published and what it owes.
        "disclosure.school",
        "disclosure.published",
        "disclosure.pdf",
        # A mail's unsubscribe link works without logging in (its signed token is the proof).
        "notifications.unsubscribe",
    }
)

STAFF_ROLES = frozenset({Role.BOARD_MEMBER, Role.SCHOOL_ADMIN, Role.MODERATOR, Role.COMMISSION_ADMIN})

# Roles held over a scope (schools or an authority's subtree): whoever holds one sees nothing of
# the management areas outside it (404). A responsible supervisor is scoped to their schools like
# the staff are: "a supervisor of one district sees nothing of another", as everywhere.
SCOPED_ROLES = STAFF_ROLES | {Role.SUPERVISOR}


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


def administered_authorities(user) -> list[Authority]:
    """The authorities `user` is a commission admin of (each with its subtree)."""
    if not _is_logged_in(user):
        return []
    return [m.authority for m in user.memberships if m.role == Role.COMMISSION_ADMIN and m.authority is not None]


def is_staff(user) -> bool:
    return getattr(user, "is_authenticated", False) and any(m.role in STAFF_ROLES for m in user.memberships)


def is_scoped(user) -> bool:
    """Whether `user` holds a role over a scope (staff, or a responsible supervisor): things
    outside that scope do not exist for them (404), where the public would be refused (403)."""
    return getattr(user, "is_authenticated", False) and any(m.role in SCOPED_ROLES for m in user.memberships)


def sees_authority(user, authority: Authority) -> bool:
    """Whether an authority's management pages exist for `user`. Staff of another district and a
    supervisor whose schools all lie outside `authority` do not find them (404); everyone else
    sees that they exist (and is refused 403 without the right)."""
    if not is_scoped(user):
        return True
    for membership in user.memberships:
        if membership.role in AUTHORITY_ROLES and membership.authority.covers(authority):
            return True
        if membership.role in SCOPED_ROLES and membership.school is not None:
            if authority.covers(membership.school.authority):
                return True
    # Only school staff and supervisors of schools elsewhere, or authority staff of elsewhere, remain;
    # school staff (board, admins) keep the 403 they had: they hold no authority-wide scope.
    return not any(m.role in AUTHORITY_ROLES or m.role == Role.SUPERVISOR for m in user.memberships)


def board_seats(user, school: School) -> list[BodyMember]:
    """The seats on `school`'s bodies linked to `user`'s account, current or not. Asked once per
    request and school (a page asks policy about each of its management sections)."""
    known = g.setdefault("_board_seats", {}) if has_app_context() else {}
    key = (user.id, school.id)
    if key not in known:
        known[key] = list(
            db.session.scalars(
                select(BodyMember)
                .join(GoverningBody, BodyMember.body_id == GoverningBody.id)
                .where(BodyMember.user_id == user.id, GoverningBody.school_id == school.id)
            )
        )
    return known[key]


def board_member_serves(user, school: School, body: GoverningBody | None = None, today: date | None = None) -> bool:
    """Whether `user`'s board-member role at `school` is in force today (the school's today), for
    `body`'s records when a body is given. The term lives on the seat (a BodyMember linked to the
    account), not on the role: once every linked seat's term has ended the person is a former
    member and acts as a member of the public, though nobody has yet removed the role; a body's
    records (its meetings, draft minutes) are kept only by those who sit on it now. An account
    given the role with no seat linked at the school has no term on record to end: the role
    stands until a school admin ends it."""
    seats = board_seats(user, school)
    if not seats:
        return True
    if body is not None:
        seats = [seat for seat in seats if seat.body_id == body.id]
    today = today or local_today()
    return any(seat.is_current(today) for seat in seats)


def roles_in_force(user, school: School, body: GoverningBody | None = None) -> set[Role]:
    """The roles `user` may act on at `school` (for `body`'s records, if given): those reaching it
    (roles_for_school), less a board member's role whose seat is not current (board_member_serves).
    Every rule that lets someone act on a school's records asks this; only the question "does this
    school's management area exist for them" (visible) asks roles_for_school, so a former member
    is refused (403), not told the area is not there."""
    roles = roles_for_school(user, school)
    if Role.BOARD_MEMBER in roles and not board_member_serves(user, school, body):
        roles.discard(Role.BOARD_MEMBER)
    return roles


def _has_school_role(*roles: Role) -> Callable[..., bool]:
    """A rule: the person holds one of `roles` reaching the school (directly or from above), in
    force today (a board member's term: roles_in_force)."""
    wanted = frozenset(roles)

    def rule(user, school: School) -> bool:
        return bool(roles_in_force(user, school) & wanted)

    return rule


def _is_logged_in(user, obj=None) -> bool:
    return getattr(user, "is_authenticated", False) and user.is_active


def _may_read_draft_minutes(user, meeting) -> bool:
    """Draft minutes are for the body's own members and the school's staff (and the moderators
    and commission above it), never the public: they may still change. A member counts only
    while their term runs (today, in the school's time zone): a former member is a member of the
    public again, and a future one is not yet sworn in."""
    if not _is_logged_in(user):
        return False
    if roles_in_force(user, meeting.school, meeting.body) & STAFF_ROLES:
        return True
    return is_serving_member(user, meeting.body)


def _may_keep_body_records(user, record) -> bool:
    """A body's meeting records (a Meeting, or the GoverningBody a new one is for) are kept by the
    school's admins, and by its board members while they sit on that body (roles_in_force): a
    former member no longer drafts its minutes nor changes its meetings."""
    body = record.body if isinstance(record, Meeting) else record
    return _is_logged_in(user) and bool(
        roles_in_force(user, body.school, body) & {Role.BOARD_MEMBER, Role.SCHOOL_ADMIN}
    )


def is_serving_member(user, body, today: date | None = None) -> bool:
    """Whether `user` holds a seat in `body` whose term covers `today` (default: the school's
    today). Rules that rest on sitting in a body ask this, never "has a member row"."""
    if not _is_logged_in(user):
        return False
    today = today or local_today()
    return any(member.user_id == user.id and member.is_current(today) for member in body.members)


def _may_read_feedback(user, feedback) -> bool:
    """Feedback is between its sender and the school: the sender, the school's staff, and the
    moderators and commission above it (who oversee; they do not answer). Nobody else opens an
    item, private or not: the school's page shows only the text and public answer of items that
    are not private, and never who sent them."""
    if not _is_logged_in(user):
        return False
    return feedback.author_id == user.id or bool(roles_in_force(user, feedback.school) & STAFF_ROLES)


def is_authority_staff(user) -> bool:
    """Whether `user` holds a moderator's or commission admin's role anywhere."""
    return _is_authority_staff(user)


def overseen_authorities(user) -> list[Authority]:
    """The authorities `user` moderates or administers (each with its subtree)."""
    if not _is_logged_in(user):
        return []
    return [m.authority for m in user.memberships if m.role in AUTHORITY_ROLES and m.authority is not None]


def _commission_admin_of(user, authority: Authority) -> bool:
    """A rule: the person is a commission admin of `authority` or of an authority above it."""
    return _is_logged_in(user) and Role.COMMISSION_ADMIN in roles_for_authority(user, authority)


def _may_create_school(user, authority: Authority) -> bool:
    return Role.COMMISSION_ADMIN in roles_for_authority(user, authority)


def _is_commission_admin(user, obj=None) -> bool:
    return _is_logged_in(user) and any(m.role == Role.COMMISSION_ADMIN for m in user.memberships)


def _is_authority_staff(user, obj=None) -> bool:
    return _is_logged_in(user) and any(m.role in AUTHORITY_ROLES for m in user.memberships)


def _consultation_staff_roles(user, consultation) -> set[Role]:
    """The roles `user` holds over a consultation's owner: the school (directly or from above),
    or, for an authority's consultation, that authority (from it or above it)."""
    if consultation.school is not None:
        return roles_for_school(user, consultation.school)
    return roles_for_authority(user, consultation.authority)


def _may_manage_consultation(user, consultation) -> bool:
    """Drafting and submitting: the school's admins; for an authority's consultation, the
    commission admins of that authority (or above)."""
    if not _is_logged_in(user):
        return False
    if consultation.school is not None:
        return Role.SCHOOL_ADMIN in roles_for_school(user, consultation.school)
    return Role.COMMISSION_ADMIN in roles_for_authority(user, consultation.authority)


def _may_publish_outcome(user, consultation) -> bool:
    """The outcome is written by those who answer for the school: its board and its admins."""
    if not _is_logged_in(user):
        return False
    if consultation.school is not None:
        return bool(roles_in_force(user, consultation.school) & {Role.BOARD_MEMBER, Role.SCHOOL_ADMIN})
    return Role.COMMISSION_ADMIN in roles_for_authority(user, consultation.authority)


def _may_moderate_consultation(user, consultation) -> bool:
    """Moderators and commission admins of the owner's authority or above approve consultations
    and moderate their responses. The school itself never moderates what is said about it."""
    return _is_logged_in(user) and bool(_consultation_staff_roles(user, consultation) & AUTHORITY_ROLES)


def _may_view_consultation(user, consultation) -> bool:
    """Approved consultations are public. Before that, only those who draft, answer for or
    approve it see it."""
    if consultation.is_public:
        return True
    if not _is_logged_in(user):
        return False
    if consultation.school is not None:  # a former board member is the public again
        return bool(roles_in_force(user, consultation.school) & STAFF_ROLES)
    return bool(_consultation_staff_roles(user, consultation) & STAFF_ROLES)


# --- blocks and the audience ------------------------------------------------------------


def place_of(obj) -> Authority | None:
    """The authority a block must cover to stop speaking at `obj`: a school's district, the
    district of a school's consultation, the authority of an authority's own consultation, an
    authority itself; None for anything else (asked about anywhere at all)."""
    if isinstance(obj, School):
        return obj.authority
    if isinstance(obj, Consultation):
        return obj.school.authority if obj.school is not None else obj.authority
    if isinstance(obj, Authority):
        return obj
    return None


@functools.cache
def _blocks_query() -> Select:
    # Built once and run with the person's id: every page where someone logged in could speak
    # asks (consultations.services._consultation_query says why).
    return select(Block).where(Block.user_id == bindparam("user_id"), Block.lifted_at.is_(None))


def blocks_in_force(user, where=None, *, now: datetime | None = None) -> list[Block]:
    """The moderators' blocks that stop `user` now at `where` (a School, a Consultation, an
    Authority; None: anywhere), the longest lasting first. A block applies where the moderator who
    made it moderates: a district's block in that district, the city's everywhere (Block)."""
    if not _is_logged_in(user):
        return []
    now = now or utcnow()
    place = place_of(where)
    blocks = db.session.scalars(_blocks_query(), {"user_id": user.id})
    in_force = [block for block in blocks if block.in_force(now) and block.applies_to(place)]
    return sorted(in_force, key=lambda block: (block.ends_at is not None, -(block.ends_at or now).timestamp()))


def block_in_force(user, where=None, *, now: datetime | None = None) -> Block | None:
    """The block that stops `user` now at `where` (the one lasting longest), or None."""
    blocks = blocks_in_force(user, where, now=now)
    return blocks[0] if blocks else None


def is_blocked(user, where=None, *, now: datetime | None = None) -> bool:
    return block_in_force(user, where, now=now) is not None


def _not_blocked(rule: Callable[..., bool]) -> Callable[..., bool]:
    """A rule that a block in force where the person would speak also refuses: a blocked account
    may read, not speak (there)."""

    def checked(user, obj=None) -> bool:
        return rule(user, obj) and not is_blocked(user, obj)

    return checked


def in_audience(user, consultation: Consultation) -> bool:
    """Whether `user` may respond, as far as the audience goes: anyone with an account, or a
    verified parent (a parent membership, from the school's invitation code) of the school or,
    for an authority's consultation, of a school under it."""
    if not _is_logged_in(user):
        return False
    if consultation.audience == Audience.REGISTERED:
        return True
    for membership in user.memberships:
        if membership.role != Role.PARENT or membership.school_id is None:
            continue
        if consultation.school_id is not None and membership.school_id == consultation.school_id:
            return True
        if (
            consultation.authority is not None
            and membership.school is not None
            and consultation.authority.covers(membership.school.authority)
        ):
            return True
    return False


def _may_respond(user, consultation) -> bool:
    return _is_logged_in(user) and in_audience(user, consultation)


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
    # Who runs a school on the portal (its administrators and board members): the commission
    # above it appoints them (DESIGN.md: commission admins manage staff accounts).
    "manage_staff": _has_school_role(Role.COMMISSION_ADMIN),
    "read_draft_minutes": _may_read_draft_minutes,
    # One meeting's record (the object is the Meeting, or the GoverningBody a new one is for).
    "keep_meeting_record": _may_keep_body_records,
    # Consultations (the object is the Consultation).
    "view_consultation": _may_view_consultation,
    "manage_consultation": _may_manage_consultation,
    "publish_outcome": _may_publish_outcome,
    "moderate_consultation": _may_moderate_consultation,
    # A blocked account may not respond, report or send feedback (it is told why: require()).
    "respond": _not_blocked(_may_respond),
    "report_response": _not_blocked(_is_logged_in),
    # Starting a consultation (the object is the School): its admins.
    "manage_consultations": _has_school_role(Role.SCHOOL_ADMIN),
    # Starting one for a district or the city (the object is the Authority): its commission admins.
    "manage_authority_consultations": _commission_admin_of,
    # The suggestion box: anyone with an account may write to any school (a school's own staff
    # too). The school's board members and admins answer it; the moderators and commission
    # above the school may read its items, not answer them.
    "send_feedback": _not_blocked(_is_logged_in),
    "read_feedback": _may_read_feedback,
    "manage_feedback": _has_school_role(Role.BOARD_MEMBER, Role.SCHOOL_ADMIN),
    "oversee_feedback": _has_school_role(Role.BOARD_MEMBER, Role.SCHOOL_ADMIN, Role.MODERATOR, Role.COMMISSION_ADMIN),
    # The disclosure checklist: a school's admins publish against it; the commission staff see
    # how every school of their area stands (/disclosure); a commission admin adds the items of
    # their own area (a district's own; nobody removes a national one).
    "manage_disclosure": _has_school_role(Role.SCHOOL_ADMIN),
    "oversee_disclosure": _is_authority_staff,
    "manage_disclosure_catalogue": _commission_admin_of,
    # A catalogue item is changed by the commission admins of the area that added it (or above
    # it): a national item is the Ministry's, and another area's item is that area's.
    "edit_disclosure_item": lambda user, item: (
        _is_logged_in(user)
        and item.authority is not None
        and Role.COMMISSION_ADMIN in roles_for_authority(user, item.authority)
    ),
    # The responsible supervisor's queue (/supervision): those who supervise a school (each case
    # is narrowed to their own schools by portal.supervision.services: another's is not found).
    "supervise": lambda user, obj=None: (
        _is_logged_in(user) and any(m.role == Role.SUPERVISOR for m in user.memberships)
    ),
    # "不满意，提请督学": the sender of an item, not blocked, asks the supervisor to review it.
    "request_review": _not_blocked(lambda user, feedback: _is_logged_in(user) and feedback.author_id == user.id),
    # Supervisors are assigned to a district's schools by its commission admins (or the city's).
    "assign_supervisors": _commission_admin_of,
    # An authority's commission admins and moderators are appointed by its commission admins (or
    # the city's above them).
    "manage_authority_staff": _commission_admin_of,
    "create_school": _may_create_school,  # in this authority
    "add_schools": _is_commission_admin,  # somewhere: shows the "add a school" link
    # The audit log names people, their IP addresses and what they did: the commission admins
    # answer for it, each for their own subtree (portal.oversight.audit_log narrows the events).
    # Moderators act on content and are themselves audited; they do not read the log.
    "read_audit_log": _is_commission_admin,
    # The moderation queue (/moderation): moderators and commission admins, each for the subtree
    # of their authority (portal.moderation.services narrows the items); the single items are
    # checked with "moderate_consultation" on their consultation.
    "moderate": lambda user, obj=None: _is_logged_in(user) and any(m.role in AUTHORITY_ROLES for m in user.memberships),
    # The oversight dashboard: how consultations, moderation and feedback are going in the
    # moderator's or commission admin's own subtree (portal.oversight.dashboard narrows it).
    # School staff answer for one school and see its numbers on its own pages.
    "oversee": _is_authority_staff,
    # Following a school (public) or a consultation the person may read: told of its news.
    "follow": _is_logged_in,
    "follow_consultation": lambda user, consultation: (
        _is_logged_in(user) and _may_view_consultation(user, consultation)
    ),
    # The mail queue (failed and uncertain mails, sending one again) is the whole city's: the
    # commission admins of the top authority.
    "manage_mail": lambda user, obj=None: (
        _is_logged_in(user)
        and any(
            m.role == Role.COMMISSION_ADMIN and m.authority is not None and m.authority.parent_id is None
            for m in user.memberships
        )
    ),
    # The working calendar (holidays, make-up days, the days the city closes its schools) is the
    # whole city's: its commission admins, as for the mail queue. Every deadline counts on it.
    "manage_working_days": lambda user, obj=None: (
        _is_logged_in(user)
        and any(
            m.role == Role.COMMISSION_ADMIN and m.authority is not None and m.authority.parent_id is None
            for m in user.memberships
        )
    ),
}

# Actions on a consultation that only its school's staff and the moderators above it take.
CONSULTATION_STAFF_ACTIONS = frozenset({"manage_consultation", "publish_outcome", "moderate_consultation"})

# Actions inside a school's management area (/schools/<slug>/manage/...).
MANAGEMENT_ACTIONS = frozenset(
    {
        "manage_school",
        "manage_charter",
        "manage_bodies",
        "manage_meetings",
        "manage_decisions",
        "manage_consultations",
        "edit_school_profile",
        "manage_invitations",
        "manage_staff",
        "manage_feedback",
        "oversee_feedback",
        "manage_disclosure",
    }
)


def visible(user, action: str, obj) -> bool:
    """Whether `obj` exists for `user` when they try `action` on it.

    A school's management area is out of scope for staff of other schools and districts: they
    get 404, as if it did not exist, so staff accounts cannot map other schools' internals.
    Everyone else sees that the school exists (it is public) and is refused with 403."""
    if action in MANAGEMENT_ACTIONS and isinstance(obj, School) and is_scoped(user):
        # A supervisor of this school finds its management area (and is refused, 403); of
        # another school, finds nothing.
        return bool(roles_for_school(user, obj) & SCOPED_ROLES)
    if isinstance(obj, Consultation):
        # A consultation not yet approved exists only for those who may see it; the staff actions
        # on one are out of scope (404) for staff of other schools and districts.
        if not _may_view_consultation(user, obj):
            return False
        if action in CONSULTATION_STAFF_ACTIONS and is_scoped(user):
            return bool(_consultation_staff_roles(user, obj) & SCOPED_ROLES)
    return True


def can(user, action: str, obj=None) -> bool:
    rule = RULES.get(action)
    if rule is None:  # an action nobody wrote a rule for is refused, never allowed by accident
        return False
    return bool(rule(user, obj))


# --- why not ------------------------------------------------------------------------------


class RefusalKind(StrEnum):
    LOGIN = "login"  # a visitor: log in first (then come back)
    NOT_FOUND = "not_found"  # out of the person's scope: it does not exist for them
    BLOCKED = "blocked"  # a moderator's block stops them speaking, until `until`
    NOT_IN_AUDIENCE = "not_in_audience"  # the consultation is for verified parents of another school
    FORBIDDEN = "forbidden"  # they can see it, and may not do this


class Refusal(Exception):
    """Why `user` may not do `action` to `obj`. Raised by require(); the error layer renders it
    (a redirect to log in, the 404 page, or a 403 page that says why and what to do)."""

    STATUS = {RefusalKind.LOGIN: 401, RefusalKind.NOT_FOUND: 404}

    def __init__(self, kind: RefusalKind, *, block: Block | None = None, consultation: Consultation | None = None):
        super().__init__(kind.value)
        self.kind = kind
        self.block = block
        self.consultation = consultation

    @property
    def status(self) -> int:
        return self.STATUS.get(self.kind, 403)

    @property
    def until(self) -> datetime | None:
        """When a block ends (None: until a moderator lifts it)."""
        return self.block.ends_at if self.block is not None else None

    @property
    def message(self) -> str:
        """What the person is told, in their language."""
        if self.kind == RefusalKind.BLOCKED:
            return block_message(self.block)
        if self.kind == RefusalKind.NOT_IN_AUDIENCE:
            return audience_message(self.consultation)
        if self.kind == RefusalKind.NOT_FOUND:
            return _("There is nothing at this address. It may have been moved, or the link may be mistyped.")
        if self.kind == RefusalKind.LOGIN:
            return _("Please log in to do this.")
        return _(
            "Your account does not have permission to do this. If you think it should, ask your school's administrator."
        )


def check(user, action: str, obj=None) -> Refusal | None:
    """None when `user` may do `action` to `obj`, else the Refusal that says why not: a visitor
    logs in first; an object out of scope is not found; a visible one without the right is
    refused, saying so when a block or the consultation's audience is the reason."""
    if not _is_logged_in(user):
        return Refusal(RefusalKind.LOGIN)
    if obj is not None and not visible(user, action, obj):
        return Refusal(RefusalKind.NOT_FOUND)
    if can(user, action, obj):
        return None
    if action in BLOCKED_ACTIONS and (block := block_in_force(user, obj)) is not None:
        return Refusal(RefusalKind.BLOCKED, block=block)
    if action == "respond" and isinstance(obj, Consultation) and not in_audience(user, obj):
        return Refusal(RefusalKind.NOT_IN_AUDIENCE, consultation=obj)
    return Refusal(RefusalKind.FORBIDDEN)


def require(user, action: str, obj=None) -> None:
    """Raise the Refusal unless `user` may do `action` to `obj` (see check())."""
    refusal = check(user, action, obj)
    if refusal is not None:
        raise refusal


# The actions a block in force refuses.
BLOCKED_ACTIONS = frozenset({"respond", "report_response", "send_feedback"})


def block_message(block: Block) -> str:
    """Why, where and until when the person is blocked, as the pages say it: everywhere (the
    city's block) or in the district it covers, until a date or until further notice."""
    if block.everywhere and block.ends_at is None:
        return _(
            "A moderator has blocked your account from responding, reporting and sending feedback anywhere on the "
            "portal until further notice. Reason: %(reason)s",
            reason=block.reason,
        )
    if block.everywhere:
        return _(
            "A moderator has blocked your account from responding, reporting and sending feedback anywhere on the "
            "portal until %(until)s. Reason: %(reason)s",
            until=format_datetime(block.ends_at, TO_THE_MINUTE),
            reason=block.reason,
        )
    area = block.authority.name_en if str(get_locale() or "zh").startswith("en") else block.authority.name_zh
    if block.ends_at is None:
        return _(
            "A moderator of %(area)s has blocked your account from responding, reporting and sending feedback to "
            "its schools and in its consultations until further notice. Reason: %(reason)s",
            area=area,
            reason=block.reason,
        )
    return _(
        "A moderator of %(area)s has blocked your account from responding, reporting and sending feedback to its "
        "schools and in its consultations until %(until)s. Reason: %(reason)s",
        area=area,
        until=format_datetime(block.ends_at, TO_THE_MINUTE),
        reason=block.reason,
    )


def _owner_name(consultation: Consultation) -> str:
    english = str(get_locale() or "zh").startswith("en")
    if consultation.school is not None:
        return consultation.school.name("en" if english else "zh")
    return consultation.authority.name_en if english else consultation.authority.name_zh


def audience_message(consultation: Consultation) -> str:
    """Why someone outside the audience cannot respond, and how to join it."""
    if consultation.school is not None:
        who = _(
            "Only verified parents of %(school)s can respond to this consultation.", school=_owner_name(consultation)
        )
    else:
        who = _(
            "Only verified parents of the schools under %(authority)s can respond to this consultation.",
            authority=_owner_name(consultation),
        )
    return (
        who
        + " "
        + _(
            "Parents are verified with the invitation code their school hands out: ask the school's office or your "
            "child's class teacher for one, then enter it under “Verify as a parent” on your account page."
        )
    )
