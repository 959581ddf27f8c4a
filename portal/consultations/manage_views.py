"""Managing consultations: drafting, questions, submitting for approval, closing early and the
outcome, under /schools/<slug>/manage/consultations (and /authorities/<id>/manage/consultations
for a district's or the city's own).

A school's admins draft and submit (policy "manage_consultation"); its board members and admins
write the outcome ("publish_outcome"); for an authority's consultation, its commission admins do
both. Once created, a consultation is managed at /manage/consultations/<id>/..., whoever owns it.
The address names what each page expects — the consultation managed (a draft to edit; once
submitted, where it is), an open one to close, a closed one to write the outcome of — and the
page refuses with 409 and the reason when the consultation is not (or no longer) in that phase."""

import logging

from flask import flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from portal import errors, policy
from portal.clock import today, utcnow
from portal.consultations import bp, responses, services
from portal.consultations import manage_forms as forms
from portal.consultations.models import (
    MAX_QUESTIONS,
    PROPOSAL_MAX,
    Consultation,
    ConsultationRefusal,
    ConsultationStatus,
    Phase,
)
from portal.domain import DomainError
from portal.extensions import db
from portal.text import render_markdown
from portal.web import (
    conflict,
    current_language,
    found_or_404,
    is_htmx,
    managed_school,
    redirect_to,
    school_or_404,
    unavailable_says,
)

log = logging.getLogger(__name__)

PUBLISH_FAILED = _l(
    "The PDF of the outcome could not be made, so nothing was published: the consultation is unchanged and what you "
    "wrote is below. Please try again in a moment; if it happens again, tell the portal's administrators."
)


# --- loading and the owner ------------------------------------------------------------------


def _consultation(
    consultation_id: int, action: str = "manage_consultation", *, for_update: bool = False
) -> Consultation:
    """The consultation and the right to `action` on it. A draft exists only for those who may see
    it (404 for everyone else); changes lock its row until the commit, so that two requests
    (a double click, two admins) run one after the other and the second sees the first's result."""
    consultation = found_or_404(services.consultation_by_id(consultation_id, for_update=for_update))
    policy.require(current_user, action, consultation)
    return consultation


def _authority_or_404(authority_id: int):
    authority = found_or_404(services.authority_by_id(authority_id))
    policy.require(current_user, "manage_authority_consultations", authority)
    return authority


def _owner(consultation: Consultation) -> dict:
    """What the pages of one consultation say about its owner: its name and its list."""
    if consultation.school is not None:
        return {
            "school": consultation.school,
            "authority": None,
            "list_url": url_for(".manage", slug=consultation.school.slug),
        }
    return {
        "school": None,
        "authority": consultation.authority,
        "list_url": url_for(".authority_manage", authority_id=consultation.authority_id),
    }


def _refuse(consultation: Consultation, reason: ConsultationRefusal, *, fragment: str | None = None, **context):
    """409: the action does not fit where the consultation is now, and nothing was changed. htmx
    gets the part of the page it asked for as it is now, with the reason (`fragment` and its
    `context`: the questions, the preview); without htmx, a page that says why."""
    db.session.rollback()
    return conflict(
        "consultations/manage_refused.html",
        fragment or "consultations/_manage_refusal.html",
        page_context=lambda: {
            "can_manage": policy.can(current_user, "manage_consultation", consultation),
            **_owner(consultation),
        },
        consultation=consultation,
        message=reason.message,
        **context,
    )


def _refuse_questions(consultation: Consultation):
    """A change to the questions of a consultation that is no longer a draft (409)."""
    reason = ConsultationRefusal.NOT_A_DRAFT
    context = _questions_context(consultation, question_error=reason.message, is_draft=False)
    del context["consultation"]  # _refuse() passes it
    return _refuse(consultation, reason, fragment="consultations/_manage_questions.html", **context)


def _proposal_preview(form):
    """The proposal as readers will see it, from the text typed: never saved, always sanitised."""
    text = form.proposal.data or ""
    return {
        "too_long": len(text) > PROPOSAL_MAX,
        "empty": not text.strip(),
        "html": render_markdown(text) if len(text) <= PROPOSAL_MAX else "",
    }


def _preview_answer(page):
    """The proposal's preview: for htmx the panel alone; without JavaScript `page()`, the whole
    page again with the text as typed and the preview. Nothing is saved either way."""
    form = forms.ConsultationForm()
    preview = _proposal_preview(form)
    if is_htmx():
        return render_template("consultations/_manage_preview.html", preview=preview)
    return page(form, preview)


# --- the lists --------------------------------------------------------------------------------


