"""The supervisor's rules: which schools a person supervises, referring feedback to them (left
unanswered past PORTAL_FEEDBACK_ESCALATE_DAYS working days, or on the sender's request for a
review), their queue, and their answer. Every change is audited and announced in the caller's
transaction; nothing here commits."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from portal import audit, events, workdays
from portal.accounts import services as account_services
from portal.accounts.models import Membership, Role, StaffInvitation, User, normalize_email
from portal.clock import local_date, utcnow
from portal.domain import DomainError
from portal.extensions import db
from portal.feedback.models import EventKind, Feedback, FeedbackEvent, FeedbackStatus
from portal.schools.models import Authority, School
from portal.supervision.models import CaseKind, SupervisionCase, SupervisionRefusal

DEFAULT_ESCALATE_DAYS = 15


def supervised_school_ids(user) -> list[int]:
    """The schools `user` is the responsible supervisor of (from the memberships already loaded)."""
    if not getattr(user, "is_authenticated", False):
        return []
    return [m.school_id for m in user.memberships if m.role == Role.SUPERVISOR and m.school_id is not None]


def open_cases_count(user) -> int | None:
    """How many cases of the schools `user` supervises wait for an answer; None for someone who
    supervises no school (no query)."""
    school_ids = supervised_school_ids(user)
    if not school_ids:
        return None
    return db.session.scalar(
        select(func.count()).where(SupervisionCase.school_id.in_(school_ids), SupervisionCase.answered_at.is_(None))
    )


# The school's page loads its supervisors with the school, and the supervisors' public answers
# with the answered items it shows (options for the queries of the features that own them).
SUPERVISORS_LOADED = joinedload(School.supervisor_memberships).joinedload(Membership.user)
PUBLIC_ANSWERS_LOADED = joinedload(Feedback.public_supervisor_answers)


def supervisors_of(school: School) -> list[Membership]:
    """The school's supervisors (their memberships, with the public contact), in the order they
    were assigned: loaded with the school where its query had SUPERVISORS_LOADED, else one query."""
    return list(school.supervisor_memberships)


def _supervisor_ids(school_id: int) -> list[int]:
    return list(
        db.session.scalars(
            select(Membership.user_id).where(Membership.school_id == school_id, Membership.role == Role.SUPERVISOR)
        )
    )


# --- referring -----------------------------------------------------------------------------


def _refer(actor, feedback: Feedback, kind: CaseKind, reason: str, now: datetime) -> SupervisionCase:
    supervisors = _supervisor_ids(feedback.school_id)
    if not supervisors:
        raise DomainError(SupervisionRefusal.NO_SUPERVISOR)
    feedback.escalate()
    db.session.add(
        FeedbackEvent(
            feedback=feedback,
            actor_id=getattr(actor, "id", None),
            kind=EventKind.STATUS_CHANGE,
            status=FeedbackStatus.ESCALATED,
            created_at=now,
        )
    )
    case = SupervisionCase(feedback=feedback, school_id=feedback.school_id, kind=kind, reason=reason, opened_at=now)
    db.session.add(case)
    db.session.flush()
    audit.record(
        actor,
        f"supervision.{kind.value}",
        case,
        school_id=feedback.school_id,
        reference=feedback.reference,
        reason=reason or None,
    )
    events.emit("feedback.escalated", feedback, actor, kind=kind.value, supervisor_ids=supervisors, case_id=case.id)
    return case


def escalate_deadline_passed(received: datetime, today: date, days: int) -> bool:
    """Whether feedback received at `received` has waited more than `days` working days by
    `today`: the day after its `days`th working day (holidays, make-up days and the commission's
    overrides counted, portal.workdays), as the inbox's "overdue" counts."""
    return today > workdays.working_days_after(local_date(received), days)


def escalate_unanswered(today: date, days: int, *, now: datetime | None = None) -> list[SupervisionCase]:
    """Refer every item still unanswered (received or in progress, never replied to) past `days`
    working days to its school's supervisor, once (an item already referred stays as it is).
    Schools without a supervisor keep theirs: nobody would read it. Flushes."""
    now = now or utcnow()
    supervised = select(Membership.school_id).where(Membership.role == Role.SUPERVISOR)
    already = select(SupervisionCase.feedback_id).where(SupervisionCase.kind == CaseKind.ESCALATED)
    candidates = db.session.scalars(
        select(Feedback)
        .where(
            Feedback.status.in_([FeedbackStatus.RECEIVED, FeedbackStatus.IN_PROGRESS]),
            Feedback.replied_at.is_(None),
            Feedback.school_id.in_(supervised),
            Feedback.id.not_in(already),
            # A cheap bound: `days` working days are at least `days` calendar days.
            Feedback.created_at < now - timedelta(days=days),
        )
        .options(selectinload(Feedback.events))
        .order_by(Feedback.created_at)
    ).all()
    cases = []
    for feedback in candidates:
        if not escalate_deadline_passed(feedback.created_at, today, days):
            continue
        cases.append(_refer(None, feedback, CaseKind.ESCALATED, "", now))
    return cases


