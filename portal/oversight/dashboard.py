"""The oversight dashboard (/oversight): how consultations, moderation and feedback are going, per
district and, within a chosen district, per school, for the moderators and commission admins of
the authorities above them.

Plain functions returning plain rows (OversightRow), each level computed with a fixed number of
aggregate queries grouped by district or by school, whatever the number of schools.

What the numbers count (the page says the same in its "how these are counted" note):
- open consultations: approved, and now between their opening and closing times;
- responses: every response to the unit's consultations (and, beside it, how many are published);
- participation rate: of the distinct people who responded to the unit's consultations that were
  open at some time in the last 365 days, those who are verified parents (parent roles, from the
  schools' invitation codes) of the unit's schools, divided by those verified parents; None when
  it has none. The rate is a share of one group, so it never passes 100%. Consultations open to
  anyone with an account also bring people who are not the unit's parents: they are counted
  beside it (`other_responders`), never in it;
- moderation backlog: responses awaiting moderation + consultations awaiting approval;
- median time to moderate: the median of (moderated − written) over the responses moderated in
  the last 90 days (at most MODERATION_SAMPLE of the latest), None when there were none;
- feedback answered in time: of the feedback received in the last 365 days, the share first
  marked answered within ANSWER_WORKING_DAYS working days (Beijing dates, on the official calendar
  of public holidays and make-up working days, with the commission's overrides: portal.workdays).
  Items still unanswered past that count as late; unanswered items still within it are left out;
- overdue outcomes: consultations closed more than PORTAL_OUTCOME_DAYS days ago with no outcome.

A district's numbers count its schools' consultations and the district authority's own; a
school's, the school's own (district- and city-wide consultations are not split among schools).
"""

import statistics
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, case, false, func, or_, select

from portal import workdays
from portal.accounts.models import AUTHORITY_ROLES, Membership, Role
from portal.clock import local_date
from portal.consultations.models import Consultation, ConsultationStatus, Phase, Response, ResponseState
from portal.consultations.services import outcome_due_days
from portal.extensions import db
from portal.feedback import services as feedback_services
from portal.feedback.models import EventKind, Feedback, FeedbackEvent, FeedbackStatus
from portal.schools.models import Authority, School

PARTICIPATION_DAYS = 365
MODERATION_DAYS = 90
MODERATION_SAMPLE = 20_000  # the latest moderated responses a median is taken from
FEEDBACK_DAYS = 365
ANSWER_WORKING_DAYS = feedback_services.ANSWER_WORKING_DAYS
OVERDUE_LISTED = 5  # overdue consultations named (and linked) in a row


@dataclass
class OversightRow:
    """One district's or one school's numbers. Rates are fractions (0.42), None when undefined."""

    level: str  # "district" or "school"
    id: int
    name_zh: str
    name_en: str
    slug: str = ""  # a school's
    open_consultations: int = 0
    responses: int = 0
    published_responses: int = 0
    pending_responses: int = 0
    submitted_consultations: int = 0
    responders: int = 0  # everyone who responded (distinct people)
    parent_responders: int = 0  # of them, the verified parents of the unit's schools
    verified_parents: int = 0
    moderation_seconds: list = field(default_factory=list, repr=False)
    feedback_counted: int = 0
    feedback_in_time: int = 0
    overdue_outcomes: int = 0
    overdue: list = field(default_factory=list)  # (consultation id, title), at most OVERDUE_LISTED

    def name(self, language: str) -> str:
        return self.name_en if language == "en" else self.name_zh

    @property
    def other_responders(self) -> int:
        """Responders who are not verified parents of the unit's schools (residents, parents of
        other schools answering a consultation open to anyone with an account)."""
        return self.responders - self.parent_responders

    @property
    def participation(self) -> float | None:
        """The share of the unit's verified parents who responded: at most 1 (100%)."""
        return self.parent_responders / self.verified_parents if self.verified_parents else None

    @property
    def backlog(self) -> int:
        return self.pending_responses + self.submitted_consultations

    @property
    def median_moderation_hours(self) -> float | None:
        if not self.moderation_seconds:
            return None
        return statistics.median(self.moderation_seconds) / 3600

    @property
    def feedback_share(self) -> float | None:
        return self.feedback_in_time / self.feedback_counted if self.feedback_counted else None


# --- who sees what ------------------------------------------------------------------------


@dataclass(frozen=True)
class OversightScope:
    """The paths ("/1/3/") of the authorities whose subtree the reader oversees."""

    authority_paths: tuple[str, ...]


def oversight_scope(user) -> OversightScope:
    """The subtrees of `user`'s moderator and commission admin roles (empty for anybody else)."""
    paths = {
        m.authority.path
        for m in getattr(user, "memberships", ())
        if m.role in AUTHORITY_ROLES and m.authority is not None
    }
    return OversightScope(authority_paths=tuple(sorted(paths)))


