"""The audit log as commission admins read it at /audit: the events in their scope, filtered,
newest first, fifty at a time, and the same events as CSV.

Scope: a commission admin of an authority sees the events recorded against that authority or
any authority below it, and against every school under them. Events recorded against no school
and no authority (registrations, failed logins, password changes: they belong to a person, not
to a place) are seen only by the commission admins of an authority at the top of the tree, the
city commission: it answers for the portal's accounts, while a district has no claim on a
parent's login history.
"""

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext, pgettext
from sqlalchemy import Select, false, func, or_, select
from sqlalchemy.orm import aliased, contains_eager

from portal.accounts.models import Role, User
from portal.audit import AuditEvent
from portal.charters.models import CharterStatus, CharterVersion
from portal.clock import local_to_utc
from portal.consultations.models import QuestionKind, ResponseState
from portal.decisions.models import PUBLIC_STATUSES, Decision
from portal.disclosure.models import DisclosureAudience, DisclosureCategory
from portal.documents.models import DocumentKind
from portal.extensions import db
from portal.feedback.models import FeedbackCategory, FeedbackStatus
from portal.meetings.models import BodyKind, Constituency, Position
from portal.moderation.models import reason_label
from portal.notifications.models import Delivery
from portal.notifications.models import Kind as NotificationKind
from portal.schools.models import Authority, School, SchoolType

PAGE_SIZE = 50
EXPORT_BATCH = 500
DATA_VALUE_MAX = 300  # characters of one value on the page; the CSV has them whole

# Readable names for the actions the portal records. An action without one is shown as it is
# recorded; the raw action is always shown beside the label.
ACTION_LABELS = {
    "account.block": _l("Account blocked by a moderator"),
    "account.unblock": _l("Account's block lifted"),
    "authority.create": _l("Authority added"),
    "body.create": _l("Governing body added"),
    "body.update": _l("Governing body changed"),
    "charter.adopt": _l("Charter version adopted"),
    "charter.discard": _l("Charter draft deleted"),
    "charter.draft_edit": _l("Charter draft edited"),
    "charter.draft_start": _l("Charter draft started"),
    "consultation.approve": _l("Consultation approved"),
    "consultation.close": _l("Consultation closed early"),
    "consultation.create": _l("Consultation drafted"),
    "consultation.edit": _l("Consultation draft edited"),
    "consultation.outcome_publish": _l("Consultation outcome published"),
    "consultation.question_add": _l("Question added to a consultation"),
    "consultation.question_remove": _l("Question removed from a consultation"),
    "consultation.discard": _l("Consultation draft deleted"),
    "consultation.send_back": _l("Consultation sent back to its authors"),
    "consultation.submit": _l("Consultation submitted for approval"),
    "decision.discard": _l("Draft decision discarded"),
    "decision.draft": _l("Decision drafted"),
    "decision.edit": _l("Draft decision edited"),
    "decision.publish": _l("Decision published"),
    "decision.publish_requested": _l("Decision publication requested"),
    "decision.publish_failed": _l("Decision publication failed"),
    "decision.revoke": _l("Decision revoked"),
    "decision.supersede": _l("Decision superseded"),
    "disclosure.add_item": _l("Disclosure item added to the list"),
    "disclosure.edit_item": _l("Disclosure item changed"),
    "disclosure.publish": _l("School information disclosed"),
    "disclosure.remove_item": _l("Disclosure item removed from the list"),
    "disclosure.save_draft": _l("Disclosure draft saved"),
    "document.archive": _l("Document archived"),
    "feedback.reply": _l("Feedback answered"),
    "feedback.send": _l("Feedback sent"),
    "feedback.status": _l("Feedback status changed"),
    "invitation.create": _l("Invitation codes made"),
    "invitation.redeem": _l("Invitation code used"),
    "invitation.withdraw": _l("Invitation code withdrawn"),
    "mail.send_again": _l("Mail sent again"),
    "meeting.agenda": _l("Meeting agenda changed"),
    "meeting.attendance": _l("Attendance recorded"),
    "meeting.create": _l("Meeting scheduled"),
    "meeting.minutes_approve": _l("Minutes approved"),
    "meeting.minutes_edit": _l("Minutes edited"),
    "meeting.update": _l("Meeting changed"),
    "member.add": _l("Body member added"),
    "member.end_term": _l("Body member's term ended"),
    "member.update": _l("Body member changed"),
    "membership.grant": _l("Role granted"),
    "membership.revoke": _l("Role removed"),
    "notifications.preferences": _l("Notification settings changed"),
    "response.create": _l("Response written"),
    "response.edit": _l("Response changed by its author"),
    "response.hide": _l("Response hidden"),
    "response.publish": _l("Response published"),
    "response.reject": _l("Response rejected"),
    "response.report": _l("Response reported"),
    "response.reports_dismiss": _l("Reports on a response dismissed"),
    "school.create": _l("School added"),
    "school.update": _l("School profile changed"),
    "signing.rotate_key": _l("Signing key replaced"),
    "staff_invitation.accept": _l("Staff invitation accepted"),
    "staff_invitation.create": _l("Staff invitation sent"),
    "staff_invitation.resend": _l("Staff invitation sent again"),
    "staff_invitation.withdraw": _l("Staff invitation withdrawn"),
    "supervision.answer": _l("Supervisor answered"),
    "supervision.assign": _l("Responsible supervisor assigned"),
    # supervision.<CaseKind>: how the feedback reached the supervisor.
    "supervision.escalated": _l("Feedback left unanswered passed to the supervisor"),
    "supervision.review": _l("Supervisor's review requested by the sender"),
    "supervision.unassign": _l("Responsible supervisor's assignment ended"),
    "user.account_deleted": _l("Account deleted by its owner"),
    "user.data_export_downloaded": _l("Copy of personal data downloaded"),
    "user.data_export_requested": _l("Copy of personal data asked for"),
    "user.login_failed": _l("Failed login"),
    "user.logout_everywhere": _l("Logged out on every device"),
    "user.password_change": _l("Password changed"),
    "user.password_reset": _l("Password reset from an emailed link"),
    "user.password_reset_request": _l("Password reset link asked for"),
    "user.register": _l("Account registered"),
    "user.registration_mail": _l("Registration link asked for"),
    "user.session_end": _l("Logged out on one device"),
    "workday.override_add": _l("Working day or day off set by the commission"),
    "workday.override_remove": _l("Commission's working-day change removed"),
}