def request_review(actor, feedback: Feedback, data: dict, *, now: datetime | None = None) -> SupervisionCase:
    """The sender, not satisfied with the school's answer, asks the supervisor to review it: once
    per item (REVIEW_ALREADY_REQUESTED), only once the school replied (NOTHING_TO_REVIEW), only
    where the school has a supervisor (NO_SUPERVISOR). Flushes."""
    now = now or utcnow()
    if any(case.kind == CaseKind.REVIEW for case in feedback.supervision_cases):
        raise DomainError(SupervisionRefusal.REVIEW_ALREADY_REQUESTED)
    if feedback.replied_at is None:
        raise DomainError(SupervisionRefusal.NOTHING_TO_REVIEW)
    return _refer(actor, feedback, CaseKind.REVIEW, data["reason"], now)


def public_answers(items: Iterable[Feedback]) -> dict[int, list[SupervisionCase]]:
    """For the school's page: the supervisor's public answers to `items` (those it shows) that are
    not private, by feedback id, oldest first (loaded with the items where their query had
    PUBLIC_ANSWERS_LOADED). A private answer stays between the supervisor and the sender (their
    item page), whatever else the item shows."""
    return {
        item.id: list(item.public_supervisor_answers)
        for item in items
        if not item.private and item.public_supervisor_answers
    }


def may_request_review(feedback: Feedback) -> bool:
    return feedback.replied_at is not None and not any(
        case.kind == CaseKind.REVIEW for case in feedback.supervision_cases
    )


# --- the queue and the answer ----------------------------------------------------------------


def queue(user, *, answered: bool = False) -> list[SupervisionCase]:
    """The cases of the schools `user` supervises: open ones oldest first (or answered ones,
    newest first), with their feedback and its timeline."""
    school_ids = supervised_school_ids(user)
    if not school_ids:
        return []
    query = (
        select(SupervisionCase)
        .where(SupervisionCase.school_id.in_(school_ids))
        .options(
            joinedload(SupervisionCase.feedback).selectinload(Feedback.events),
            joinedload(SupervisionCase.school),
        )
    )
    if answered:
        query = query.where(SupervisionCase.answered_at.is_not(None)).order_by(SupervisionCase.answered_at.desc())
    else:
        query = query.where(SupervisionCase.answered_at.is_(None)).order_by(SupervisionCase.opened_at)
    return list(db.session.scalars(query).unique())


def case_for(user, case_id: int) -> SupervisionCase | None:
    """The case, if `user` supervises its school (else None: it does not exist for them)."""
    case = db.session.get(SupervisionCase, case_id)
    if case is None or case.school_id not in supervised_school_ids(user):
        return None
    return case


def answer_case(actor, case: SupervisionCase, data: dict, *, today: date, now: datetime | None = None) -> None:
    """The supervisor's answer to the sender (public only for an item that is not private), and
    optionally a day by which the school must answer (after today: DIRECT_BY_IN_PAST). Audited
    and announced (the sender, and the school's staff when directed). Flushes."""
    now = now or utcnow()
    answer_by = data.get("answer_by")
    if answer_by is not None and answer_by <= today:
        raise DomainError(SupervisionRefusal.DIRECT_BY_IN_PAST)
    public = bool(data.get("public")) and not case.feedback.private
    case.record_answer(now, actor.id, data["answer"], public, answer_by)
    db.session.flush()
    audit.record(
        actor,
        "supervision.answer",
        case,
        school_id=case.school_id,
        reference=case.feedback.reference,
        public=public,
        school_to_answer_by=answer_by.isoformat() if answer_by else None,
    )
    events.emit(
        "feedback.supervisor_answered",
        case.feedback,
        actor,
        public=public,
        school_to_answer_by=answer_by.isoformat() if answer_by else None,
    )


# --- assigning -------------------------------------------------------------------------------


def schools_under(authority: Authority) -> list[School]:
    return [
        school
        for school in db.session.scalars(select(School).order_by(School.name_sort, School.id))
        if authority.covers(school.authority)
    ]