def _authorities_in(scope: OversightScope):
    if not scope.authority_paths:
        return select(Authority.id).where(false())
    return select(Authority.id).where(
        or_(*(Authority.path.startswith(path, autoescape=True) for path in scope.authority_paths))
    )


def districts(scope: OversightScope) -> list[Authority]:
    """The districts in scope: every authority of the reader's subtrees that has a parent (the
    city commission at the top is not a district) or schools of its own. One query."""
    with_schools = select(School.authority_id)
    query = (
        select(Authority)
        .where(
            Authority.id.in_(_authorities_in(scope)),
            or_(Authority.parent_id.is_not(None), Authority.id.in_(with_schools)),
        )
        .order_by(Authority.path, Authority.id)
    )
    return list(db.session.scalars(query))


def district_in_scope(scope: OversightScope, district_id: int | None) -> Authority | None:
    """The district asked for, or None when it is not one of the reader's (whatever the id)."""
    if district_id is None:
        return None
    return next((district for district in districts(scope) if district.id == district_id), None)


def schools_of(district: Authority) -> list[School]:
    return list(
        db.session.scalars(
            select(School).where(School.authority_id == district.id).order_by(School.name_sort, School.id)
        )
    )


# --- the numbers --------------------------------------------------------------------------


def district_rows(scope: OversightScope, now: datetime) -> list[OversightRow]:
    """One row per district in scope."""
    found = districts(scope)
    rows = {d.id: OversightRow("district", d.id, d.name_zh, d.name_en) for d in found}
    if rows:
        ids = list(rows)
        # A consultation belongs to its school's district, or to the district that owns it.
        consultation_unit = func.coalesce(School.authority_id, Consultation.authority_id)
        _fill(
            rows,
            now,
            consultation_unit=consultation_unit,
            consultation_join=lambda q: q.outerjoin(School, School.id == Consultation.school_id),
            consultation_where=consultation_unit.in_(ids),
            school_unit=School.authority_id,
            school_where=School.authority_id.in_(ids),
        )
    return list(rows.values())


def school_rows(district: Authority, now: datetime, schools: list[School] | None = None) -> list[OversightRow]:
    """One row per school of `district` (the caller checks that it is in the reader's scope)."""
    schools = schools_of(district) if schools is None else schools
    rows = {s.id: OversightRow("school", s.id, s.name_zh, s.name_en, slug=s.slug) for s in schools}
    if rows:
        in_district = select(School.id).where(School.authority_id == district.id)
        _fill(
            rows,
            now,
            consultation_unit=Consultation.school_id,
            consultation_join=lambda q: q,
            consultation_where=Consultation.school_id.in_(in_district),
            school_unit=School.id,
            school_where=School.authority_id == district.id,
        )
    return list(rows.values())