# The kinds of object an event can be about (AuditEvent.object_type is the model's class name).
OBJECT_LABELS = {
    "Authority": _l("Authority"),
    "Block": _l("Account block"),
    "BodyMember": _l("Body member"),
    "CharterVersion": _l("Charter version"),
    "Consultation": _l("Consultation"),
    "Decision": _l("Decision"),
    "DisclosureItem": _l("Disclosure item"),
    "Document": _l("Document"),
    "Feedback": _l("Feedback"),
    "GoverningBody": _l("Governing body"),
    "Invitation": _l("Invitation code"),
    "Mail": _l("Mail"),
    "Meeting": _l("Meeting"),
    "Membership": _l("Role"),
    "Response": _l("Response"),
    "School": _l("School"),
    "SchoolDisclosure": _l("School's disclosure"),
    "SigningCertificate": _l("Signing certificate"),
    "StaffInvitation": _l("Staff invitation"),
    "SupervisionCase": _l("Case for the supervisor"),
    "User": _l("Account"),
    "WorkingDayOverride": _l("Working-day change"),
}

# The groups of the action filter: an action's first word ("decision" of "decision.publish").
ACTION_FAMILY_LABELS = {
    "account": _l("Account blocks"),
    "authority": _l("Authorities"),
    "body": _l("Governing bodies"),
    "charter": _l("Charters"),
    "consultation": _l("Consultations"),
    "decision": _l("Decisions"),
    "disclosure": _l("Disclosure"),
    "document": _l("Archived documents"),
    "feedback": _l("Feedback"),
    "invitation": _l("Invitation codes"),
    "mail": _l("Mail"),
    "meeting": _l("Meetings"),
    "member": _l("Body members"),
    "membership": _l("Roles"),
    "notifications": _l("Notification settings"),
    "response": _l("Responses"),
    "school": _l("Schools"),
    "signing": _l("Signing keys"),
    "staff_invitation": _l("Staff invitations"),
    "supervision": _l("Responsible supervisors"),
    "user": _l("Accounts"),
    "workday": _l("Working days"),
}


