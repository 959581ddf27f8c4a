"""The moderators' queue: /moderation, and the actions taken from it (all POST, with CSRF).

Each action locks the row it changes until the commit: of two moderators acting on one item at
once, exactly one action takes effect; the other waits, finds the item handled and is told by
whom and how (409). A form whose item changed since it was shown (`expected`) is refused the same
way, so nothing is done to content the moderator did not see."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_login import current_user

from portal import audit, policy
from portal.accounts.models import User
from portal.clock import utcnow
from portal.consultations import services as consultations
from portal.consultations.models import ResponseState
from portal.domain import DomainError
from portal.extensions import db
from portal.moderation import bp, forms, services
from portal.web import int_arg, is_htmx, page_arg, retry_once_if_database_busy

DONE = {
    "publish": lambda: _("The response is published."),
    "reject": lambda: _("The response is rejected. Its author sees your reason."),
    "hide": lambda: _("The response is hidden. Its reports are resolved."),
    "restore": lambda: _("The response is published again. Its reports are resolved."),
    "dismiss": lambda: _("The reports are dismissed; the response stays published."),
    "approve": lambda: _("The consultation is approved."),
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


def _filters() -> dict:
    kind = request.args.get("kind", "")
    return {
        "district": int_arg("district"),
        "school": int_arg("school"),
        "kind": kind if kind in services.KINDS else "",
    }


def _queue_url() -> str:
    """Back to the queue with the filters the form was sent from (they ride in its action)."""
    args = {key: value for key, value in _filters().items() if value}
    return url_for("moderation.queue", **args)


def _render_queue(status: int = 200, *, problem: str | None = None):
    filters = _filters()
    results = services.queue_page(
        current_user,
        district_id=filters["district"],
        school_id=filters["school"],
        kind=filters["kind"] or None,
        page=page_arg(),
    )
    schools = services.schools_in_scope(current_user)
    districts = {school.authority.id: school.authority for school in schools}
    context = {
        "results": results,
        "filters": filters,
        "schools": schools,
        "districts": list(districts.values()),
        "problem": problem,
        "now": utcnow(),
        "kind_labels": kind_labels(),
        "standard_reasons": forms.STANDARD_REASONS,
    }
    if is_htmx() and request.headers.get("HX-Target") == "moderation-queue":
        return render_template("moderation/_queue_list.html", **context), status
    return render_template("moderation/queue.html", **context), status


def kind_labels() -> dict:
    return {
        "pending": _("Awaiting pre-moderation"),
        "reported": _("Reported"),
        "consultation": _("Consultation awaiting approval"),
    }


@bp.get("/moderation")
def queue():
    policy.require(current_user, "moderate")
    return _render_queue()


def _conflict_message(obj, actions: tuple[str, ...]) -> str:
    last = audit.last_action(obj, actions)
    if last is None:
        return _("This item is no longer awaiting this action. Nothing was changed.")
    name = last.name or _("The portal")
    return _(
        "%(name)s already %(action)s this on %(date)s. Nothing was changed.",
        name=name,
        action=ACTION_NAMES.get(last.action, lambda: last.action)(),
        date=format_datetime(last.at, "medium"),
    )


def _done(dom_id: str, message: str):
    """The item leaves the list: htmx swaps in the message (the next item takes focus), a plain
    form goes back to the queue."""
    if is_htmx():
        return render_template("moderation/_queue_done.html", dom_id=dom_id, message=message)
    flash(message, "success")
    return redirect(_queue_url(), code=303)


def _refused(dom_id: str, status: int, message: str):
    if is_htmx():
        # base.html's htmx swaps 422 only; portal.js lets a moderation item take a 409 too.
        return render_template("moderation/_queue_done.html", dom_id=dom_id, message=message, refused=True), status
    return _render_queue(status, problem=message)


def _invalid(response, message: str):
    """A form with a mistake: htmx gets the item again, with the message in it; a plain form the queue."""
    if is_htmx():
        args = {key: value for key, value in _filters().items() if value}
        context = {
            "item": services.queue_item(response),
            "args": args,
            "kind_labels": kind_labels(),
            "standard_reasons": forms.STANDARD_REASONS,
            "now": utcnow(),
            "item_problem": message,
        }
        return render_template("moderation/_queue_item.html", **context), 422
    return _render_queue(422, problem=message)


def _response_or_404(response_id: int, *, for_update: bool = False):
    response = services.queue_response(response_id, for_update=for_update)
    if response is None:
        abort(404)
    # Out of the moderator's subtree: not found; someone who moderates nothing: 403.
    policy.require(current_user, "moderate_consultation", response.consultation)
    return response


RESPONSE_ACTIONS_AUDITED = ("response.publish", "response.reject", "response.hide", "response.reports_dismiss")


@bp.post("/moderation/responses/<int:response_id>")
@retry_once_if_database_busy
def act(response_id):
    # Locked until the commit: of two moderators acting at once, the second sees the first's action.
    response = _response_or_404(response_id, for_update=True)
    dom_id = f"moderation-item-{response.id}"
    form = forms.ResponseActionForm()
    if not form.validate_on_submit():
        errors = [str(e) for field in form for e in field.errors]
        return _invalid(response, " ".join(errors) or _("Something was wrong with this form. Please try again."))
    if form.expected.data and form.expected.data != response.state.value:
        return _refused(dom_id, 409, _conflict_message(response, RESPONSE_ACTIONS_AUDITED))
    try:
        services.moderate(current_user, response, form.action.data, form.given_reason())
    except DomainError as error:
        db.session.rollback()
        if error.reason == "reason_required":
            return _invalid(_response_or_404(response_id), str(forms.REASON_MISSING))
        response = _response_or_404(response_id)
        return _refused(dom_id, 409, _conflict_message(response, RESPONSE_ACTIONS_AUDITED))
    db.session.commit()
    return _done(dom_id, DONE[form.action.data]())


@bp.post("/moderation/consultations/<int:consultation_id>")
@retry_once_if_database_busy
def act_on_consultation(consultation_id):
    consultation = consultations.consultation_by_id(consultation_id, for_update=True)
    if consultation is None or not policy.can(current_user, "view_consultation", consultation):
        abort(404)
    policy.require(current_user, "moderate_consultation", consultation)
    dom_id = f"moderation-item-c{consultation.id}"
    form = forms.ConsultationActionForm()
    if not form.validate_on_submit():
        errors = [str(e) for field in form for e in field.errors]
        return _refused(dom_id, 422, " ".join(errors) or _("Something was wrong with this form. Please try again."))
    try:
        if form.action.data == "approve":
            consultations.approve(current_user, consultation)
        else:
            consultations.send_back(current_user, consultation, form.reason.data)
    except DomainError as error:
        db.session.rollback()
        if error.reason == "closes_in_the_past":
            return _refused(
                dom_id,
                409,
                _(
                    "Its closing time has passed, so it cannot be approved. Send it back so that the school can change its dates."
                ),
            )
        consultation = consultations.consultation_by_id(consultation_id)
        return _refused(
            dom_id, 409, _conflict_message(consultation, ("consultation.approve", "consultation.send_back"))
        )
    db.session.commit()
    return _done(dom_id, DONE[form.action.data]())


@bp.post("/moderation/bulk-approve")
def bulk_approve():
    """Publish the selected pending responses. Those another moderator handled meanwhile, or
    outside the moderator's subtree, are left as they are and counted."""
    policy.require(current_user, "moderate")
    if not forms.BulkApproveForm().validate_on_submit():
        return _render_queue(422, problem=_("Something was wrong with this form. Please try again."))
    ids = []
    for value in request.form.getlist("response_id")[:100]:
        if value.isdigit() and len(value) <= 9:
            ids.append(int(value))
    if not ids:
        return _render_queue(422, problem=_("Select at least one response to approve."))
    published = skipped = 0
    for response_id in sorted(set(ids)):  # in id order: two bulk approvals never lock in opposite orders
        response = services.queue_response(response_id, for_update=True)
        if (
            response is None
            or not policy.can(current_user, "moderate_consultation", response.consultation)
            or not policy.visible(current_user, "moderate_consultation", response.consultation)
        ):
            skipped += 1
            continue
        if response.state != ResponseState.PENDING:
            skipped += 1
            continue
        services.moderate(current_user, response, "publish")
        published += 1
    db.session.commit()
    message = _("%(published)d responses published.", published=published)
    if skipped:
        message += " " + _(
            "%(skipped)d were not awaiting moderation any more (another moderator handled them) and were left as they are.",
            skipped=skipped,
        )
    flash(message, "success" if published else "error")
    return redirect(_queue_url(), code=303)