def _fill(rows, now, *, consultation_unit, consultation_join, consultation_where, school_unit, school_where) -> None:
    """Seven queries, each grouped by unit (district or school)."""
    unit = consultation_unit.label("unit")
    days = outcome_due_days()
    # The phase rules are the model's (Consultation.in_phase, closed_at, outcome_overdue).
    closed_at = Consultation.closed_at
    is_open = Consultation.in_phase(Phase.OPEN, now)
    is_overdue = Consultation.outcome_overdue(now, days)

    def counted(condition):
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    # 1. consultations: open, awaiting approval, overdue.
    query = (
        consultation_join(
            select(
                unit,
                counted(is_open),
                counted(Consultation.status == ConsultationStatus.SUBMITTED),
                counted(is_overdue),
            )
        )
        .where(consultation_where)
        .group_by(consultation_unit)
    )
    for key, open_count, submitted, overdue in db.session.execute(query):
        rows[key].open_consultations, rows[key].submitted_consultations, rows[key].overdue_outcomes = (
            open_count,
            submitted,
            overdue,
        )

    # 2. the overdue consultations themselves, the latest closed first (a few per unit are named).
    query = (
        consultation_join(select(unit, Consultation.id, Consultation.title))
        .where(consultation_where, is_overdue)
        .order_by(closed_at.desc(), Consultation.id.desc())
    )
    for key, ident, title in db.session.execute(query):
        if len(rows[key].overdue) < OVERDUE_LISTED:
            rows[key].overdue.append((ident, title))

    # 3. responses: all, published, awaiting moderation.
    query = (
        consultation_join(
            select(
                unit,
                func.count(Response.id),
                counted(Response.state == ResponseState.PUBLISHED),
                counted(Response.state == ResponseState.PENDING),
            )
            .select_from(Response)
            .join(Consultation, Consultation.id == Response.consultation_id)
        )
        .where(consultation_where)
        .group_by(consultation_unit)
    )
    for key, total, published, pending in db.session.execute(query):
        rows[key].responses, rows[key].published_responses, rows[key].pending_responses = total, published, pending

    # 4. verified parents of the unit's schools: counted (5) and, among the responders (4), told
    #    apart from everyone else.
    parents = (
        select(school_unit.label("unit"), Membership.user_id.label("user_id"))
        .select_from(Membership)
        .join(School, School.id == Membership.school_id)
        .where(Membership.role == Role.PARENT, school_where)
        .distinct()
        .subquery()
    )

    # 5. responders to consultations open at some time in the last year: all, and the unit's parents.
    recent = (
        Consultation.is_public
        & (Consultation.opens_at <= now)
        & (closed_at >= now - timedelta(days=PARTICIPATION_DAYS))
    )
    query = (
        consultation_join(
            select(unit, func.count(func.distinct(Response.author_id)), func.count(func.distinct(parents.c.user_id)))
            .select_from(Response)
            .join(Consultation, Consultation.id == Response.consultation_id)
        )
        .outerjoin(parents, and_(parents.c.unit == consultation_unit, parents.c.user_id == Response.author_id))
        .where(consultation_where, recent)
        .group_by(consultation_unit)
    )
    for key, responders, parent_responders in db.session.execute(query):
        rows[key].responders, rows[key].parent_responders = responders, parent_responders

    query = select(parents.c.unit, func.count(parents.c.user_id)).group_by(parents.c.unit)
    for key, count in db.session.execute(query):
        rows[key].verified_parents = count

    # 6. how long moderation took: the durations, the median taken here (one code path on
    #    SQLite and PostgreSQL alike).
    query = consultation_join(
        select(unit, Response.created_at, Response.moderated_at)
        .select_from(Response)
        .join(Consultation, Consultation.id == Response.consultation_id)
    ).where(consultation_where, Response.moderated_at >= now - timedelta(days=MODERATION_DAYS))
    for key, written, moderated in db.session.execute(
        query.order_by(Response.moderated_at.desc()).limit(MODERATION_SAMPLE)
    ):
        rows[key].moderation_seconds.append(max((moderated - written).total_seconds(), 0))

    # 7. feedback of the last year and when each was first marked answered.
    first_answered = (
        select(FeedbackEvent.feedback_id, func.min(FeedbackEvent.created_at).label("at"))
        .where(FeedbackEvent.kind == EventKind.STATUS_CHANGE, FeedbackEvent.status == FeedbackStatus.ANSWERED)
        .group_by(FeedbackEvent.feedback_id)
        .subquery()
    )
    query = (
        select(school_unit.label("unit"), Feedback.created_at, first_answered.c.at)
        .select_from(Feedback)
        .join(School, School.id == Feedback.school_id)
        .outerjoin(first_answered, first_answered.c.feedback_id == Feedback.id)
        .where(school_where, Feedback.created_at >= now - timedelta(days=FEEDBACK_DAYS))
    )
    today = local_date(now)
    calendar = workdays.calendar()
    for key, received, answered in db.session.execute(query):
        deadline = calendar.after(local_date(received), ANSWER_WORKING_DAYS)  # as feedback_services.answer_due
        if answered is not None and local_date(answered) <= deadline:
            rows[key].feedback_counted += 1
            rows[key].feedback_in_time += 1
        elif answered is not None or today > deadline:
            rows[key].feedback_counted += 1


# --- the export ---------------------------------------------------------------------------

CSV_HEADER = (
    "level",
    "id",
    "name_zh",
    "name_en",
    "open_consultations",
    "responses",
    "published_responses",
    "responders_last_365_days",
    "parent_responders_last_365_days",
    "other_responders_last_365_days",
    "verified_parents",
    "participation_percent",
    "pending_responses",
    "consultations_awaiting_approval",
    "moderation_backlog",
    "median_hours_to_moderate_last_90_days",
    "feedback_counted",
    "feedback_answered_within_15_working_days",
    "feedback_answered_in_time_percent",
    "overdue_outcomes",
)


def _number(value: float | None, digits: int = 1) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def csv_rows(rows: list[OversightRow]) -> list[list]:
    """The rows as CSV_HEADER's columns (web.csv_response makes the names safe for spreadsheets)."""
    return [
        [
            row.level,
            row.id,
            row.name_zh,
            row.name_en,
            row.open_consultations,
            row.responses,
            row.published_responses,
            row.responders,
            row.parent_responders,
            row.other_responders,
            row.verified_parents,
            _number(None if row.participation is None else row.participation * 100),
            row.pending_responses,
            row.submitted_consultations,
            row.backlog,
            _number(row.median_moderation_hours),
            row.feedback_counted,
            row.feedback_in_time,
            _number(None if row.feedback_share is None else row.feedback_share * 100),
            row.overdue_outcomes,
        ]
        for row in rows
    ]
