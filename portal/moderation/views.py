"""Moderation's pages: the moderators' queue (/moderation) and the actions taken from it, which a
consultation's page uses too (its part of the queue, and "hide" on a published response); and
reporting a response, which anyone with an account may do. Every action is a POST with CSRF.

Each action locks the row it changes until the commit: of two moderators acting on one item at
once, exactly one action takes effect; the other waits, finds the item handled and is told by
whom and how (409, web.conflict). A form whose item changed since it was shown (`expected`) is
refused the same way, so nothing is done to content the moderator did not see."""

from urllib.parse import urlsplit

from flask import abort, flash, render_template, request, url_for
from flask_babel import format_date, format_time
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from portal import audit, policy
from portal.accounts import services as account_services
from portal.clock import utcnow
from portal.consultations import responses
from portal.consultations import services as consultations
from portal.consultations.models import ConsultationRefusal, Phase, ResponseState
from portal.domain import DomainError
from portal.extensions import db, limiter
from portal.i18n import TO_THE_MINUTE, format_datetime
from portal.moderation import bp, forms, queue, services
from portal.moderation.models import STANDARD_REASONS
from portal.web import (
    account_key,
    configured_limit,
    conflict,
    current_language,
    form_ids,
    found_or_404,
    htmx_target,
    int_arg,
    is_htmx,
    page_arg,
    redirect_to,
    safe_next,
    stored_only,
    unavailable_says,
)

DONE = {
    "publish": lambda: _("The response is published."),
    "reject": lambda: _("The response is rejected. Its author sees your reason."),
    "hide": lambda: _("The response is hidden. Its reports are resolved."),
    "restore": lambda: _("The response is published again. Its reports are resolved."),
    "dismiss": lambda: _("The reports are dismissed; the response stays published."),
    "send_back": lambda: _("The consultation is sent back to the school with your reason."),
}
ACTION_NAMES = {
    "response.publish": lambda: _("published"),
    "response.reject": lambda: _("rejected"),
    "response.hide": lambda: _("hid"),
    "response.reports_dismiss": lambda: _("dismissed the reports of"),
    "consultation.approve": lambda: _("approved"),
    "consultation.send_back": lambda: _("sent back"),
}
RESPONSE_ACTIONS_AUDITED = ("response.publish", "response.reject", "response.hide", "response.reports_dismiss")
CONSULTATION_ACTIONS_AUDITED = ("consultation.approve", "consultation.send_back")
FORM_PROBLEM = lambda: _("Something was wrong with this form. Please try again.")  # noqa: E731

# What the "try again" page says when the database or the disk fails during an action (errors.py).
NOTHING_MODERATED = (
    _l("Nothing was changed"),
    _l("The portal could not record this moderation action, so the item is as it was. Please try again in a moment."),
)
REPORT_NOT_SENT = (
    _l("Your report was not sent"),
    _l(
        "The portal could not store your report, so the moderators have not received it. "
        "Please send it again in a moment."
    ),
)


def kind_labels() -> dict:
    # "pending" says what its responses' state tag says (ResponseState.PENDING), in the same words.
    return {
        "pending": _("Awaiting moderation"),
        "reported": _("Reported"),
        "consultation": _("Consultation awaiting approval"),
    }


def _filters() -> dict:
    """The queue's filters, from the query string (the action forms carry them in their address)."""
    kind = request.args.get("kind", "")
    return {
        "district": int_arg("district"),
        "school": int_arg("school"),
        "consultation": int_arg("consultation"),
        "kind": kind if kind in queue.KINDS else "",
    }


def _filter_args() -> dict:
    return {key: value for key, value in _filters().items() if value}


def _back_url() -> str:
    """Where a plain form goes after an action: the page it was sent from (`next`: a
    consultation's page), else the queue with the filters it was sent with."""
    return safe_next(request.args.get("next"), url_for("moderation.queue", **_filter_args()))


