"""The school's inbox under /schools/<slug>/manage/feedback, where its board members and
administrators reply to feedback and move each item through received → in progress → answered →
closed; the moderators and commission above the school may read an item. (Sending and following
feedback are in views.py.)"""

from flask import flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal import policy
from portal.clock import today
from portal.domain import DomainError
from portal.extensions import db
from portal.feedback import bp, services
from portal.feedback import manage_forms as forms
from portal.feedback.models import STEPS, FeedbackCategory, FeedbackStatus
from portal.web import (
    conflict,
    found_or_404,
    htmx_target,
    managed_school,
    page_arg,
    redirect_to,
    render_page_or_fragment,
)


def _inbox_filters() -> services.InboxFilters:
    """The inbox's filters from the query string; anything that is not one of the choices is
    ignored (the default: items still waiting, every topic)."""
    status = request.args.get("status", "")
    category = request.args.get("category", "")
    return services.InboxFilters(
        status=status if status in services.INBOX_STATUS_FILTERS else services.OPEN,
        category=FeedbackCategory(category) if category in {c.value for c in FeedbackCategory} else None,
    )


@bp.get("/schools/<slug>/manage/feedback")
def inbox(slug):
    school = managed_school(slug, "manage_feedback")
    filters = _inbox_filters()
    filter_args = {
        key: value
        for key, value in {"status": filters.status, "category": filters.category and filters.category.value}.items()
        if value and not (key == "status" and value == services.OPEN)
    }
    day = today()
    items = services.inbox(school, filters, page=page_arg(), today=day)
    context = {
        "school": school,
        "filters": filters,
        "filter_args": filter_args,
        "items": items,
        # How many working days each waiting item has waited, and which are past their answer day.
        "waiting": services.waiting_of(items.items, day),
        "answer_days": services.ANSWER_WORKING_DAYS,
        "counts": services.status_counts(school),
        "status_choices": [(status.value, status.label) for status in FeedbackStatus],
        "categories": list(FeedbackCategory),
    }
    if htmx_target() == "feedback-inbox":
        return render_template("feedback/_inbox_results.html", **context)
    return render_template("feedback/inbox.html", **context)


def _item_context(school, feedback, *, reply_form=None, refused=None) -> dict:
    """What the item's page and its part (_manage_item.html) show: the reply form as it was sent
    (what was typed, its messages) or a fresh one, and `refused`, why nothing was changed."""
    return {
        "school": school,
        "feedback": feedback,
        # How long it has waited and its answer day, while it waits for the school.
        "wait": services.waiting_of([feedback], today()).get(feedback.id),
        "can_answer": policy.can(current_user, "manage_feedback", school),
        "statuses": STEPS,
        "reply_form": reply_form or forms.ReplyForm(formdata=None),
        "refused": refused,
    }


def _invalid(school, feedback, **given):
    """A form with mistakes: 422, the item with the messages (its part alone for htmx)."""
    return render_page_or_fragment(
        "feedback/manage_item.html", "feedback/_manage_item.html", 422, **_item_context(school, feedback, **given)
    )


@bp.get("/schools/<slug>/manage/feedback/<int:feedback_id>")
def manage_item(slug, feedback_id):
    # The school's board and admins answer; the moderators and commission above it may read.
    school = managed_school(slug, "oversee_feedback")
    feedback = found_or_404(services.feedback_in_school(school, feedback_id))
    policy.require(current_user, "read_feedback", feedback)
    return render_template("feedback/manage_item.html", **_item_context(school, feedback))


def _feedback_to_change(slug, feedback_id):
    """The school and item a change is about, its row locked until the commit."""
    school = managed_school(slug, "manage_feedback")
    return school, found_or_404(services.feedback_in_school(school, feedback_id, for_update=True))


def _refused(school, feedback, error: DomainError, reply_form=None):
    """A change the item's state does not allow, or one made on an out-of-date page: 409, the
    reason, and the item as it is now (its part alone for htmx). Nothing was changed."""
    db.session.rollback()
    feedback = services.feedback_in_school(school, feedback.id)
    return conflict(
        "feedback/manage_item.html",
        "feedback/_manage_item.html",
        **_item_context(school, feedback, reply_form=reply_form, refused=error.message),
    )


@bp.post("/schools/<slug>/manage/feedback/<int:feedback_id>/reply")
def reply(slug, feedback_id):
    school, feedback = _feedback_to_change(slug, feedback_id)
    form = forms.ReplyForm()
    if not form.validate_on_submit():
        return _invalid(school, feedback, reply_form=form)
    data = {
        "reply": form.reply.data,
        "public": form.visibility.data == "public",
        "mark_answered": form.mark_answered.data,
    }
    try:
        event = services.reply_to_feedback(current_user, feedback, data)
    except DomainError as error:
        return _refused(school, feedback, error, reply_form=form)
    db.session.commit()
    if event.public:
        flash(_("Your reply is saved. The sender can read it, and it may be shown on the school's page."), "success")
    else:
        flash(_("Your reply is saved. Only the sender can read it."), "success")
    return redirect_to(url_for("feedback.manage_item", slug=slug, feedback_id=feedback.id) + "#timeline")


@bp.post("/schools/<slug>/manage/feedback/<int:feedback_id>/status")
def change_status(slug, feedback_id):
    school, feedback = _feedback_to_change(slug, feedback_id)
    form = forms.StatusForm()
    if not form.validate_on_submit():
        return _invalid(school, feedback, refused=forms.STATUS_UNKNOWN)
    try:
        services.change_feedback_status(
            current_user, feedback, FeedbackStatus(form.status.data), current=FeedbackStatus(form.current.data)
        )
    except DomainError as error:
        return _refused(school, feedback, error)
    db.session.commit()
    flash(_("The feedback is now: %(status)s.", status=feedback.status.label), "success")
    return redirect_to(url_for("feedback.manage_item", slug=slug, feedback_id=feedback.id) + "#timeline")