# What the recorded details are called: the keys of AuditEvent.data, and the fields a "changes"
# lists. A key without a label (a member's name in an attendance change) is shown as recorded;
# the CSV export keeps every key as recorded. A context of their own: "Title" or "Number" mean
# a meeting's title or a decision's number elsewhere, and are translated for that.
DATA_LABELS = {
    "address": lazy_pgettext("audit detail", "Address"),
    "adopted_on": lazy_pgettext("audit detail", "Adopted on"),
    "after": lazy_pgettext("audit detail", "After"),
    "agenda": lazy_pgettext("audit detail", "Agenda"),
    "applies_in": lazy_pgettext("audit detail", "Applies in authority no."),
    "audience": lazy_pgettext("audit detail", "Audience"),
    "basis": lazy_pgettext("audit detail", "Legal basis"),
    "based_on": lazy_pgettext("audit detail", "Based on version"),
    "before": lazy_pgettext("audit detail", "Before"),
    "body": lazy_pgettext("audit detail", "Governing body"),
    "body_id": lazy_pgettext("audit detail", "Governing body no."),
    "by": lazy_pgettext("audit detail", "By decision no."),
    "category": lazy_pgettext("audit detail", "Category"),
    "certificate_sha256": lazy_pgettext("audit detail", "Certificate SHA-256"),
    "change": lazy_pgettext("audit detail", "Change"),
    "code": lazy_pgettext("audit detail", "Item code"),
    "constituency": lazy_pgettext("audit detail", "Elected by"),
    "consultation": lazy_pgettext("audit detail", "Consultation no."),
    "content_en": lazy_pgettext("audit detail", "What it must contain (English)"),
    "content_zh": lazy_pgettext("audit detail", "What it must contain (Chinese)"),
    "count": lazy_pgettext("audit detail", "Codes made"),
    "day": lazy_pgettext("audit detail", "Day"),
    "days": lazy_pgettext("audit detail", "Days"),
    "deadline_days": lazy_pgettext("audit detail", "Deadline (working days)"),
    "decision_prefix": lazy_pgettext("audit detail", "Decision number prefix"),
    "decisions": lazy_pgettext("audit detail", "Decision nos."),
    "description": lazy_pgettext("audit detail", "Description"),
    "direction": lazy_pgettext("audit detail", "Moved"),
    "effective_on": lazy_pgettext("audit detail", "Effective on"),
    "email": lazy_pgettext("audit detail", "Email"),
    "hint": lazy_pgettext("audit detail", "Code ends with"),
    "export_id": lazy_pgettext("audit detail", "Data copy no."),
    "fields": lazy_pgettext("audit detail", "Fields changed"),
    "formed_on": lazy_pgettext("audit detail", "Formed or changed on"),
    "is_working_day": lazy_pgettext("audit detail", "Working day"),
    # A disclosure item's code, or an agenda item's title.
    "item": lazy_pgettext("audit detail", "Item"),
    "key": lazy_pgettext("audit detail", "Publication key"),
    "kind": lazy_pgettext("audit detail", "Kind"),
    "length": lazy_pgettext("audit detail", "Length (characters)"),
    "length_after": lazy_pgettext("audit detail", "Length after (characters)"),
    "length_before": lazy_pgettext("audit detail", "Length before (characters)"),
    "name": lazy_pgettext("audit detail", "Name"),
    "name_en": lazy_pgettext("audit detail", "Name in English"),
    "name_zh": lazy_pgettext("audit detail", "Name in Chinese"),
    "not_before": lazy_pgettext("audit detail", "Valid from"),
    "note": lazy_pgettext("audit detail", "Note"),
    "number": lazy_pgettext("audit detail", "Number"),
    "object_id": lazy_pgettext("audit detail", "Record no."),
    "object_type": lazy_pgettext("audit detail", "Kind of record"),
    "phone": lazy_pgettext("audit detail", "Phone"),
    "place": lazy_pgettext("audit detail", "Place"),
    "position": lazy_pgettext("audit detail", "Position"),
    "private": lazy_pgettext("audit detail", "Private reply"),
    "public": lazy_pgettext("audit detail", "Public reply"),
    "question": lazy_pgettext("audit detail", "Question no."),
    "reason": lazy_pgettext("audit detail", "Reason"),
    "reference": lazy_pgettext("audit detail", "Reference"),
    "reports": lazy_pgettext("audit detail", "Reports dismissed"),
    "role": lazy_pgettext("audit detail", "Role"),
    "school_to_answer_by": lazy_pgettext("audit detail", "School to answer by"),
    "sequence": lazy_pgettext("audit detail", "Log entry no."),
    "sessions": lazy_pgettext("audit detail", "Devices logged out"),
    "sha256": lazy_pgettext("audit detail", "SHA-256"),
    "size": lazy_pgettext("audit detail", "Size (bytes)"),
    "slug": lazy_pgettext("audit detail", "Address name"),
    "source_title": lazy_pgettext("audit detail", "Source"),
    "starts_at": lazy_pgettext("audit detail", "Starts at"),
    "state": lazy_pgettext("audit detail", "State"),
    "term_end": lazy_pgettext("audit detail", "Term ends"),
    "term_start": lazy_pgettext("audit detail", "Term starts"),
    "text": lazy_pgettext("audit detail", "Text"),
    "themes": lazy_pgettext("audit detail", "Themes"),
    "title": lazy_pgettext("audit detail", "Title"),
    "title_en": lazy_pgettext("audit detail", "Item (English)"),
    "title_zh": lazy_pgettext("audit detail", "Item (Chinese)"),
    "to": lazy_pgettext("audit detail", "Recipient"),
    "type": lazy_pgettext("audit detail", "Type of school"),
    "user": lazy_pgettext("audit detail", "Account no."),
    "user_id": lazy_pgettext("audit detail", "Account no."),
    "valid_days": lazy_pgettext("audit detail", "Valid for (days)"),
    "votes": lazy_pgettext("audit detail", "Votes"),
    "website": lazy_pgettext("audit detail", "Website"),
    # The kinds of notification, whose settings "notifications.preferences" records.
    **{kind.value: kind.label for kind in NotificationKind},
}


