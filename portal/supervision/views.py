"""The supervisor's queue (/supervision) and a case (/supervision/<id>): referred feedback of the
schools they supervise, oldest first, with the whole exchange, and their answer. A case of a
school they do not supervise does not exist for them (404). And the sender's request for review
("不满意，提请督学") from their item under /me/feedback."""

from flask import flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal import clock, policy
from portal.domain import DomainError
from portal.extensions import db
from portal.feedback import services as feedback_services
from portal.supervision import bp, forms, services
from portal.web import adds_to, found_or_404, redirect_to


@bp.get("/supervision")
def queue():
    policy.require(current_user, "supervise")
    answered = request.args.get("show") == "answered"
    return render_template(
        "supervision/queue.html",
        cases=services.queue(current_user, answered=answered),
        answered=answered,
    )


def _case_page(case, form, status=200, refused=None):
    return (
        render_template("supervision/case.html", case=case, feedback=case.feedback, form=form, refused=refused),
        status,
    )


@bp.route("/supervision/<int:case_id>", methods=["GET", "POST"])
def case(case_id):
    policy.require(current_user, "supervise")
    case = found_or_404(services.case_for(current_user, case_id))
    form = forms.AnswerForm()
    if not form.is_submitted() or case.is_answered:
        return _case_page(case, form if not case.is_answered else None)
    if not form.validate_on_submit():
        return _case_page(case, form, 422)
    try:
        services.answer_case(current_user, case, form.data, today=clock.today())
    except DomainError as error:
        db.session.rollback()
        if error.field:
            getattr(form, error.field).errors.append(error.message)
            return _case_page(case, form, 422)
        return _case_page(db.session.get(type(case), case_id), None, 409, refused=error.message)
    db.session.commit()
    flash(_("Your answer was sent to the sender."), "success")
    return redirect_to(url_for(".queue"))


@bp.post("/me/feedback/<int:feedback_id>/review")
def request_review(feedback_id):
    """Anyone else's item does not exist here, whoever asks (as on /me/feedback/<id>)."""
    policy.require(current_user, "view_own_account")
    feedback = found_or_404(feedback_services.feedback_of_author(current_user, feedback_id))
    policy.require(current_user, "request_review", feedback)
    form = forms.ReviewForm()
    if not form.validate_on_submit():
        return render_template("supervision/review.html", feedback=feedback, form=form), 422
    try:
        services.request_review(current_user, feedback, form.data)
    except DomainError as error:
        db.session.rollback()
        return render_template("supervision/review.html", feedback=feedback, form=form, refused=error.message), 409
    db.session.commit()
    flash(_("Your request went to the school's responsible supervisor."), "success")
    return redirect_to(url_for("feedback.my_item", feedback_id=feedback.id))


@adds_to("my_feedback")
def _review_on_my_item(feedback, viewer) -> dict:
    """The sender's item page: what the supervisor answered, and the request for review."""
    return {
        "supervision_cases": feedback.supervision_cases,
        "review_form": forms.ReviewForm(formdata=None) if services.may_request_review(feedback) else None,
    }
