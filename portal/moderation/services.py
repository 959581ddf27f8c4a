"""Moderation's rules: what moderators do to responses (publish, reject, hide, restore, dismiss
reports), what anyone may do to a published response (report it, and enough open reports hide it
until a moderator decides), and blocks.

Every decision on a response goes through moderate(): from the queue, from a consultation's page
or in bulk, it resolves the response's open reports the same way. A response's state moves only
through the Response model's methods, and the consultation's tallies follow in the same
transaction (consultations.responses.count_response).
"""

import functools
from datetime import datetime, timedelta

from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, exists, func, select, update
from sqlalchemy.orm import joinedload

from portal import audit, events, policy
from portal.clock import utcnow
from portal.consultations.models import Response, ResponseState
from portal.consultations.responses import count_rejected, count_response
from portal.domain import DomainError, Reason
from portal.extensions import db
from portal.models import AUTHORITY_ROLES, Authority, Membership, User
from portal.moderation.models import BLOCK_DAYS, BLOCK_REASON_MAX, REPORTED, Block, Report
from portal.text import nfc

RESPONSE_ACTIONS = ("publish", "reject", "hide", "restore", "dismiss")


class ModerationRefusal(Reason):
    ALREADY_MODERATED = "already_moderated", _l("Someone else has already handled this. Nothing was changed.")
    REASON_REQUIRED = "reason_required", _l("Choose a reason, or write one."), "reason"
    # A block's reason is written (its form has no list of reasons to choose from).
    BLOCK_REASON_REQUIRED = (
        "block_reason_required",
        _l("Write why the account is blocked: the person is told."),
        "reason",
    )
    REASON_TOO_LONG = "reason_too_long", _l("The reason is too long."), "reason"
    NO_REPORTS = "no_reports", _l("This response has no open reports to dismiss. Nothing was changed.")
    UNKNOWN_ACTION = "unknown_action", _l("This action is not one the queue offers."), "action"
    NOT_PUBLISHED = "not_published", _l("Only published responses can be reported.")
    # Why a consultation's page offers no "hide" form for a response (hide_refusal).
    ALREADY_HIDDEN = "already_hidden", _l("This response is already hidden.")
    HIDDEN_BY_REPORTS = (
        "hidden_by_reports",
        _l(
            "Its reports have hidden this response until a moderator decides: "
            "keep it hidden or restore it in the moderation queue."
        ),
    )
    AWAITS_MODERATION = (
        "awaits_moderation",
        _l("This response is not published yet: publish or reject it in the moderation queue."),
    )
    REJECTED = "rejected", _l("This response was rejected, so it is not published and there is nothing to hide.")
    ALREADY_REPORTED = (
        "already_reported",
        _l("You have already reported this response. The moderators have your report."),
    )
    OWN_RESPONSE = (
        "own_response",
        _l("This is your own response: you can change it instead of reporting it."),
        "reason",
    )
    DURATION = "duration", _l("Choose for how long."), "days"
    OWN_ACCOUNT = "own_account", _l("You cannot block your own account.")
    NOT_BLOCKED = "not_blocked", _l("The author is not blocked (any more). Nothing was changed.")
    BLOCKED_ABOVE = (
        "blocked_above",
        _l(
            "The author's block was made by the moderators of a wider area than yours, and only they can lift it. "
            "Nothing was changed."
        ),
    )


def report_threshold() -> int:
    """How many open reports hide a published response until a moderator decides (PORTAL_REPORT_THRESHOLD)."""
    return int(current_app.config.get("PORTAL_REPORT_THRESHOLD", 3)) if has_app_context() else 3


def report_min_account_age() -> timedelta:
    """How old an account must be for its reports to count toward hiding
    (PORTAL_REPORT_MIN_ACCOUNT_AGE, in days), unless it is a verified parent's or staff's."""
    days = current_app.config.get("PORTAL_REPORT_MIN_ACCOUNT_AGE", 3) if has_app_context() else 3
    return timedelta(days=int(days))


def counts_toward_hiding(now: datetime):
    """The SQL condition on Report that its reporter is trusted to hide: an account older than
    the minimum age, or one holding a membership (a parent verified with the school's invitation
    code, or staff). New accounts are cheap to make and one person can make many; memberships and
    time are not. Their reports still reach the moderators, they just hide nothing by themselves."""
    old_enough = select(User.id).where(User.id == Report.reporter_id, User.created_at <= now - report_min_account_age())
    verified = select(Membership.id).where(Membership.user_id == Report.reporter_id)
    return exists(old_enough) | exists(verified)