def _labels(*enums) -> dict:
    """Stored value → words, for these enums; a value two of them share is left out (which one
    it meant would be a guess), and is shown as recorded."""
    found: dict = {}
    shared = set()
    for enum in enums:
        for member in enum:
            if member.value in found:
                shared.add(member.value)
            found[member.value] = member.label
    return {value: label for value, label in found.items() if value not in shared}


# The words for the values that are stored as an enum's value ("pending", "parent"), by key.
VALUE_LABELS = {
    "audience": _labels(DisclosureAudience),
    # Feedback's topics and the disclosure catalogue's; both have "safety", which reads the same.
    "category": {**_labels(DisclosureCategory), **_labels(FeedbackCategory)},
    # How a meeting's agenda changed (meeting.agenda).
    "change": {
        "add": lazy_pgettext("agenda change", "item added"),
        "move": lazy_pgettext("agenda change", "item moved"),
        "remove": lazy_pgettext("agenda change", "item removed"),
    },
    "direction": {"up": lazy_pgettext("agenda change", "up"), "down": lazy_pgettext("agenda change", "down")},
    "constituency": _labels(Constituency),
    "kind": _labels(BodyKind, DocumentKind, QuestionKind),
    "position": _labels(Position),
    "role": _labels(Role),
    "state": _labels(ResponseState),
    "type": _labels(SchoolType),
    **{kind.value: _labels(Delivery) for kind in NotificationKind},
}