def supervisors_under(authority: Authority) -> list[Membership]:
    ids = [school.id for school in schools_under(authority)]
    if not ids:
        return []
    return list(
        db.session.scalars(
            select(Membership)
            .where(Membership.role == Role.SUPERVISOR, Membership.school_id.in_(ids))
            .options(joinedload(Membership.user), joinedload(Membership.school))
            .order_by(Membership.school_id, Membership.id)
        )
    )


def appoint_supervisor(actor, school: School, data: dict, *, language: str | None) -> account_services.Appointment:
    """Make the person with `data["email"]` the responsible supervisor of `school`, with
    `data["public_contact"]`: their account if they have one (assign_supervisor), or else an
    invitation mailed to the address (in `language`), the role and the contact theirs once they
    make their account."""
    contact = data.get("public_contact") or ""
    user = account_services.find_user_by_email(data["email"])
    if user is None:
        email = normalize_email(data["email"])
        return account_services.invite_staff(
            actor, school, email, Role.SUPERVISOR, language=language, public_contact=contact
        )
    return account_services.Appointment(membership=assign_supervisor(actor, school, user, contact))


def supervisor_invitations_under(authority: Authority) -> list[StaffInvitation]:
    """The open invitations to be a responsible supervisor of the schools under `authority`."""
    ids = [school.id for school in schools_under(authority)]
    if not ids:
        return []
    query = account_services.open_invitations_query(
        StaffInvitation.role == Role.SUPERVISOR, StaffInvitation.school_id.in_(ids)
    )
    return list(db.session.scalars(query.options(joinedload(StaffInvitation.school))))


def supervisor_invitation_under(authority: Authority, invitation_id: int) -> StaffInvitation | None:
    """An invitation to be the supervisor of a school under `authority` (any other: None)."""
    invitation = db.session.get(StaffInvitation, invitation_id)
    if invitation is None or invitation.role != Role.SUPERVISOR or invitation.school is None:
        return None
    return invitation if authority.covers(invitation.school.authority) else None


def assign_supervisor(actor, school: School, user: User, public_contact: str) -> Membership:
    """Make `user` a responsible supervisor of `school` with the contact the school's page shows
    (a membership; its contact updated if they already are). Audited when anything changed; flushes."""
    existing = db.session.scalar(
        select(Membership).where(
            Membership.user_id == user.id, Membership.role == Role.SUPERVISOR, Membership.school_id == school.id
        )
    )
    if existing is not None and existing.public_contact == public_contact:
        return existing
    membership = account_services.grant_membership(actor, user, Role.SUPERVISOR, school)
    membership.public_contact = public_contact
    db.session.flush()
    audit.record(actor, "supervision.assign", membership, school_id=school.id, user_id=user.id)
    return membership


def unassign_supervisor(actor, membership: Membership) -> None:
    audit.record(actor, "supervision.unassign", membership, school_id=membership.school_id, user_id=membership.user_id)
    db.session.delete(membership)
    db.session.flush()


# --- oversight --------------------------------------------------------------------------------


@dataclass(frozen=True)
class SchoolSupervision:
    school_id: int
    escalated: int
    reviews: int
    open: int
    median_answer_days: float | None


def supervision_figures(school_ids: list[int]) -> dict[int, SchoolSupervision]:
    """Per school: cases escalated, review requests, cases still open, and the median time the
    supervisors took to answer (in days, answered cases only)."""
    if not school_ids:
        return {}
    rows = db.session.execute(
        select(
            SupervisionCase.school_id, SupervisionCase.kind, SupervisionCase.opened_at, SupervisionCase.answered_at
        ).where(SupervisionCase.school_id.in_(school_ids))
    ).all()
    figures = {}
    for school_id in school_ids:
        mine = [row for row in rows if row.school_id == school_id]
        waits = sorted(
            (row.answered_at - row.opened_at).total_seconds() / 86400 for row in mine if row.answered_at is not None
        )
        median = None
        if waits:
            middle = len(waits) // 2
            median = waits[middle] if len(waits) % 2 else (waits[middle - 1] + waits[middle]) / 2
        figures[school_id] = SchoolSupervision(
            school_id,
            escalated=sum(1 for row in mine if row.kind == CaseKind.ESCALATED),
            reviews=sum(1 for row in mine if row.kind == CaseKind.REVIEW),
            open=sum(1 for row in mine if row.answered_at is None),
            median_answer_days=median,
        )
    return figures


def count_open(user) -> int:
    school_ids = supervised_school_ids(user)
    if not school_ids:
        return 0
    return db.session.scalar(
        select(func.count())
        .select_from(SupervisionCase)
        .where(SupervisionCase.school_id.in_(school_ids), SupervisionCase.answered_at.is_(None))
    )
