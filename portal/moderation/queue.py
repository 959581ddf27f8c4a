"""The moderators' queue (/moderation): what waits for a moderator in the authorities they
moderate (and every school and authority below them), oldest first: responses awaiting
pre-moderation, reported responses (published or hidden by the reports threshold, with open
reports), and consultations submitted for approval; narrowed to a district, a school or one
consultation (its page shows that part of the queue).

The first page costs a fixed number of queries whatever the queue's size: three ordered lists
(each limited to the page's end), one count, and one query each for the context (questions,
reports, the authors' earlier rejections and blocks).
"""

import functools
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import bindparam, false, func, literal_column, or_, select, union_all
from sqlalchemy.orm import contains_eager, joinedload

from portal import policy, workdays
from portal.accounts.models import AUTHORITY_ROLES
from portal.clock import local_to_utc, utcnow
from portal.consultations import responses
from portal.consultations import services as consultations
from portal.consultations.models import Consultation, ConsultationStatus, Question, Response, ResponseState
from portal.extensions import db
from portal.moderation.models import Block, Report
from portal.schools.models import Authority, School

PAGE_SIZE = 20


KINDS = ("pending", "reported", "consultation")


def moderated_paths(user) -> list[str]:
    """The paths of the authorities `user` moderates (as moderator or commission admin)."""
    if not getattr(user, "is_authenticated", False):
        return []
    return sorted({m.authority.path for m in user.memberships if m.role in AUTHORITY_ROLES and m.authority is not None})


def _under(paths: list[str]):
    return or_(*[Authority.path.startswith(path, autoescape=True) for path in paths]) if paths else false()


def _consultation_condition(
    paths: list[str], district: Authority | None, school_id: int | None, consultation_id: int | None = None
):
    """Consultations owned by a school or an authority within `paths` (narrowed to a district, a
    school, or one consultation)."""
    within = _under(paths)
    if district is not None:
        within = within & Authority.path.startswith(district.path, autoescape=True)
    schools = select(School.id).join(School.authority).where(within)
    authorities = select(Authority.id).where(within)
    if school_id is not None:
        condition = Consultation.school_id.in_(schools.where(School.id == school_id))
    else:
        condition = or_(Consultation.school_id.in_(schools), Consultation.authority_id.in_(authorities))
    if consultation_id is not None:
        condition = condition & (Consultation.id == consultation_id)
    return condition


@dataclass
class QueueItem:
    kind: str  # "pending", "reported" or "consultation"
    waiting_since: datetime
    consultation: Consultation
    response: Response | None = None
    reports: list[Report] = field(default_factory=list)
    earlier_rejections: int = 0
    block: Block | None = None
    questions: list[Question] = field(default_factory=list)

    @property
    def dom_id(self) -> str:
        return (
            f"moderation-item-{self.response.id}"
            if self.response is not None
            else f"moderation-item-c{self.consultation.id}"
        )


@dataclass
class QueuePage:
    items: list[QueueItem]
    counts: dict[str, int]
    page: int
    per_page: int
    total: int

    @property
    def has_next(self) -> bool:
        return self.page * self.per_page < self.total

    @property
    def has_prev(self) -> bool:
        return self.page > 1


def _open_reports():
    return (
        select(Report.response_id, func.min(Report.created_at).label("since"))
        .where(Report.resolved_at.is_(None))
        .group_by(Report.response_id)
        .subquery()
    )