def _queue_context(problem: str | None = None, **failed) -> dict:
    """The queue's page. `failed`: the item whose form came back with a mistake (failed_item, its
    dom id), which form (failed_action), what was typed (action_form) and why (item_problem)."""
    filters = _filters()
    results = queue.queue_page(
        current_user,
        district_id=filters["district"],
        school_id=filters["school"],
        consultation_id=filters["consultation"],
        kind=filters["kind"] or None,
        page=page_arg(),
    )
    schools = queue.schools_in_scope(current_user, current_language())
    districts = {school.authority.id: school.authority for school in schools}
    return {
        "results": results,
        "filters": filters,
        "schools": schools,
        "districts": list(districts.values()),
        "problem": problem,
        "now": utcnow(),
        "kind_labels": kind_labels(),
        "standard_reasons": STANDARD_REASONS,
        "badges": account_services.staff_badges(item.response.author_id for item in results.items if item.response),
        **failed,
    }


def _render_queue(status: int = 200, *, problem: str | None = None, **failed):
    context = _queue_context(problem, **failed)
    if htmx_target() == "moderation-queue":
        return render_template("moderation/_queue_list.html", **context), status
    return render_template("moderation/queue.html", **context), status


@bp.get("/moderation", endpoint="queue")
def queue_page():
    policy.require(current_user, "moderate")
    return _render_queue()


def _conflict_message(obj, actions: tuple[str, ...]) -> str:
    last = audit.last_action(obj, actions)
    if last is None:
        return _("This item is no longer awaiting this action. Nothing was changed.")
    return _(
        "%(name)s already %(action)s this on %(date)s. Nothing was changed.",
        name=last.name or _("The portal"),
        action=ACTION_NAMES.get(last.action, lambda: last.action)(),
        date=format_datetime(last.at, TO_THE_MINUTE),
    )


def _done(dom_id: str, message: str):
    """The item leaves the list: htmx swaps in the message (the next item takes focus), a plain
    form goes back where it came from."""
    if is_htmx():
        return render_template("moderation/_queue_done.html", dom_id=dom_id, message=message)
    flash(message, "success")
    return redirect_to(_back_url())


def _conflict(dom_id: str, message: str):
    """Someone acted first, or the item's state no longer fits: the item is swapped for who did
    what (htmx), or the queue shows it at the top."""
    return conflict(
        "moderation/queue.html",
        "moderation/_queue_done.html",
        page_context=lambda: _queue_context(problem=message),
        dom_id=dom_id,
        message=message,
        refused=True,
    )


def _invalid(item, message: str, *, action: str | None = None, form=None):
    """A form with a mistake (a rejection without a reason): the item again, its form open with
    what was typed and the reason beside the field, and an error summary that takes focus (htmx
    swaps the item; without it, the queue comes back with the item in its place). Keyboard focus
    is never lost: it moves to the summary, whose link leads to the field."""
    failed = {"failed_item": item.dom_id, "failed_action": action, "action_form": form, "item_problem": message}
    if is_htmx():
        context = {
            "item": item,
            "badges": account_services.staff_badges([item.response.author_id] if item.response else []),
            "args": _filter_args(),
            "kind_labels": kind_labels(),
            "standard_reasons": STANDARD_REASONS,
            "now": utcnow(),
            **failed,
        }
        return render_template("moderation/_queue_item.html", **context), 422
    context = _queue_context(**failed)
    if not any(shown.dom_id == item.dom_id for shown in context["results"].items):
        context["problem"] = message  # the item is not on this page of the queue: said at its top
    return render_template("moderation/queue.html", **context), 422


def _form_errors(form) -> str:
    return " ".join(str(error) for field in form for error in field.errors) or FORM_PROBLEM()


def _response_or_404(response_id: int, *, for_update: bool = False):
    response = found_or_404(queue.queue_response(response_id, for_update=for_update))
    # Out of the moderator's subtree: not found; someone who moderates nothing: 403.
    policy.require(current_user, "moderate_consultation", response.consultation)
    return response