# The words for values that one action stores under a general key ("before", "reason"), by action
# and key: a feedback's status before and after, a mail's status, why a login failed.
ACTION_VALUE_LABELS = {
    "feedback.status": {"before": _labels(FeedbackStatus), "after": _labels(FeedbackStatus)},
    "mail.send_again": {
        "before": {
            "failed": lazy_pgettext("mail", "Failed"),
            "uncertain": _l("Uncertain (a worker stopped while sending)"),
        }
    },
    "user.login_failed": {
        "reason": {
            "credentials": _l("wrong email address or password"),
            "inactive": _l("the account is deactivated"),
        }
    },
}


# --- who sees what ------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditScope:
    """How far a commission admin's view of the log reaches: the paths ("/1/3/") of the
    authorities they administer, and whether they also see the events of no place."""

    authority_paths: tuple[str, ...]
    placeless_events: bool


def audit_scope(user) -> AuditScope:
    """The scope of `user`'s commission admin roles (empty for anybody else)."""
    authorities = [m.authority for m in user.memberships if m.role == Role.COMMISSION_ADMIN]
    return AuditScope(
        authority_paths=tuple(sorted({authority.path for authority in authorities})),
        placeless_events=any(authority.parent_id is None for authority in authorities),
    )


def _in_scope(scope: AuditScope):
    if not scope.authority_paths:
        return false()
    area = select(Authority.id).where(or_(*(Authority.path.startswith(path) for path in scope.authority_paths)))
    conditions = [
        AuditEvent.authority_id.in_(area),
        AuditEvent.school_id.in_(select(School.id).where(School.authority_id.in_(area))),
    ]
    if scope.placeless_events:
        conditions.append(AuditEvent.school_id.is_(None) & AuditEvent.authority_id.is_(None))
    return or_(*conditions)


# --- filters ------------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditFilters:
    """What the reader asked for; None or "" means "any". `actions` are the recorded actions
    the action filter matched (an empty tuple matches nothing)."""

    actor: str = ""
    actions: tuple[str, ...] | None = None
    object_type: str = ""
    object_id: int | None = None
    since: date | None = None  # on the schools' calendar, included
    until: date | None = None  # included
    school_id: int | None = None


def matching_actions(asked: str, recorded: list[str]) -> tuple[str, ...] | None:
    """The recorded actions a filter value names: one action ("decision.publish") or every action
    that starts with it ("decision." or "decision"). Matching against the recorded actions
    (rather than with LIKE) keeps the action index usable whatever the database's collation."""
    if not asked:
        return None
    return tuple(action for action in recorded if action.startswith(asked))


def _day_start(day: date) -> datetime:
    return local_to_utc(day, time.min)


def _matching(filters: AuditFilters) -> list:
    conditions = []
    if filters.actor:
        people = select(User.id).where(
            or_(
                User.email.icontains(filters.actor, autoescape=True),
                User.display_name.icontains(filters.actor, autoescape=True),
            )
        )
        conditions.append(AuditEvent.actor_id.in_(people))
    if filters.actions is not None:
        conditions.append(AuditEvent.action.in_(filters.actions) if filters.actions else false())
    if filters.object_type:
        conditions.append(AuditEvent.object_type == filters.object_type)
    if filters.object_id is not None:
        conditions.append(AuditEvent.object_id == filters.object_id)
    if filters.since is not None:
        conditions.append(AuditEvent.created_at >= _day_start(filters.since))
    if filters.until is not None:
        conditions.append(AuditEvent.created_at < _day_start(filters.until + timedelta(days=1)))
    if filters.school_id is not None:
        conditions.append(AuditEvent.school_id == filters.school_id)
    return conditions


def recorded_actions() -> list[str]:
    """Every action the log holds, in order (for the action filter)."""
    return _distinct_values(AuditEvent.action)


def recorded_object_types() -> list[str]:
    """Every kind of object the log has events about, in order (for the object filter)."""
    return [value for value in _distinct_values(AuditEvent.object_type) if value]


