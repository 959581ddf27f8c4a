"""The moderators' queue (/moderation) and blocks.

The queue lists what waits for a moderator in the authorities they moderate (and every school and
authority below them), oldest first: responses awaiting pre-moderation, reported responses
(published or hidden by the reports threshold, with open reports), and consultations submitted for
approval. The first page costs a fixed number of queries whatever the queue's size: three ordered
lists (each limited to the page's end), one count, and one query each for the context (questions,
reports, the authors' earlier rejections, the schools of the filter).
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app, has_app_context
from sqlalchemy import false, func, or_, select, update
from sqlalchemy.orm import contains_eager, joinedload

from portal import audit
from portal.accounts.models import AUTHORITY_ROLES
from portal.clock import utcnow
from portal.consultations import services as consultations
from portal.consultations.models import Consultation, ConsultationStatus, Question, Report, Response, ResponseState
from portal.domain import DomainError
from portal.extensions import db
from portal.moderation.models import BLOCK_DAYS, BLOCK_REASON_MAX, Block
from portal.schools.models import Authority, School
from portal.text import nfc

PAGE_SIZE = 20
KINDS = ("pending", "reported", "consultation")


def report_threshold() -> int:
    """How many open reports hide a published response until a moderator decides (PORTAL_REPORT_THRESHOLD)."""
    return int(current_app.config.get("PORTAL_REPORT_THRESHOLD", 3)) if has_app_context() else 3


# --- scope --------------------------------------------------------------------------------


def moderated_paths(user) -> list[str]:
    """The paths of the authorities `user` moderates (as moderator or commission admin)."""
    if not getattr(user, "is_authenticated", False):
        return []
    return sorted({m.authority.path for m in user.memberships if m.role in AUTHORITY_ROLES and m.authority is not None})


def _under(paths: list[str]):
    return or_(*[Authority.path.startswith(path, autoescape=True) for path in paths]) if paths else false()


def _consultation_condition(paths: list[str], district: Authority | None, school_id: int | None):
    """Consultations owned by a school or an authority within `paths` (narrowed to a district or a school)."""
    within = _under(paths)
    if district is not None:
        within = within & Authority.path.startswith(district.path, autoescape=True)
    schools = select(School.id).join(School.authority).where(within)
    authorities = select(Authority.id).where(within)
    if school_id is not None:
        return Consultation.school_id.in_(schools.where(School.id == school_id))
    return or_(Consultation.school_id.in_(schools), Consultation.authority_id.in_(authorities))


# --- the queue ----------------------------------------------------------------------------


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
    in_scope = _consultation_condition(paths, district, school_id)
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
    counts = dict(zip(KINDS, row))
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
    blocks = {}
    for block in db.session.scalars(
        select(Block).where(Block.user_id.in_(authors), Block.lifted_at.is_(None)).order_by(Block.id)
    ):
        if block.in_force(now):
            blocks[block.user_id] = block
    for item in items:
        if item.response is None:
            continue
        item.questions = questions[item.response.consultation_id]
        item.reports = reports[item.response.id]
        item.earlier_rejections = rejections.get(item.response.author_id, 0)
        item.block = blocks.get(item.response.author_id)


def queue_item(response: Response, now: datetime | None = None) -> QueueItem:
    """One response as the queue shows it (to show it again with a form's errors)."""
    reported = response.state != ResponseState.PENDING
    item = QueueItem("reported" if reported else "pending", response.updated_at, response.consultation, response)
    _add_context([item], now or utcnow())
    return item


def schools_in_scope(user) -> list[School]:
    """The schools the queue can be narrowed to, by district then by name."""
    return list(
        db.session.scalars(
            select(School)
            .join(School.authority)
            .where(_under(moderated_paths(user)))
            .options(contains_eager(School.authority))
            .order_by(Authority.path, School.name_zh, School.id)
        )
    )


def queue_response(response_id: int, *, for_update: bool = False) -> Response | None:
    """A response by id, with its consultation (callers check who may moderate it)."""
    if not isinstance(response_id, int) or not 0 < response_id < 2**31:
        return None
    response = db.session.get(Response, response_id)
    if response is None:
        return None
    consultation = consultations.consultation_by_id(response.consultation_id)
    if for_update:
        response = consultations.response_in(consultation, response_id, for_update=True)
    return response


# --- acting on reported content ----------------------------------------------------------


def _resolve_reports(actor, response: Response, resolution: str, now: datetime) -> int:
    result = db.session.execute(
        update(Report)
        .where(Report.response_id == response.id, Report.resolved_at.is_(None))
        .values(resolved_at=now, resolved_by_id=getattr(actor, "id", None), resolution=resolution)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def open_report_count(response: Response) -> int:
    return (
        db.session.scalar(
            select(func.count())
            .select_from(Report)
            .where(Report.response_id == response.id, Report.resolved_at.is_(None))
        )
        or 0
    )


def moderate(actor, response: Response, action: str, reason: str = "", now: datetime | None = None) -> None:
    """One moderator's decision on a response in the queue, with its reports resolved by it:
    "publish" (pending), "reject" (pending, with a reason), "hide" (published, with a reason),
    "restore" (hidden: published again) or "dismiss" (the reports were unfounded: a response the
    reports hid is published again). Raises DomainError "already_moderated", "reason_required",
    "no_reports"."""
    now = now or utcnow()
    if action == "publish":
        if response.state != ResponseState.PENDING:  # a hidden one is restored, with its reports resolved
            raise DomainError("already_moderated")
        consultations.publish_response(actor, response, now)
    elif action == "reject":
        consultations.reject_response(actor, response, reason, now)
    elif action == "hide":
        if not reason.strip():
            raise DomainError("reason_required")
        if response.state == ResponseState.HIDDEN:  # hidden by the reports: the moderator upholds it
            response.confirm_hidden(getattr(actor, "id", None), now, nfc(reason))
            db.session.flush()
            audit.record(
                actor,
                "response.hide",
                response,
                **consultations._owner_ids(response.consultation),
                consultation=response.consultation_id,
                reason=response.reject_reason,
            )
        else:
            consultations.hide_response(actor, response, reason, now)
        _resolve_reports(actor, response, "hidden", now)
    elif action == "restore":
        if response.state != ResponseState.HIDDEN:
            raise DomainError("already_moderated")
        consultations.publish_response(actor, response, now)
        _resolve_reports(actor, response, "restored", now)
    elif action == "dismiss":
        if response.state not in (ResponseState.PUBLISHED, ResponseState.HIDDEN):
            raise DomainError("already_moderated")
        if response.state == ResponseState.HIDDEN and response.moderated_by_id is None:
            consultations.publish_response(actor, response, now)  # hidden by the reports alone
        dismissed = _resolve_reports(actor, response, "dismissed", now)
        if not dismissed:
            raise DomainError("no_reports")
        audit.record(
            actor,
            "response.reports_dismiss",
            response,
            **consultations._owner_ids(response.consultation),
            consultation=response.consultation_id,
            reports=dismissed,
        )
    else:
        raise DomainError("unknown_action")


def hide_if_reported_enough(response: Response, now: datetime | None = None) -> bool:
    """After a report: a published response with PORTAL_REPORT_THRESHOLD open reports is hidden
    (by nobody: the portal) until a moderator decides. True when it was hidden now."""
    if response.state != ResponseState.PUBLISHED or open_report_count(response) < report_threshold():
        return False
    consultations.hide_response(None, response, "reported", now)
    return True


# --- blocks -------------------------------------------------------------------------------


def block_user(actor, user, data: dict, now: datetime | None = None) -> Block:
    """Block `user` for data["days"] (1, 7, 30, or None: until lifted) with data["reason"].
    DomainError "reason_required", "reason_too_long", "duration", "own_account"."""
    now = now or utcnow()
    reason = nfc(data.get("reason"))
    if not reason:
        raise DomainError("reason_required")
    if len(reason) > BLOCK_REASON_MAX:
        raise DomainError("reason_too_long")
    days = data.get("days")
    if days not in BLOCK_DAYS:
        raise DomainError("duration")
    if getattr(actor, "id", None) == user.id:
        raise DomainError("own_account")
    block = Block(
        user_id=user.id,
        blocked_by_id=getattr(actor, "id", None),
        reason=reason,
        created_at=now,
        ends_at=now + timedelta(days=days) if days else None,
    )
    db.session.add(block)
    db.session.flush()
    audit.record(actor, "account.block", block, **data.get("owner_ids", {}), user=user.id, days=days, reason=reason)
    return block


def lift_blocks(actor, user, now: datetime | None = None, owner_ids: dict | None = None) -> int:
    """Lift every block of `user` in force. DomainError "not_blocked" when there is none."""
    now = now or utcnow()
    blocks = [
        b
        for b in db.session.scalars(
            select(Block).where(Block.user_id == user.id, Block.lifted_at.is_(None)).with_for_update()
        )
        if b.in_force(now)
    ]
    if not blocks:
        raise DomainError("not_blocked")
    for block in blocks:
        block.lifted_at, block.lifted_by_id = now, getattr(actor, "id", None)
        db.session.flush()
        audit.record(actor, "account.unblock", block, **(owner_ids or {}), user=user.id)
    return len(blocks)


def decisions_for(user, limit: int = 20) -> list[dict]:
    """What moderators decided about `user`'s responses and about the responses they reported,
    newest first: plain rows for /me."""
    own = db.session.scalars(
        select(Response)
        .where(Response.author_id == user.id, Response.state.in_([ResponseState.REJECTED, ResponseState.HIDDEN]))
        .options(joinedload(Response.consultation))
        .order_by(Response.moderated_at.desc(), Response.id.desc())
        .limit(limit)
    )
    rows = [
        {
            "kind": "own",
            "consultation": r.consultation,
            "state": r.state,
            "reason": r.reject_reason,
            "at": r.moderated_at or r.updated_at,
        }
        for r in own
    ]
    reported = db.session.execute(
        select(Report, Response)
        .join(Response, Response.id == Report.response_id)
        .where(Report.reporter_id == user.id)
        .options(joinedload(Report.response).joinedload(Response.consultation))
        .order_by(Report.id.desc())
        .limit(limit)
    )
    for report, response in reported:
        rows.append(
            {
                "kind": "report",
                "consultation": response.consultation,
                "state": response.state,
                "resolution": report.resolution,
                "at": report.resolved_at or report.created_at,
                "open": report.resolved_at is None,
            }
        )
    return sorted(rows, key=lambda row: row["at"], reverse=True)[:limit]