@bp.post("/moderation/responses/<int:response_id>/block")
def block_author(response_id):
    response = _response_or_404(response_id)
    dom_id = f"moderation-item-{response.id}"
    form = forms.BlockForm()
    if not form.validate_on_submit():
        errors = [str(e) for field in form for e in field.errors]
        return _refused(dom_id, 422, " ".join(errors) or _("Something was wrong with this form. Please try again."))
    author = db.session.get(User, response.author_id, with_for_update=True)
    try:
        services.block_user(
            current_user,
            author,
            {
                "days": forms.BLOCK_DURATIONS[form.days.data],
                "reason": form.reason.data,
                "owner_ids": consultations._owner_ids(response.consultation),
            },
        )
    except DomainError as error:
        db.session.rollback()
        return _refused(
            dom_id,
            409 if error.reason == "own_account" else 422,
            _("You cannot block your own account.") if error.reason == "own_account" else str(forms.REASON_MISSING),
        )
    db.session.commit()
    message = _("%(name)s is blocked from responding, reporting and sending feedback.", name=author.display_name)
    if is_htmx():
        flash(message, "success")
        return "", 204, {"HX-Refresh": "true"}
    flash(message, "success")
    return redirect(_queue_url(), code=303)


@bp.post("/moderation/responses/<int:response_id>/unblock")
def unblock_author(response_id):
    response = _response_or_404(response_id)
    dom_id = f"moderation-item-{response.id}"
    if not forms.UnblockForm().validate_on_submit():
        return _refused(dom_id, 422, _("Something was wrong with this form. Please try again."))
    author = db.session.get(User, response.author_id, with_for_update=True)
    try:
        services.lift_blocks(current_user, author, owner_ids=consultations._owner_ids(response.consultation))
    except DomainError:
        db.session.rollback()
        return _refused(
            dom_id, 409, _("%(name)s is not blocked (any more). Nothing was changed.", name=author.display_name)
        )
    db.session.commit()
    message = _("%(name)s may respond, report and send feedback again.", name=author.display_name)
    flash(message, "success")
    if is_htmx():
        return "", 204, {"HX-Refresh": "true"}
    return redirect(_queue_url(), code=303)