def _distinct_values(column) -> list[str]:
    """The distinct values of an indexed column by one index probe per value (a "loose index
    scan" in a recursive query): SELECT DISTINCT would read the whole index, and the log only
    grows. One query, on SQLite and PostgreSQL alike."""
    first = select(func.min(column).label("value")).cte("found", recursive=True)
    previous = first.alias("previous")
    following = select(func.min(column)).where(column > previous.c.value).scalar_subquery()
    found = first.union_all(select(following.label("value")).where(previous.c.value.is_not(None)))
    return list(db.session.scalars(select(found.c.value).where(found.c.value.is_not(None))))


def schools_in_scope(scope: AuditScope) -> list[School]:
    """The schools a commission admin may narrow the log to, by authority and then by Chinese
    name, with their authorities loaded."""
    if not scope.authority_paths:
        return []
    return list(
        db.session.scalars(
            select(School)
            .join(School.authority)
            .where(or_(*(Authority.path.startswith(path) for path in scope.authority_paths)))
            .options(contains_eager(School.authority))
            .order_by(Authority.id, School.name_sort, School.id)
        )
    )


# --- the page -----------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditRow:
    """One event as the page shows it: plain values, the names it points at already joined."""

    id: int
    created_at: datetime
    actor_id: int | None
    actor_name: str | None
    actor_email: str | None
    action: str
    object_type: str
    object_id: int | None
    school_id: int | None
    school_name_zh: str | None
    school_name_en: str | None
    authority_id: int | None
    authority_name_zh: str | None
    authority_name_en: str | None
    ip_address: str | None
    data: dict[str, Any]
    # The endpoint and arguments of the object's public page, when it has one.
    page: tuple[str, dict] | None = None

    @property
    def action_label(self):
        return ACTION_LABELS.get(self.action)

    @property
    def object_label(self):
        return OBJECT_LABELS.get(self.object_type, self.object_type)

    def place(self, language: str) -> str | None:
        """The school the event belongs to, or else its authority."""
        if self.school_id is not None:
            return self.school_name_en if language == "en" else self.school_name_zh
        if self.authority_id is not None:
            return self.authority_name_en if language == "en" else self.authority_name_zh
        return None

    @property
    def data_items(self) -> list[tuple[str, str]]:
        return readable_data(self.data, self.action)


@dataclass(frozen=True)
class AuditPage:
    """A page of events, newest first; `newer` and `older` are the cursors of the pages beside
    it (None when there is none)."""

    events: list[AuditRow]
    newer: int | None
    older: int | None


def _rows_query(scope: AuditScope, filters: AuditFilters) -> Select:
    # Aliases: the scope's subqueries use the plain tables, and must not be correlated with these.
    actor, school, authority = aliased(User), aliased(School), aliased(Authority)
    return (
        select(
            AuditEvent.id,
            AuditEvent.created_at,
            AuditEvent.actor_id,
            actor.display_name.label("actor_name"),
            actor.email.label("actor_email"),
            AuditEvent.action,
            AuditEvent.object_type,
            AuditEvent.object_id,
            AuditEvent.school_id,
            school.slug.label("school_slug"),
            school.name_zh.label("school_name_zh"),
            school.name_en.label("school_name_en"),
            AuditEvent.authority_id,
            authority.name_zh.label("authority_name_zh"),
            authority.name_en.label("authority_name_en"),
            AuditEvent.ip_address,
            AuditEvent.data,
        )
        .outerjoin(actor, actor.id == AuditEvent.actor_id)
        .outerjoin(school, school.id == AuditEvent.school_id)
        .outerjoin(authority, authority.id == AuditEvent.authority_id)
        .where(_in_scope(scope), *_matching(filters))
    )