def _groups(consultations: list[Consultation], now) -> dict[str, list[Consultation]]:
    """The consultations by where they are, in the order the list shows them. A draft a
    moderator sent back is shown apart, with the reason, until it is submitted again."""
    groups = {key: [] for key in ("sent_back", "draft", "submitted", "running", "closed", "outcome_published")}
    for consultation in consultations:
        phase = consultation.phase(now)
        if phase in (Phase.SCHEDULED, Phase.OPEN):
            groups["running"].append(consultation)
        else:
            groups[phase.value].append(consultation)
    # The longest-closed first: the outcome it owes is the most overdue.
    groups["closed"].sort(key=lambda consultation: consultation.closed_at)
    return groups


def _list_page(consultations, *, new_url: str, can_draft: bool, **context):
    now = utcnow()
    groups = _groups(consultations, now)
    overdue = [c for c in groups["closed"] if c.outcome_overdue(now, services.outcome_due_days())]
    return render_template(
        "consultations/manage.html",
        groups=groups,
        overdue=overdue,
        counts=services.response_counts(consultations),
        now=now,
        due_days=services.outcome_due_days(),
        new_url=new_url,
        can_draft=can_draft,
        **context,
    )


@bp.get("/schools/<slug>/manage/consultations")
def manage(slug):
    school = school_or_404(slug)
    # The list is for everyone who works on the school's consultations: its admins draft them,
    # its board members write their outcomes.
    policy.require(current_user, "manage_school", school)
    return _list_page(
        services.consultations_of(school=school),
        new_url=url_for(".new", slug=slug),
        can_draft=policy.can(current_user, "manage_consultations", school),
        school=school,
        authority=None,
    )


@bp.get("/authorities/<int:authority_id>/manage/consultations")
def authority_manage(authority_id):
    authority = _authority_or_404(authority_id)
    return _list_page(
        services.consultations_of(authority=authority),
        new_url=url_for(".authority_new", authority_id=authority.id),
        can_draft=True,
        school=None,
        authority=authority,
    )


# --- a new draft ------------------------------------------------------------------------------


def _new(owner: dict, action_url: str):
    def page(form, preview=None, status=200):
        return render_template(
            "consultations/manage_new.html", form=form, preview=preview, action_url=action_url, **owner
        ), status

    if request.method == "GET":
        return page(forms.ConsultationForm.for_new(today()))
    if request.form.get("action") == "preview":
        return _preview_answer(page)
    form = forms.ConsultationForm()
    if form.validate_on_submit():
        owner_argument = (
            {"school": owner["school"]} if owner["school"] is not None else {"authority": owner["authority"]}
        )
        try:
            consultation = services.create_consultation(current_user, data=form.details(), **owner_argument)
        except DomainError as error:
            db.session.rollback()
            form[error.field].errors.append(error.message)
        else:
            db.session.commit()
            flash(_("The draft is saved. Add its questions, then submit it for approval."), "success")
            return redirect_to(url_for(".edit", consultation_id=consultation.id))
    return page(form, status=422)


@bp.route("/schools/<slug>/manage/consultations/new", methods=["GET", "POST"])
def new(slug):
    school = managed_school(slug, "manage_consultations")
    return _new(
        {"school": school, "authority": None, "list_url": url_for(".manage", slug=slug)},
        url_for(".new", slug=slug),
    )


@bp.route("/authorities/<int:authority_id>/manage/consultations/new", methods=["GET", "POST"])
def authority_new(authority_id):
    authority = _authority_or_404(authority_id)
    return _new(
        {"school": None, "authority": authority, "list_url": url_for(".authority_manage", authority_id=authority.id)},
        url_for(".authority_new", authority_id=authority.id),
    )


# --- one consultation: details, questions, submitting, closing --------------------------------


def _edit_page(
    consultation,
    *,
    form=None,
    question_form=None,
    close_form=None,
    preview=None,
    question_error=None,
    discard_form=None,
    submit_refused=False,
    status=200,
):
    now = utcnow()
    is_draft = consultation.status == ConsultationStatus.DRAFT
    return (
        render_template(
            "consultations/manage_edit.html",
            consultation=consultation,
            phase=consultation.phase(now),
            is_draft=is_draft,
            form=form or forms.ConsultationForm.for_consultation(consultation),
            question_form=question_form or forms.QuestionForm(formdata=None),
            question_error=question_error,
            submit_form=forms.ConfirmForm(formdata=None),
            close_form=close_form or forms.CloseForm(formdata=None),
            discard_form=discard_form or forms.DiscardForm(formdata=None),
            problems=[problem.message for problem in services.submission_problems(consultation, now)]
            if is_draft
            else [],
            preview=preview,
            proposal_html=render_markdown(consultation.proposal),
            counts=services.response_counts([consultation])[consultation.id],
            can_write_outcome=policy.can(current_user, "publish_outcome", consultation),
            overdue=consultation.outcome_overdue(now, services.outcome_due_days()),
            due_days=services.outcome_due_days(),
            max_questions=MAX_QUESTIONS,
            action_url=url_for(".edit", consultation_id=consultation.id),
            authority_name=consultation.owner_authority.name(current_language()),
            submit_refused=submit_refused,
            **_owner(consultation),
        ),
        status,
    )