@bp.post("/moderation/responses/<int:response_id>")
@unavailable_says(*NOTHING_MODERATED)
def act(response_id):
    # Locked until the commit: of two moderators acting at once, the second sees the first's action.
    response = _response_or_404(response_id, for_update=True)
    dom_id = f"moderation-item-{response.id}"
    form = forms.ResponseActionForm()
    if not form.validate_on_submit():
        return _invalid(queue.queue_item(response), _form_errors(form), action=form.action.data, form=form)
    if form.expected.data and form.expected.data != response.state.value:
        return _conflict(dom_id, _conflict_message(response, RESPONSE_ACTIONS_AUDITED))
    try:
        services.moderate(current_user, response, form.action.data, form.given_reason())
    except DomainError as error:
        db.session.rollback()
        if error.field is not None:  # what the form said, not the response's state
            item = queue.queue_item(_response_or_404(response_id))
            return _invalid(item, error.message, action=form.action.data, form=form)
        return _conflict(dom_id, _conflict_message(_response_or_404(response_id), RESPONSE_ACTIONS_AUDITED))
    db.session.commit()
    return _done(dom_id, DONE[form.action.data]())


@bp.post("/moderation/consultations/<int:consultation_id>")
@unavailable_says(*NOTHING_MODERATED)
def act_on_consultation(consultation_id):
    consultation = _consultation_for(consultation_id, "moderate_consultation", for_update=True)
    dom_id = f"moderation-item-c{consultation.id}"
    form = forms.ConsultationActionForm()
    if not form.validate_on_submit():
        item = queue.consultation_item(consultation)
        return _invalid(item, _form_errors(form), action=form.action.data, form=form)
    try:
        if form.action.data == "approve":
            consultations.approve(current_user, consultation)
        else:
            consultations.send_back(current_user, consultation, form.reason.data)
    except DomainError as error:
        db.session.rollback()
        if error.reason == ConsultationRefusal.CLOSES_IN_THE_PAST:
            message = _(
                "Its closing time has passed, so it cannot be approved. "
                "Send it back so that the school can change its dates."
            )
            return _conflict(dom_id, message)
        consultation = consultations.consultation_by_id(consultation_id)
        return _conflict(dom_id, _conflict_message(consultation, CONSULTATION_ACTIONS_AUDITED))
    db.session.commit()
    message = _approved(consultation) if form.action.data == "approve" else DONE[form.action.data]()
    own_page = url_for("consultations.show", consultation_id=consultation.id)
    if is_htmx() and urlsplit(request.headers.get("HX-Current-URL", "")).path == own_page:
        # Acted on from the consultation's own page: the page around the item (its phase, what the
        # moderators' part says) changed too, so the whole page is shown again, with the message.
        flash(message, "success")
        return redirect_to(own_page)
    return _done(dom_id, message)


def _approved(consultation) -> str:
    """Approved: when it opens, or until when it is open."""
    now = utcnow()
    if consultation.phase(now) == Phase.OPEN:
        when = f"{format_date(consultation.closes_at, 'long')} {format_time(consultation.closes_at, 'short')}"
        return _("The consultation is approved and open for comment until %(date)s.", date=when)
    when = f"{format_date(consultation.opens_at, 'long')} {format_time(consultation.opens_at, 'short')}"
    return _("The consultation is approved. It opens on %(date)s.", date=when)