def audit_page(
    scope: AuditScope,
    filters: AuditFilters,
    *,
    before: int | None = None,
    after: int | None = None,
    per_page: int = PAGE_SIZE,
) -> AuditPage:
    """The events in `scope` that match `filters`, newest first: the newest page, or the page
    just older than event `before`, or just newer than event `after`. Pages are cut by event
    id (a keyset), so events recorded while someone reads never shift the pages, and a page
    far back costs what the first does. One query, whatever the page holds, plus at most one
    for each kind of object whose public page depends on its state."""
    query = _rows_query(scope, filters)
    if after is not None and before is None:
        rows = list(db.session.execute(query.where(AuditEvent.id > after).order_by(AuditEvent.id).limit(per_page + 1)))
        more_newer = len(rows) > per_page
        rows = rows[:per_page][::-1]
        newer = rows[0].id if rows and more_newer else None
        older = rows[-1].id if rows else None
    else:
        if before is not None:
            query = query.where(AuditEvent.id < before)
        rows = list(db.session.execute(query.order_by(AuditEvent.id.desc()).limit(per_page + 1)))
        more_older = len(rows) > per_page
        rows = rows[:per_page]
        newer = rows[0].id if rows and before is not None else None
        older = rows[-1].id if rows and more_older else None
    pages = _public_pages(rows)
    events = [
        AuditRow(
            id=row.id,
            created_at=row.created_at,
            actor_id=row.actor_id,
            actor_name=row.actor_name,
            actor_email=row.actor_email,
            action=row.action,
            object_type=row.object_type,
            object_id=row.object_id,
            school_id=row.school_id,
            school_name_zh=row.school_name_zh,
            school_name_en=row.school_name_en,
            authority_id=row.authority_id,
            authority_name_zh=row.authority_name_zh,
            authority_name_en=row.authority_name_en,
            ip_address=row.ip_address,
            data=row.data if isinstance(row.data, dict) else {},
            page=pages.get((row.object_type, row.object_id)),
        )
        for row in rows
    ]
    return AuditPage(events=events, newer=newer, older=older)


def _public_pages(rows) -> dict[tuple[str, int], tuple[str, dict]]:
    """The public page of each object the rows are about, where it has one: a school, a
    published decision, an adopted charter version, a consultation (the commission admins who
    see its events may open it before it is approved) and its responses, a meeting, a
    governing body. Decisions
    and charter versions have a page only in some states: one query for each, for all rows."""
    ids: dict[str, set[int]] = {}
    for row in rows:
        if row.object_id is not None:
            ids.setdefault(row.object_type, set()).add(row.object_id)
    pages: dict[tuple[str, int], tuple[str, dict]] = {}
    if ids.get("Decision"):
        published = select(Decision.id).where(Decision.id.in_(ids["Decision"]), Decision.status.in_(PUBLIC_STATUSES))
        for decision_id in db.session.scalars(published):
            pages["Decision", decision_id] = ("decisions.show", {"decision_id": decision_id})
    if ids.get("CharterVersion"):
        adopted = (
            select(CharterVersion.id, CharterVersion.number, School.slug)
            .join(School, School.id == CharterVersion.school_id)
            .where(CharterVersion.id.in_(ids["CharterVersion"]), CharterVersion.status == CharterStatus.ADOPTED)
        )
        for version_id, number, slug in db.session.execute(adopted):
            pages["CharterVersion", version_id] = ("charters.version", {"slug": slug, "n": number})
    for consultation_id in ids.get("Consultation", ()):
        pages["Consultation", consultation_id] = ("consultations.show", {"consultation_id": consultation_id})
    for meeting_id in ids.get("Meeting", ()):
        pages["Meeting", meeting_id] = ("meetings.show", {"meeting_id": meeting_id})
    for row in rows:
        consultation_id = (row.data or {}).get("consultation") if isinstance(row.data, dict) else None
        if row.object_type == "Response" and row.object_id is not None and isinstance(consultation_id, int):
            # A response has no page of its own: it is read on its consultation's.
            pages["Response", row.object_id] = ("consultations.show", {"consultation_id": consultation_id})
        if row.school_slug is None or row.object_id is None:
            continue
        if row.object_type == "School" and row.object_id == row.school_id:
            pages["School", row.object_id] = ("pages.school", {"slug": row.school_slug})
        elif row.object_type == "GoverningBody":
            pages["GoverningBody", row.object_id] = (
                "meetings.body",
                {"slug": row.school_slug, "body_id": row.object_id},
            )
    return pages