def queue_page(
    user,
    *,
    district_id: int | None = None,
    school_id: int | None = None,
    consultation_id: int | None = None,
    kind: str | None = None,
    page: int = 1,
    per_page: int = PAGE_SIZE,
    now: datetime | None = None,
) -> QueuePage:
    """One page of the queue of what `user` moderates, oldest first, with the counts per kind and
    each item's context. A district or school outside the user's scope finds nothing."""
    paths = moderated_paths(user)
    district = db.session.get(Authority, district_id) if district_id else None
    if district_id and (district is None or not any(district.path.startswith(path) for path in paths)):
        paths = []
    in_scope = _consultation_condition(paths, district, school_id, consultation_id)
    reports = _open_reports()

    pending_q = (
        select(func.count())
        .select_from(Response)
        .join(Response.consultation)
        .where(Response.state == ResponseState.PENDING, in_scope)
    )
    reported_q = (
        select(func.count())
        .select_from(Response)
        .join(reports, reports.c.response_id == Response.id)
        .join(Response.consultation)
        .where(Response.state.in_([ResponseState.PUBLISHED, ResponseState.HIDDEN]), in_scope)
    )
    consultation_q = (
        select(func.count())
        .select_from(Consultation)
        .where(Consultation.status == ConsultationStatus.SUBMITTED, in_scope)
    )
    row = db.session.execute(
        select(pending_q.scalar_subquery(), reported_q.scalar_subquery(), consultation_q.scalar_subquery())
    ).one()
    counts = dict(zip(KINDS, row, strict=True))
    wanted = [kind] if kind in KINDS else list(KINDS)
    total = sum(counts[k] for k in wanted)
    page = max(page, 1)
    end = page * per_page

    owner = (
        joinedload(Response.consultation).joinedload(Consultation.school).joinedload(School.authority),
        joinedload(Response.consultation).joinedload(Consultation.authority),
        joinedload(Response.author),
    )
    items: list[QueueItem] = []
    if "pending" in wanted and counts["pending"]:
        rows = db.session.scalars(
            select(Response)
            .join(Response.consultation)
            .where(Response.state == ResponseState.PENDING, in_scope)
            .options(*owner)
            .order_by(Response.updated_at, Response.id)
            .limit(end)
        )
        items += [QueueItem("pending", r.updated_at, r.consultation, r) for r in rows]
    if "reported" in wanted and counts["reported"]:
        rows = db.session.execute(
            select(Response, reports.c.since)
            .join(reports, reports.c.response_id == Response.id)
            .join(Response.consultation)
            .where(Response.state.in_([ResponseState.PUBLISHED, ResponseState.HIDDEN]), in_scope)
            .options(*owner)
            .order_by(reports.c.since, Response.id)
            .limit(end)
        )
        items += [QueueItem("reported", since, r.consultation, r) for r, since in rows]
    if "consultation" in wanted and counts["consultation"]:
        rows = db.session.scalars(
            select(Consultation)
            .where(Consultation.status == ConsultationStatus.SUBMITTED, in_scope)
            .options(joinedload(Consultation.school).joinedload(School.authority), joinedload(Consultation.authority))
            .order_by(Consultation.submitted_at, Consultation.id)
            .limit(end)
        )
        items += [QueueItem("consultation", c.submitted_at or c.created_at, c) for c in rows]
    items.sort(key=lambda item: (item.waiting_since, item.kind))
    items = items[end - per_page : end]
    _add_context(items, now or utcnow())
    return QueuePage(items=items, counts=counts, page=page, per_page=per_page, total=total)


def _add_context(items: list[QueueItem], now: datetime) -> None:
    """The questions of each response's consultation, the open reports of reported ones, each
    author's earlier rejections and block in force: one query each, whatever the page's size."""
    responses = [item.response for item in items if item.response is not None]
    if not responses:
        return
    questions = defaultdict(list)
    for question in db.session.scalars(
        select(Question)
        .where(Question.consultation_id.in_({r.consultation_id for r in responses}))
        .order_by(Question.position)
    ):
        questions[question.consultation_id].append(question)
    reports = defaultdict(list)
    reported = [item.response.id for item in items if item.kind == "reported"]
    if reported:
        for report in db.session.scalars(
            select(Report)
            .where(Report.response_id.in_(reported), Report.resolved_at.is_(None))
            .order_by(Report.created_at, Report.id)
        ):
            reports[report.response_id].append(report)
    authors = {r.author_id for r in responses}
    rejections = dict(
        db.session.execute(
            select(Response.author_id, func.count())
            .where(
                Response.author_id.in_(authors),
                Response.state.in_([ResponseState.REJECTED, ResponseState.HIDDEN]),
                Response.reject_reason != "",
            )
            .group_by(Response.author_id)
        ).all()
    )
    blocks = defaultdict(list)
    for block in db.session.scalars(
        select(Block).where(Block.user_id.in_(authors), Block.lifted_at.is_(None)).order_by(Block.id)
    ):
        if block.in_force(now):
            blocks[block.user_id].append(block)
    for item in items:
        if item.response is None:
            continue
        item.questions = questions[item.response.consultation_id]
        item.reports = reports[item.response.id]
        item.earlier_rejections = rejections.get(item.response.author_id, 0)
        # The block that stops the author here (a block of another district does not).
        place = policy.place_of(item.response.consultation)
        item.block = next((b for b in blocks[item.response.author_id] if b.applies_to(place)), None)


def queue_item(response: Response, now: datetime | None = None) -> QueueItem:
    """One response as the queue shows it (to show it again with a form's errors)."""
    reported = response.state != ResponseState.PENDING
    item = QueueItem("reported" if reported else "pending", response.updated_at, response.consultation, response)
    _add_context([item], now or utcnow())
    return item


def consultation_item(consultation: Consultation) -> QueueItem:
    """A consultation awaiting approval as the queue shows it (to show it again with a form's errors)."""
    return QueueItem("consultation", consultation.submitted_at or consultation.created_at, consultation)


def schools_in_scope(user, language: str = "zh") -> list[School]:
    """The schools the queue can be narrowed to, by district then by name in `language` (as the
    filter shows them: English names alphabetically, Chinese names by pinyin)."""
    schools = db.session.scalars(
        select(School)
        .join(School.authority)
        .where(_under(moderated_paths(user)))
        .options(contains_eager(School.authority))
    )

    def by_name(school: School) -> str:
        return school.name_en.casefold() if language == "en" else school.name_sort

    return sorted(schools, key=lambda school: (school.authority.path, by_name(school), school.id))


