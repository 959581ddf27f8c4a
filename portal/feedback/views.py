"""The suggestion box's public pages: sending feedback from a school's page, and following it
under /me/feedback. (The school's inbox, where it is answered, is in manage_views.py.)"""

from flask import flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from portal import policy
from portal.domain import DomainError
from portal.extensions import db, limiter
from portal.feedback import bp, forms, services
from portal.feedback.models import STEPS
from portal.web import (
    account_key,
    configured_limit,
    conflict,
    current_language,
    extras,
    found_or_404,
    htmx_target,
    page_arg,
    query_args,
    redirect_to,
    render_page_or_fragment,
    school_or_404,
    stored_only,
    unavailable_says,
)

FORM_EXPIRED = _l(
    "Something was wrong with this form, so nothing was sent. Please check your feedback and send it again."
)


# --- sending --------------------------------------------------------------------------------


def _form_page(school, form, status=200, **context):
    return render_page_or_fragment(
        "feedback/new.html", "feedback/_form.html", status, school=school, form=form, **context
    )


@bp.route("/schools/<slug>/feedback", methods=["GET", "POST"])
@query_args()
@unavailable_says(
    _l("Your feedback was not sent"),
    _l(
        "The portal could not store your feedback, so the school has not received it. Please send it again in a moment."
    ),
)
@limiter.limit(
    configured_limit("PORTAL_FEEDBACK_LIMIT_PER_ACCOUNT"),
    methods=["POST"],
    key_func=account_key,
    deduct_when=stored_only,
    scope="feedback-send",
)
def new(slug):
    school = school_or_404(slug)
    refusal = policy.check(current_user, "send_feedback", school)
    # A visitor reads what the suggestion box is for and is asked to log in (and comes back here
    # after a POST); a blocked person is told why and until when.
    if refusal is not None and (request.method == "POST" or refusal.kind != policy.RefusalKind.LOGIN):
        raise refusal
    if refusal is not None:
        return render_template("feedback/new.html", school=school, form=None)
    form = forms.FeedbackForm()
    if not form.is_submitted():
        form.submission_token.data = forms.new_submission_token()
        return _form_page(school, form)
    if not form.validate_on_submit():
        return _form_page(school, form, 422)  # the same token: once corrected, it is still one form
    if not forms.is_submission_token(form.submission_token.data):
        form.submission_token.data = forms.new_submission_token()
        return _form_page(school, form, 422, refusal=FORM_EXPIRED)
    try:
        feedback = services.send_feedback(current_user, school, form.data)
    except DomainError:  # FORM_ALREADY_SENT: this form made another item; this text is kept for a new one
        db.session.rollback()
        earlier = services.sent_with_token(current_user, form.submission_token.data)
        form.submission_token.data = forms.new_submission_token()
        return conflict("feedback/new.html", "feedback/_form.html", school=school, form=form, earlier=earlier)
    db.session.commit()
    flash(_("Thank you. %(school)s has received your feedback.", school=school.name(current_language())), "success")
    return redirect_to(url_for("feedback.my_item", feedback_id=feedback.id))


# --- the sender's own -----------------------------------------------------------------------


@bp.get("/me/feedback")
def mine():
    policy.require(current_user, "view_own_account")
    items = services.my_feedback(current_user, page=page_arg())
    if htmx_target() == "my-feedback":
        return render_template("feedback/_my_list.html", items=items, statuses=STEPS)
    return render_template("feedback/mine.html", items=items, statuses=STEPS)


@bp.get("/me/feedback/<int:feedback_id>")
def my_item(feedback_id):
    """One of the person's items: where they land after sending it (its reference), and its
    timeline. Anyone else's item does not exist here, whoever asks (staff read it in the inbox)."""
    policy.require(current_user, "view_own_account")
    feedback = found_or_404(services.feedback_of_author(current_user, feedback_id))
    policy.require(current_user, "read_feedback", feedback)
    return render_template(
        "feedback/my_item.html",
        feedback=feedback,
        school=feedback.school,
        statuses=STEPS,
        **extras("my_feedback", feedback),  # the supervisor's part (portal.supervision)
    )