@bp.route("/manage/consultations/<int:consultation_id>", methods=["GET", "POST"])
def edit(consultation_id):
    """The draft's details, questions and submission; once submitted, where it is, read-only."""
    if request.method == "GET":
        return _edit_page(_consultation(consultation_id))
    consultation = _consultation(consultation_id, for_update=True)
    previewing = request.form.get("action") == "preview"
    if consultation.status != ConsultationStatus.DRAFT:
        reason = ConsultationRefusal.NOT_A_DRAFT
        if previewing:
            return _refuse(consultation, reason, fragment="consultations/_manage_preview.html", refused=reason.message)
        return _refuse(consultation, reason)
    if previewing:
        return _preview_answer(lambda form, preview: _edit_page(consultation, form=form, preview=preview))
    form = forms.ConsultationForm()
    if form.validate_on_submit():
        try:
            changed = services.update_consultation(current_user, consultation, form.details())
        except DomainError as error:
            db.session.rollback()
            form[error.field].errors.append(error.message)
            consultation = _consultation(consultation_id)
        else:
            db.session.commit()
            flash(_("The draft is saved.") if changed else _("Nothing was changed."), "success")
            return redirect_to(url_for(".edit", consultation_id=consultation.id))
    return _edit_page(consultation, form=form, status=422)


def _questions_context(consultation, *, question_form=None, question_error=None, status_message=None, is_draft=True):
    return {
        "consultation": consultation,
        "question_form": question_form or forms.QuestionForm(formdata=None),
        "question_error": question_error,
        "status_message": status_message,
        "max_questions": MAX_QUESTIONS,
        "is_draft": is_draft,
    }


def _questions_answer(consultation, *, message=None, question_form=None, question_error=None, status=200):
    """After a change to the questions: htmx gets the questions section (and the submission
    panel, out of band), a normal request the page (303 after a change, the page itself with
    the messages when something was refused)."""
    if is_htmx():
        context = _questions_context(
            consultation, question_form=question_form, question_error=question_error, status_message=message
        )
        return render_template("consultations/_manage_questions.html", **context), status
    if status >= 400:
        return _edit_page(consultation, question_form=question_form, question_error=question_error, status=status)
    flash(message, "success")
    return redirect_to(url_for(".edit", consultation_id=consultation.id, _anchor="questions"))


@bp.post("/manage/consultations/<int:consultation_id>/questions")
def add_question(consultation_id):
    consultation = _consultation(consultation_id, for_update=True)
    if consultation.status != ConsultationStatus.DRAFT:
        return _refuse_questions(consultation)
    form = forms.QuestionForm()
    if not form.validate_on_submit():
        return _questions_answer(consultation, question_form=form, status=422)
    try:
        question = services.add_question(current_user, consultation, **form.question())
    except DomainError as error:
        db.session.rollback()
        consultation = _consultation(consultation_id)
        if error.field is None:  # too many questions: said above the form
            return _questions_answer(consultation, question_form=form, question_error=error.message, status=422)
        form[error.field].errors.append(error.message)
        return _questions_answer(consultation, question_form=form, status=422)
    db.session.commit()
    return _questions_answer(consultation, message=_("Question %(number)d is added.", number=question.position))


@bp.post("/manage/consultations/<int:consultation_id>/questions/<int:question_id>/remove")
def remove_question(consultation_id, question_id):
    consultation = _consultation(consultation_id, for_update=True)
    if consultation.status != ConsultationStatus.DRAFT:
        return _refuse_questions(consultation)
    if not forms.ConfirmForm().validate_on_submit():
        return _questions_answer(consultation, status=422)
    question = found_or_404(next((q for q in consultation.questions if q.id == question_id), None))
    prompt = question.prompt
    services.remove_question(current_user, consultation, question.id)
    db.session.commit()
    return _questions_answer(consultation, message=_("The question “%(prompt)s” is removed.", prompt=prompt))


@bp.post("/manage/consultations/<int:consultation_id>/submit")
def submit(consultation_id):
    consultation = _consultation(consultation_id, for_update=True)
    if consultation.status != ConsultationStatus.DRAFT:
        return _refuse(consultation, ConsultationRefusal.NOT_A_DRAFT)
    if not forms.ConfirmForm().validate_on_submit() or services.submission_problems(consultation, utcnow()):
        return _edit_page(consultation, status=422, submit_refused=True)  # the page lists what is missing
    services.submit(current_user, consultation)
    db.session.commit()
    flash(
        _(
            "The consultation is submitted. The moderators of %(authority)s will approve it or send it back with "
            "their reasons.",
            authority=consultation.owner_authority.name(current_language()),
        ),
        "success",
    )
    return redirect_to(url_for(".edit", consultation_id=consultation.id))