def readable_data(data: dict[str, Any], action: str | None = None) -> list[tuple[str, str]]:
    """An event's data as (name, text) pairs for a compact list: a change reads "before → after",
    the fields of `changes` are listed one by one, a list is joined with commas, and a long
    value is cut short. A moderation reason, and the values `action` stores as codes
    (ACTION_VALUE_LABELS), read in the reader's language."""
    items = []
    own_labels = ACTION_VALUE_LABELS.get(action or "", {})
    data = dict(data or {})
    if "before" in data and isinstance(data.get("after"), dict) and isinstance(data["before"], (dict, type(None))):
        # Fields saved before (None: nothing before, a new draft) and after (a disclosure draft,
        # a catalogue item): read like "changes", a field at a time, not as blocks of raw keys.
        before, after = data.pop("before") or {}, data.pop("after")
        data["changes"] = {
            field: {"before": before.get(field), "after": after.get(field)} for field in {**before, **after}
        } | (data["changes"] if isinstance(data.get("changes"), dict) else {})
    for key, value in data.items():
        if key == "changes" and isinstance(value, dict):
            items.extend(
                (data_label(field), _shortened(_value_text(change, VALUE_LABELS.get(str(field)))))
                for field, change in value.items()
            )
        elif key in own_labels:
            items.append((data_label(key), _shortened(_value_text(value, own_labels[key]))))
        elif key == "reason" and isinstance(value, str):
            # A moderation reason is stored by its key (personal_attack): read it in words.
            items.append((data_label(key), _shortened(reason_label(value))))
        else:
            items.append((data_label(key), _shortened(_value_text(value, VALUE_LABELS.get(str(key))))))
    return items


def data_label(key) -> str:
    """What a recorded detail is called, in the reader's language (the key itself when unknown)."""
    return str(DATA_LABELS.get(str(key), key))


def _value_text(value, labels: dict | None = None) -> str:
    if isinstance(value, dict) and set(value) == {"before", "after"}:
        return f"{_value_text(value['before'], labels)} → {_value_text(value['after'], labels)}"
    if labels and isinstance(value, str) and value in labels:
        return str(labels[value])
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return str(_l("yes") if value else _l("no"))
    if isinstance(value, (str, int, float)):
        return str(value)
    if isinstance(value, list) and all(isinstance(item, (str, int, float)) for item in value):
        return pgettext("enumeration", ", ").join(str(item) for item in value)
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _shortened(text: str) -> str:
    return text if len(text) <= DATA_VALUE_MAX else text[: DATA_VALUE_MAX - 1] + "…"


# --- the export ---------------------------------------------------------------------------

CSV_HEADER = (
    "id",
    "time_utc",
    "actor_id",
    "actor_email",
    "action",
    "object_type",
    "object_id",
    "school_id",
    "authority_id",
    "ip_address",
    "data",
)


def export_rows(scope: AuditScope, filters: AuditFilters, batch: int = EXPORT_BATCH) -> Iterator[list]:
    """The CSV rows (CSV_HEADER's columns) of every event in `scope` matching `filters`, newest
    first, read from the database a batch at a time (never all in memory), one query."""
    actor = aliased(User)
    query = (
        select(
            AuditEvent.id,
            AuditEvent.created_at,
            AuditEvent.actor_id,
            actor.email,
            AuditEvent.action,
            AuditEvent.object_type,
            AuditEvent.object_id,
            AuditEvent.school_id,
            AuditEvent.authority_id,
            AuditEvent.ip_address,
            AuditEvent.data,
        )
        .outerjoin(actor, actor.id == AuditEvent.actor_id)
        .where(_in_scope(scope), *_matching(filters))
        .order_by(AuditEvent.id.desc())
        .execution_options(yield_per=batch)
    )
    for row in db.session.execute(query):
        (
            event_id,
            created_at,
            actor_id,
            email,
            action,
            object_type,
            object_id,
            school_id,
            authority_id,
            ip_address,
            data,
        ) = row
        yield [
            event_id,
            created_at.astimezone(UTC).isoformat(timespec="seconds"),
            "" if actor_id is None else actor_id,
            email or "",
            action,
            object_type,
            "" if object_id is None else object_id,
            "" if school_id is None else school_id,
            "" if authority_id is None else authority_id,
            ip_address or "",
            json.dumps(data or {}, ensure_ascii=False, sort_keys=True),
        ]