def _record(actor, action: str, response: Response, **data) -> None:
    audit.record(
        actor, action, response, **response.consultation.audit_scope, consultation=response.consultation_id, **data
    )


# --- decisions on a response --------------------------------------------------------------


def _publish(actor, response: Response, now: datetime) -> None:
    response.publish(getattr(actor, "id", None), now)
    count_response(response, +1)
    db.session.flush()
    _record(actor, "response.publish", response)


def _hide(actor, response: Response, reason: str, now: datetime) -> None:
    response.hide(getattr(actor, "id", None), now, reason)
    count_response(response, -1)
    db.session.flush()
    _record(actor, "response.hide", response, reason=reason)


def _resolve_reports(actor, response: Response, resolution: str, now: datetime) -> int:
    result = db.session.execute(
        update(Report)
        .where(Report.response_id == response.id, Report.resolved_at.is_(None))
        .values(resolved_at=now, resolved_by_id=getattr(actor, "id", None), resolution=resolution)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def open_report_count(response: Response) -> int:
    query = (
        select(func.count()).select_from(Report).where(Report.response_id == response.id, Report.resolved_at.is_(None))
    )
    return db.session.scalar(query) or 0


def moderate(actor, response: Response, action: str, reason: str = "", now: datetime | None = None) -> None:
    """One moderator's decision on a response, with its open reports resolved by it: "publish"
    (pending), "reject" (pending, with a reason), "hide" (published, or upholding what the reports
    hid, with a reason), "restore" (hidden: published again) or "dismiss" (the reports were
    unfounded: a response the reports alone hid is published again). Refuses with
    ModerationRefusal ALREADY_MODERATED (someone acted first, or the state does not fit),
    REASON_REQUIRED, NO_REPORTS, UNKNOWN_ACTION."""
    now = now or utcnow()
    reason = nfc(reason)
    if action not in RESPONSE_ACTIONS:
        raise DomainError(ModerationRefusal.UNKNOWN_ACTION)
    if action in ("reject", "hide") and not reason:
        raise DomainError(ModerationRefusal.REASON_REQUIRED)
    if action == "publish":
        if response.state != ResponseState.PENDING:  # a hidden one is restored, with its reports resolved
            raise DomainError(ModerationRefusal.ALREADY_MODERATED)
        _publish(actor, response, now)
        events.emit("response.published", response, actor)
    elif action == "reject":
        if response.state != ResponseState.PENDING:
            raise DomainError(ModerationRefusal.ALREADY_MODERATED)
        response.reject(getattr(actor, "id", None), now, reason)
        count_rejected(response, +1)
        db.session.flush()
        _record(actor, "response.reject", response, reason=reason)
        events.emit("response.rejected", response, actor, reason=reason)
    elif action == "hide":
        if response.state == ResponseState.HIDDEN and response.moderated_by_id is None:
            # Hidden by the reports: the moderator upholds it, with their reason.
            response.confirm_hidden(getattr(actor, "id", None), now, reason)
            db.session.flush()
            _record(actor, "response.hide", response, reason=reason)
        elif response.state == ResponseState.PUBLISHED:
            _hide(actor, response, reason, now)
        else:
            raise DomainError(ModerationRefusal.ALREADY_MODERATED)
        _resolve_reports(actor, response, "hidden", now)
        events.emit("response.hidden", response, actor, reason=reason, by_reports=False)
    elif action == "restore":
        if response.state != ResponseState.HIDDEN:
            raise DomainError(ModerationRefusal.ALREADY_MODERATED)
        _publish(actor, response, now)
        _resolve_reports(actor, response, "restored", now)
        events.emit("response.restored", response, actor)
    else:  # dismiss
        if response.state not in (ResponseState.PUBLISHED, ResponseState.HIDDEN):
            raise DomainError(ModerationRefusal.ALREADY_MODERATED)
        restored = response.state == ResponseState.HIDDEN and response.moderated_by_id is None
        if restored:
            _publish(actor, response, now)  # hidden by the reports alone
        dismissed = _resolve_reports(actor, response, "dismissed", now)
        if not dismissed:
            raise DomainError(ModerationRefusal.NO_REPORTS)
        _record(actor, "response.reports_dismiss", response, reports=dismissed)
        if restored:
            events.emit("response.restored", response, actor)


# --- reports ------------------------------------------------------------------------------


def report_response(actor, response: Response, data: dict) -> Report:
    """`actor` reports a published response to the moderators, once, with data["reason"]. With
    PORTAL_REPORT_THRESHOLD open reports from trusted reporters (counts_toward_hiding) it is
    hidden until a moderator decides; any open report puts it in the moderators' queue. Refuses with
    REASON_REQUIRED, NOT_PUBLISHED, OWN_RESPONSE, ALREADY_REPORTED."""
    reason = nfc(data.get("reason"))
    if not reason:
        raise DomainError(ModerationRefusal.REASON_REQUIRED)
    refusal = report_refusal(actor, response)
    if refusal is not None:
        raise DomainError(refusal)
    report = Report(response_id=response.id, reporter_id=actor.id, reason=reason)
    db.session.add(report)
    db.session.flush()
    _record(actor, "response.report", response)
    hidden = hide_if_reported_enough(response)
    open_reports = open_report_count(response)
    # As many reports as would hide it, but too many from new accounts to: the moderators are told
    # all the same (once, when the count reaches the threshold), and decide.
    held = not hidden and response.state == ResponseState.PUBLISHED and open_reports == report_threshold()
    events.emit(
        "response.reported",
        response,
        actor,
        open_reports=open_reports,
        threshold_reached=hidden,
        held_for_moderators=held,
    )
    return report


def report_refusal(actor, response: Response) -> ModerationRefusal | None:
    """Why `actor` may not report `response` whatever they write (NOT_PUBLISHED, OWN_RESPONSE,
    ALREADY_REPORTED), or None: asked before the report form is shown and again when it is sent."""
    if response.state != ResponseState.PUBLISHED:
        return ModerationRefusal.NOT_PUBLISHED
    if response.author_id == actor.id:
        return ModerationRefusal.OWN_RESPONSE
    if db.session.scalar(select(Report.id).where(Report.response_id == response.id, Report.reporter_id == actor.id)):
        return ModerationRefusal.ALREADY_REPORTED
    return None


def hide_refusal(response: Response) -> ModerationRefusal | None:
    """Why a moderator is offered no form to hide `response` from its consultation's page
    (ALREADY_HIDDEN, HIDDEN_BY_REPORTS, AWAITS_MODERATION, REJECTED), or None when it is published.
    The form says it expects a published response, so moderate() would refuse it anyway."""
    if response.state == ResponseState.PUBLISHED:
        return None
    if response.state == ResponseState.HIDDEN:
        return (
            ModerationRefusal.HIDDEN_BY_REPORTS
            if response.moderated_by_id is None
            else ModerationRefusal.ALREADY_HIDDEN
        )
    if response.state == ResponseState.PENDING:
        return ModerationRefusal.AWAITS_MODERATION
    return ModerationRefusal.REJECTED


def trusted_open_report_count(response: Response, now: datetime | None = None) -> int:
    """The open reports on `response` that count toward hiding it (counts_toward_hiding)."""
    query = (
        select(func.count())
        .select_from(Report)
        .where(
            Report.response_id == response.id,
            Report.resolved_at.is_(None),
            counts_toward_hiding(now or utcnow()),
        )
    )
    return db.session.scalar(query) or 0


def hide_if_reported_enough(response: Response, now: datetime | None = None) -> bool:
    """A published response with PORTAL_REPORT_THRESHOLD open reports from trusted reporters
    (counts_toward_hiding) is hidden (by nobody: the portal) until a moderator decides. Reports
    from new accounts leave it published, waiting in the moderators' queue like any reported
    response. True when it was hidden now."""
    now = now or utcnow()
    if response.state != ResponseState.PUBLISHED or trusted_open_report_count(response, now) < report_threshold():
        return False
    _hide(None, response, REPORTED, now)
    events.emit("response.hidden", response, None, reason=REPORTED, by_reports=True)
    return True


# --- blocks -------------------------------------------------------------------------------


def _moderated_by(actor, place: Authority) -> list[Authority]:
    """The authorities at which `actor` moderates (moderator or commission admin) that cover `place`."""
    return [
        m.authority
        for m in getattr(actor, "memberships", ())
        if m.role in AUTHORITY_ROLES and m.authority is not None and m.authority.covers(place)
    ]


def block_scope(actor, response: Response) -> Authority:
    """Where a block by `actor` of `response`'s author applies: the broadest authority at which
    the actor moderates over the response's consultation (a district's moderator: the district; a
    city's: the city, everywhere). Without such a role (the portal itself, a command): the city."""
    place = policy.place_of(response.consultation)
    theirs = _moderated_by(actor, place)
    if theirs:
        return min(theirs, key=lambda authority: (len(authority.path), authority.id))
    root_id = int(place.path.strip("/").split("/")[0]) if place.path.strip("/") else place.id
    return db.session.get(Authority, root_id)


def block_author(actor, response: Response, data: dict, now: datetime | None = None) -> Block:
    """Block the author of `response` for data["days"] (1, 7, 30, or None: until lifted) with
    data["reason"] (the person is told), where the actor moderates (block_scope: their district,
    or everywhere for the city's moderators). Refuses with BLOCK_REASON_REQUIRED, REASON_TOO_LONG,
    DURATION, OWN_ACCOUNT."""
    now = now or utcnow()
    reason = nfc(data.get("reason"))
    if not reason:
        raise DomainError(ModerationRefusal.BLOCK_REASON_REQUIRED)
    if len(reason) > BLOCK_REASON_MAX:
        raise DomainError(ModerationRefusal.REASON_TOO_LONG)
    days = data.get("days")
    if days not in BLOCK_DAYS:
        raise DomainError(ModerationRefusal.DURATION)
    if getattr(actor, "id", None) == response.author_id:
        raise DomainError(ModerationRefusal.OWN_ACCOUNT)
    block = Block(
        user_id=response.author_id,
        blocked_by_id=getattr(actor, "id", None),
        reason=reason,
        created_at=now,
        ends_at=now + timedelta(days=days) if days else None,
        authority=block_scope(actor, response),
    )
    db.session.add(block)
    db.session.flush()
    scope = response.consultation.audit_scope
    audit.record(
        actor,
        "account.block",
        block,
        **scope,
        user=response.author_id,
        days=days,
        reason=reason,
        applies_in=block.authority_id,
    )
    return block


def lift_author_blocks(actor, response: Response, now: datetime | None = None) -> int:
    """Lift the blocks in force of the author of `response` that apply to its consultation and
    that the actor's authority covers (a district's moderator cannot lift the city's block).
    Refuses with NOT_BLOCKED, or BLOCKED_ABOVE when only such wider blocks apply."""
    now = now or utcnow()
    place = policy.place_of(response.consultation)
    query = (
        select(Block).where(Block.user_id == response.author_id, Block.lifted_at.is_(None)).with_for_update(of=Block)
    )
    applying = [block for block in db.session.scalars(query) if block.in_force(now) and block.applies_to(place)]
    if not applying:
        raise DomainError(ModerationRefusal.NOT_BLOCKED)
    theirs = _moderated_by(actor, place)
    blocks = [block for block in applying if actor is None or any(a.covers(block.authority) for a in theirs)]
    if not blocks:
        raise DomainError(ModerationRefusal.BLOCKED_ABOVE)
    for block in blocks:
        block.lifted_at, block.lifted_by_id = now, getattr(actor, "id", None)
        db.session.flush()
        audit.record(actor, "account.unblock", block, **response.consultation.audit_scope, user=response.author_id)
    return len(blocks)


# --- for the person -----------------------------------------------------------------------


def decisions_for(user, limit: int = 20) -> list[dict]:
    """What moderators decided about `user`'s responses and about the responses they reported,
    newest first: plain rows for /me."""
    own_query, reported_query = _decisions_for_queries()
    values = {"user_id": user.id, "limit": limit}
    own = db.session.scalars(own_query, values)
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
    reported = db.session.execute(reported_query, values)
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


@functools.cache
def _decisions_for_queries():
    # Built once and run with the person and the limit: every visit of /me asks (the consultations'
    # services, _consultation_query, say why).
    own = (
        select(Response)
        .where(
            Response.author_id == bindparam("user_id"),
            Response.state.in_([ResponseState.REJECTED, ResponseState.HIDDEN]),
        )
        .options(joinedload(Response.consultation))
        .order_by(Response.moderated_at.desc(), Response.id.desc())
        .limit(bindparam("limit"))
    )
    reported = (
        select(Report, Response)
        .join(Response, Response.id == Report.response_id)
        .where(Report.reporter_id == bindparam("user_id"))
        .options(joinedload(Report.response).joinedload(Response.consultation))
        .order_by(Report.id.desc())
        .limit(bindparam("limit"))
    )
    return own, reported