@bp.post("/manage/consultations/<int:consultation_id>/discard")
def discard(consultation_id):
    """Delete a draft, once the tick confirms it."""
    consultation = _consultation(consultation_id, for_update=True)
    if consultation.status != ConsultationStatus.DRAFT:
        return _refuse(consultation, ConsultationRefusal.NOT_A_DRAFT)
    form = forms.DiscardForm()
    if not form.validate_on_submit():  # not confirmed: nothing is deleted, and the tick says why
        return _edit_page(consultation, discard_form=form, status=422)
    title, back = consultation.title, _owner(consultation)["list_url"]
    services.discard_draft(current_user, consultation)
    db.session.commit()
    flash(_("The draft “%(title)s” is deleted.", title=title), "success")
    return redirect_to(back)


@bp.post("/manage/consultations/<int:consultation_id>/close")
def close(consultation_id):
    consultation = _consultation(consultation_id, for_update=True)
    if consultation.phase(utcnow()) not in (Phase.SCHEDULED, Phase.OPEN):
        return _refuse(consultation, ConsultationRefusal.NOT_OPEN_TO_CLOSE)
    form = forms.CloseForm()
    if not form.validate_on_submit():
        return _edit_page(consultation, close_form=form, status=422)
    try:
        services.close_early(current_user, consultation, form.reason.data)
    except DomainError as error:
        if error.field is None:
            return _refuse(consultation, error.reason)
        db.session.rollback()
        form[error.field].errors.append(error.message)
        return _edit_page(_consultation(consultation_id), close_form=form, status=422)
    db.session.commit()
    flash(
        _(
            "The consultation is closed. No more responses are accepted; its outcome is due within %(days)d days.",
            days=services.outcome_due_days(),
        ),
        "success",
    )
    return redirect_to(url_for(".edit", consultation_id=consultation.id))


# --- the outcome ------------------------------------------------------------------------------


def _outcome_page(consultation, form, status=200):
    results = responses.results(consultation)
    return (
        render_template(
            "consultations/manage_outcome.html",
            consultation=consultation,
            form=form,
            results=results,
            counts=services.response_counts([consultation])[consultation.id],
            decisions=consultation.answering_decisions,
            overdue=consultation.outcome_overdue(utcnow(), services.outcome_due_days()),
            due_days=services.outcome_due_days(),
            can_manage=policy.can(current_user, "manage_consultation", consultation),
            **_owner(consultation),
        ),
        status,
    )


@bp.route("/manage/consultations/<int:consultation_id>/outcome", methods=["GET", "POST"])
@unavailable_says(
    _l("Nothing was published"),
    _l(
        "The portal could not store the outcome, so nothing was published: the consultation is as it was. "
        "Please try again in a moment."
    ),
)
def outcome(consultation_id):
    """ "You said, we did": what was heard, its themes, what changes; published as a signed PDF."""
    consultation = _consultation(consultation_id, "publish_outcome", for_update=request.method == "POST")
    if consultation.status == ConsultationStatus.OUTCOME_PUBLISHED:
        if request.method == "GET":  # published: its page is the public one
            return redirect_to(url_for(".show", consultation_id=consultation.id))
        return _refuse(consultation, ConsultationRefusal.OUTCOME_PUBLISHED)
    if consultation.phase(utcnow()) != Phase.CLOSED:
        return _refuse(consultation, ConsultationRefusal.NOT_CLOSED)
    if request.method == "GET":
        return _outcome_page(consultation, forms.OutcomeForm(formdata=None))
    form = forms.OutcomeForm()
    form.most = responses.results(consultation).published
    if not form.validate_on_submit():
        return _outcome_page(consultation, form, 422)
    try:
        services.publish_outcome(current_user, consultation, form.outcome())
    except DomainError as error:
        if error.field is None:
            return _refuse(consultation, error.reason)
        db.session.rollback()
        form[error.field].errors.append(error.message)
        return _outcome_page(_consultation(consultation_id, "publish_outcome"), form, 422)
    except Exception as error:
        if errors.is_fault(error):
            raise  # the database or the disk: the "try again" page, with Retry-After (errors.py)
        # Rendering or signing failed (a broken font, a missing key): the transaction is rolled
        # back whole, so the consultation is as it was and nothing is stored.
        db.session.rollback()
        log.exception("publishing the outcome of consultation %s failed", consultation_id)
        form.confirm.errors.append(PUBLISH_FAILED)
        return _outcome_page(_consultation(consultation_id, "publish_outcome"), form, 503)
    db.session.commit()
    flash(_("The outcome is published. Its PDF is signed and archived for good."), "success")
    return redirect_to(url_for(".show", consultation_id=consultation.id))