def queue_response(response_id: int, *, for_update: bool = False) -> Response | None:
    """A response by id, with its consultation (callers check who may moderate it)."""
    response = db.session.get(Response, response_id)
    if response is None:
        return None
    consultation = consultations.consultation_by_id(response.consultation_id)
    if for_update:
        response = responses.response_in(consultation, response_id, for_update=True)
    return response


@dataclass
class QueueCounts:
    """What waits in one authority's part of the queue (its subtree)."""

    pending: int = 0  # responses awaiting pre-moderation
    reported: int = 0  # responses with open reports
    consultations: int = 0  # consultations awaiting approval


def counts_by_authority(authorities: list[Authority]) -> dict[int, QueueCounts]:
    """For each of `authorities`, what waits in the queue of its subtree (a city counts its
    districts' items too). One query: the three kinds counted per owning authority (UNION ALL),
    whatever the number of authorities and schools; the subtrees are summed here."""
    counts = {authority.id: QueueCounts() for authority in authorities}
    paths = sorted({authority.path for authority in authorities})
    if not paths:
        return counts
    rows = db.session.execute(
        _counts_by_path_query(len(paths)), {f"path_{i}": _starting_with(path) for i, path in enumerate(paths)}
    )
    for kind, path, number in rows:
        for authority in authorities:
            if path.startswith(authority.path):
                setattr(counts[authority.id], kind, getattr(counts[authority.id], kind) + number)
    return counts


def _starting_with(prefix: str) -> str:
    """A LIKE pattern for what starts with `prefix` (escaped as startswith(autoescape=True) does)."""
    return prefix.replace("/", "//").replace("%", "/%").replace("_", "/_") + "%"


@functools.lru_cache(maxsize=8)
def _counts_by_path_query(number_of_paths: int):
    # Built once per number of paths and run with the paths (LIKE patterns, _starting_with): staff's
    # pages ask on every visit. _consultation_query in the consultations' services says why.
    under = or_(*[Authority.path.like(bindparam(f"path_{i}"), escape="/") for i in range(number_of_paths)])
    owner = func.coalesce(School.authority_id, Consultation.authority_id)

    def by_owner(kind: str, statement):
        """`statement` (over consultations) counted per path of the owning authority. `kind` is
        one of the three names below, written into the SQL as a constant (PostgreSQL cannot type
        a bound parameter in a UNION's column)."""
        return (
            statement.add_columns(
                literal_column(f"'{kind}'").label("kind"), Authority.path, func.count().label("number")
            )
            .outerjoin(School, School.id == Consultation.school_id)
            .join(Authority, Authority.id == owner)
            .where(under)
            .group_by(Authority.path)
        )

    reports = _open_reports()
    pending = by_owner(
        "pending",
        select()
        .select_from(Response)
        .join(Consultation, Consultation.id == Response.consultation_id)
        .where(Response.state == ResponseState.PENDING),
    )
    reported = by_owner(
        "reported",
        select()
        .select_from(Response)
        .join(reports, reports.c.response_id == Response.id)
        .join(Consultation, Consultation.id == Response.consultation_id)
        .where(Response.state.in_([ResponseState.PUBLISHED, ResponseState.HIDDEN])),
    )
    submitted = by_owner(
        "consultations",
        select().select_from(Consultation).where(Consultation.status == ConsultationStatus.SUBMITTED),
    )
    return union_all(pending, reported, submitted)


def waited_since(working_days: int, today: date) -> datetime:
    """The moment before which an item has waited at least `working_days` working days by `today`
    (the start, on the schools' clock, of the day after the last such day)."""
    day = workdays.latest_start(working_days, today)
    return local_to_utc(day + timedelta(days=1), time(0, 0))


def waiting_longer_than(user, working_days: int, today: date) -> int:
    """How many items of `user`'s queue have waited at least `working_days` working days by
    `today` (the daily reminder to moderators): one query."""
    paths = moderated_paths(user)
    if not paths:
        return 0
    before = waited_since(working_days, today)
    in_scope = _consultation_condition(paths, None, None)
    reports = _open_reports()
    pending = (
        select(func.count())
        .select_from(Response)
        .join(Response.consultation)
        .where(Response.state == ResponseState.PENDING, Response.updated_at < before, in_scope)
    )
    reported = (
        select(func.count())
        .select_from(Response)
        .join(reports, reports.c.response_id == Response.id)
        .join(Response.consultation)
        .where(Response.state.in_([ResponseState.PUBLISHED, ResponseState.HIDDEN]), reports.c.since < before, in_scope)
    )
    submitted = (
        select(func.count())
        .select_from(Consultation)
        .where(Consultation.status == ConsultationStatus.SUBMITTED, Consultation.submitted_at < before, in_scope)
    )
    row = db.session.execute(
        select(pending.scalar_subquery(), reported.scalar_subquery(), submitted.scalar_subquery())
    ).one()
    return sum(row)