@bp.post("/moderation/bulk-approve")
@unavailable_says(*NOTHING_MODERATED)
def bulk_approve():
    """Publish the selected pending responses. Those another moderator handled meanwhile, or
    outside the moderator's subtree, are left as they are and counted."""
    policy.require(current_user, "moderate")
    if not forms.BulkApproveForm().validate_on_submit():
        return _render_queue(422, problem=FORM_PROBLEM())
    ids = form_ids("response_id")
    if not ids:
        return _render_queue(422, problem=_("Select at least one response to approve."))
    published = skipped = 0
    for response_id in sorted(ids):  # in id order: two bulk approvals never lock in opposite orders
        response = queue.queue_response(response_id, for_update=True)
        if (
            response is None
            or policy.check(current_user, "moderate_consultation", response.consultation) is not None
            or response.state != ResponseState.PENDING
        ):
            skipped += 1
            continue
        services.moderate(current_user, response, "publish")
        published += 1
    db.session.commit()
    message = _("%(published)d responses published.", published=published)
    if skipped:
        message += " " + _(
            "%(skipped)d were not awaiting moderation any more (another moderator handled them) "
            "and were left as they are.",
            skipped=skipped,
        )
    flash(message, "success" if published else "error")
    return redirect_to(_back_url())


def _blocks_changed(message: str):
    """Every item of the author's shows the block (or no longer does): the page is shown again."""
    flash(message, "success")
    if is_htmx():
        return "", 204, {"HX-Refresh": "true"}
    return redirect_to(_back_url())


@bp.post("/moderation/responses/<int:response_id>/block")
@unavailable_says(*NOTHING_MODERATED)
def block_author(response_id):
    response = _response_or_404(response_id)
    form = forms.BlockForm()
    if not form.validate_on_submit():
        return _invalid(queue.queue_item(response), _form_errors(form), action="block", form=form)
    data = {"days": forms.BLOCK_DURATIONS[form.days.data], "reason": form.reason.data}
    try:
        block = services.block_author(current_user, response, data)
    except DomainError as error:
        db.session.rollback()
        if error.field is not None:
            return _invalid(queue.queue_item(_response_or_404(response_id)), error.message, action="block", form=form)
        return _conflict(f"moderation-item-{response_id}", error.message)
    db.session.commit()
    name = response.author.display_name
    if block.everywhere:
        return _blocks_changed(_("%(name)s is blocked from responding, reporting and sending feedback.", name=name))
    area = block.authority.name(current_language())
    return _blocks_changed(
        _("%(name)s is blocked from responding, reporting and sending feedback in %(area)s.", name=name, area=area)
    )


@bp.post("/moderation/responses/<int:response_id>/unblock")
@unavailable_says(*NOTHING_MODERATED)
def unblock_author(response_id):
    response = _response_or_404(response_id)
    if not forms.UnblockForm().validate_on_submit():
        return _invalid(queue.queue_item(response), FORM_PROBLEM())
    try:
        services.lift_author_blocks(current_user, response)
    except DomainError as error:
        db.session.rollback()
        message = (
            error.message
            if error.reason == services.ModerationRefusal.BLOCKED_ABOVE
            else _("%(name)s is not blocked (any more). Nothing was changed.", name=response.author.display_name)
        )
        return _conflict(f"moderation-item-{response_id}", message)
    db.session.commit()
    name = response.author.display_name
    return _blocks_changed(_("%(name)s may respond, report and send feedback again.", name=name))


# --- reporting a response (anyone with an account) ---------------------------------------


@bp.post("/consultations/<int:consultation_id>/responses/<int:response_id>/report")
@unavailable_says(*REPORT_NOT_SENT)
@limiter.limit(
    configured_limit("PORTAL_REPORT_LIMIT_PER_ACCOUNT"),
    key_func=account_key,
    deduct_when=stored_only,
    scope="consultation-report",
)
def report(consultation_id, response_id):
    consultation, response = _reportable_or_404(consultation_id, response_id)
    form = forms.ReportForm()
    status, message = 200, None
    if form.validate_on_submit():
        try:
            services.report_response(current_user, response, form.data)
        except DomainError as error:
            db.session.rollback()
            if error.reason == services.ModerationRefusal.ALREADY_REPORTED:
                message = error.message  # a second click, or a second try: the report stands
            elif error.field is not None:
                form[error.field].errors.append(error.message)
                status = 422
            else:
                abort(404)
        else:
            db.session.commit()
            message = _("Thank you. Your report has gone to the moderators.")
    else:
        status = 422
    if message is not None and not is_htmx():
        flash(str(message), "success")
        back = url_for("consultations.responses", consultation_id=consultation.id, before=response.id + 1)
        return redirect_to(f"{back}#response-{response.id}")
    return _render_response_form("report", consultation, response, sees_authors=False, form=form, done=message), status


@bp.get("/consultations/<int:consultation_id>/responses/<int:response_id>/report")
def report_form(consultation_id, response_id):
    """The form to report a published response: a page of its own, or with htmx the form alone,
    fetched when the response's "Report" disclosure on the consultation's page is opened (the
    page does not carry a hidden form for each response). Says instead why the person may not
    report it: their own response, or one they have reported already."""
    consultation, response = _reportable_or_404(consultation_id, response_id)
    refusal = services.report_refusal(current_user, response)
    refused = refusal.message if refusal else None
    return _render_response_form("report", consultation, response, sees_authors=False, form=None, refused=refused)


def _reportable_or_404(consultation_id: int, response_id: int):
    """(consultation, response) for the report form and the report, once the person may report in
    that consultation (visitors log in first; a blocked account is told why); 404 for a response
    that is not published there, since only published responses are seen."""
    consultation = _consultation_for(consultation_id, "report_response")
    response = responses.response_in(consultation, response_id)
    if response is None or response.state != ResponseState.PUBLISHED:
        abort(404)
    return consultation, response


def _consultation_for(consultation_id: int, action: str, *, for_update: bool = False):
    """The consultation (its row locked with `for_update`), once the person may `action` in it
    (policy.require: visitors log in first, a blocked account is told why); 404 for one they may
    not see at all."""
    consultation = found_or_404(consultations.consultation_by_id(consultation_id, for_update=for_update))
    if not policy.can(current_user, "view_consultation", consultation):
        abort(404)
    policy.require(current_user, action, consultation)
    return consultation


def _render_response_form(name: str, consultation, response, *, sees_authors: bool, **context):
    """A form about one response (moderation/_<name>.html): with htmx alone, in place; else on a
    page of its own that quotes the response (moderation/<name>.html), its author named as the
    person asking may see it (moderators see every author, with their staff badge)."""
    if is_htmx():
        return render_template(
            f"moderation/_{name}.html", consultation=consultation, response=response, in_place=True, **context
        )
    shown = sees_authors or response.show_name
    return render_template(
        f"moderation/{name}.html",
        consultation=consultation,
        response=response,
        questions=list(consultation.questions),
        sees_authors=sees_authors,
        badges=account_services.staff_badges([response.author_id]) if shown else None,
        in_place=False,
        **context,
    )


# --- hiding a published response from its consultation's page (moderators) ---------------


@bp.get("/consultations/<int:consultation_id>/responses/<int:response_id>/hide")
def hide_form(consultation_id, response_id):
    """The form to hide a published response, which posts to `act` like the queue's: a page of its
    own, or with htmx the form alone, fetched when the response's "Hide" disclosure on the
    consultation's page is opened (the page does not carry a hidden form for each response). Says
    instead why there is nothing to hide: hidden already, by a moderator or by its reports, or not
    published (awaiting moderation, rejected)."""
    # Out of the moderator's subtree: not found; anyone else with an account: 403.
    consultation = _consultation_for(consultation_id, "moderate_consultation")
    response = found_or_404(responses.response_in(consultation, response_id))
    refusal = services.hide_refusal(response)
    context = {
        "refused": refusal.message if refusal else None,
        # The moderation queue decides what waits for a moderator; this form only hides.
        "queue_url": url_for("moderation.queue", consultation=consultation.id)
        if refusal in (services.ModerationRefusal.AWAITS_MODERATION, services.ModerationRefusal.HIDDEN_BY_REPORTS)
        else None,
    }
    return _render_response_form("hide", consultation, response, sees_authors=True, **context)
