"""Drafting and publishing decisions, under /schools/<slug>/manage/decisions: the school's board
members and admins only (policy action "manage_decisions").

The public pages of the archive are in views.py; these are the management pages, kept apart
because they are a different audience with a different flow (draft → preview → publish)."""

import logging

from flask import abort, flash, make_response, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import SelectChoice

from portal import clock
from portal.clock import utcnow
from portal.decisions import (
    bp,
    forms,
    services,
    tasks,  # noqa: F401 - registers the publishing job with the queue
)
from portal.decisions.models import DECISION_BODY_MAX, Decision, DecisionRefusal
from portal.documents.download import content_disposition
from portal.documents.render import page_count
from portal.domain import DomainError
from portal.extensions import db
from portal.text import render_markdown
from portal.web import conflict, found_or_404, is_htmx, managed_school, redirect_to, unavailable_says

log = logging.getLogger(__name__)


def _decision_or_404(school, decision_id, *, for_update=False) -> Decision:
    return found_or_404(services.decision_in_school(school, decision_id, for_update=for_update))


def _draft_to_change(slug, decision_id, *, while_publishing=False):
    """The school and the draft a change is about, its row locked until the commit. A published
    decision never changes: the request ends here with 409 and the reason. Nor does a draft
    being published (unless `while_publishing`): what is published is what was confirmed."""
    school = managed_school(slug, "manage_decisions")
    decision = _decision_or_404(school, decision_id, for_update=True)
    if not decision.is_draft:
        abort(make_response(_published(school, decision)))
    if not while_publishing and decision.is_publishing(utcnow()):
        abort(make_response(_published(school, decision, reason=DecisionRefusal.PUBLISHING)))
    return school, decision


def _published(school, decision, fragment="decisions/_published_notice.html", reason=DecisionRefusal.PUBLISHED):
    """The decision was published (perhaps by someone else a moment ago), or is being published,
    so what was asked of the draft is refused: 409 with the notice that says so and leads to the
    decision or its publication's progress (web.conflict). `fragment` is the part of the page the
    htmx request asked for, with the notice in it."""
    db.session.rollback()  # nothing was changed; the draft's row lock is released
    return conflict(
        "decisions/refused.html",
        fragment,
        school=school,
        decision=decision,
        message=reason.message,
        publishing=reason == DecisionRefusal.PUBLISHING,
    )


def _choices(form, school, decision=None):
    """The selects list only this school's meetings, decisions in force, charter versions and
    closed consultations."""
    form.meeting_id.choices = [SelectChoice("", _("Choose a meeting"))] + [
        SelectChoice(
            meeting.id, f"{clock.local_date(meeting.starts_at).isoformat()} · {meeting.body.name} · {meeting.title}"
        )
        for meeting in services.meetings_for_decisions(school, utcnow())
    ]
    form.replaces_id.choices = [SelectChoice("", _("None"))] + [
        SelectChoice(target.id, f"{target.number} {target.title}")
        for target in services.in_force_decisions(school, exclude_id=decision.id if decision else None)
    ]
    form.charter_version_id.choices = [SelectChoice("", _("None"))] + [
        SelectChoice(
            version.id,
            _("Version %(number)d (adopted)", number=version.number)
            if version.is_adopted
            else _("Version %(number)d (draft)", number=version.number),
        )
        for version in services.charter_versions_for_decisions(
            school, include_id=decision.charter_version_id if decision else None
        )
    ]
    form.consultation_id.choices = [SelectChoice("", _("None"))] + [
        SelectChoice(consultation.id, consultation.title)
        for consultation in services.answerable_consultations(school, utcnow())
    ]
    return form


def _form_for(school, decision=None, *, typed=False):
    """The draft's form: with what was typed when it is the form that was sent (`typed`), else
    filled from the saved draft. The edit page holds four forms; when publishing or deleting fails,
    the draft's form must show the draft as saved: one read from that other form's request would
    come back blank, and saving it then would store the blanks over the draft."""
    if typed or decision is None:
        form = forms.DecisionForm()
    else:
        replaces = decision.supersedes_id or decision.revokes_id
        form = forms.DecisionForm(
            formdata=None,
            obj=decision,
            replaces_id=replaces,
            replaces_how="revokes" if decision.revokes_id else "supersedes",
        )
    return _choices(form, school, decision)


def _refusal_on_form(form, error: DomainError):
    (form[error.field].errors if error.field else form.form_errors).append(error.message)


# --- the list of drafts ---------------------------------------------------------------------


@bp.get("/schools/<slug>/manage/decisions")
def manage(slug):
    school = managed_school(slug, "manage_decisions")
    return render_template(
        "decisions/manage.html",
        school=school,
        drafts=services.drafts_of_school(school),
        published=services.latest_decisions(school, limit=10),
        today=clock.today(),
    )


def _text_preview(body: str | None, *, unsaved: bool) -> dict:
    """The text as it will be published: the renderer of the published page and PDF
    (portal.text.render_markdown), never saved from here."""
    body = body or ""
    if len(body) > DECISION_BODY_MAX:
        return {"too_long": True}
    return {"too_long": False, "empty": not body.strip(), "html": render_markdown(body), "unsaved": unsaved}


def _previewing() -> bool:
    """The Preview button without JavaScript: the page comes back with the text as typed and its
    preview, and nothing is saved."""
    return request.method == "POST" and request.form.get("action") == "preview"


def _preview_status(form) -> int:
    # Only the text is checked: a preview is not the moment to ask for the title or the vote.
    return 200 if form.body.validate(form) else 422


@bp.route("/schools/<slug>/manage/decisions/new", methods=["GET", "POST"])
def new_draft(slug):
    school = managed_school(slug, "manage_decisions")
    form = _form_for(school)
    if _previewing():
        status = _preview_status(form)
        page = render_template(
            "decisions/new.html",
            school=school,
            form=form,
            text_preview=_text_preview(form.body.data, unsaved=True),
            previewing=True,
        )
        return page, status
    if form.validate_on_submit():
        try:
            decision = services.create_draft(current_user, school, form.draft_data())
        except DomainError as error:
            db.session.rollback()
            _refusal_on_form(form, error)
        else:
            db.session.commit()
            flash(_("The draft is saved. Preview it, and publish it when the board's decision is final."), "success")
            return redirect_to(url_for("decisions.edit_draft", slug=slug, decision_id=decision.id))
    return render_template("decisions/new.html", school=school, form=form), 422 if form.is_submitted() else 200


def _publish_form(decision, publish_form=None):
    """The publish form: as sent, or fresh, saying why the last publication failed if it did."""
    if publish_form is not None:
        return publish_form
    publish_form = forms.PublishForm(formdata=None)
    failure = decision.publication_failure(utcnow())
    if failure is not None:
        publish_form.confirm.errors = [failure.message]
    return publish_form


def _edit_page(school, decision, form=None, publish_form=None, discard_form=None, status=200, *, text_preview=None):
    """The draft's page. Each of its forms shows what was typed only if it is the form that was
    sent (given here); the others are filled from the saved draft."""
    return (
        render_template(
            "decisions/edit.html",
            school=school,
            decision=decision,
            form=form or _form_for(school, decision),
            publish_form=_publish_form(decision, publish_form),
            discard_form=discard_form or forms.DiscardForm(formdata=None),
            problems=_publish_problems(decision),
            publishing=decision.is_publishing(utcnow()),
            text_preview=text_preview or _text_preview(decision.body, unsaved=False),
            previewing=text_preview is not None,
        ),
        status,
    )


def _publish_problems(decision):
    return [problem.message for problem in services.publish_problems(decision, utcnow())]


def _publish_refused(school, decision, publish_form, status=422):
    """Publishing was refused (not confirmed, the draft not ready, the PDF not made): htmx gets
    the publish panel with the reason beside the tick, swapped in place (a 503 says so with
    HX-Reswap, which static/js/portal.js takes as "show this"); without it, the whole page."""
    if is_htmx():
        panel = render_template(
            "decisions/_publish.html",
            school=school,
            decision=decision,
            publish_form=publish_form,
            problems=_publish_problems(decision),
            publishing=False,
        )
        return panel, status, ({"HX-Reswap": "outerHTML"} if status >= 500 else {})
    return _edit_page(school, decision, publish_form=publish_form, status=status)


@bp.route("/schools/<slug>/manage/decisions/<int:decision_id>", methods=["GET", "POST"])
def edit_draft(slug, decision_id):
    if request.method == "GET":
        school = managed_school(slug, "manage_decisions")
        decision = _decision_or_404(school, decision_id)
        if not decision.is_draft:  # published: its page is the public one
            return redirect_to(url_for("decisions.show", decision_id=decision.id))
        return _edit_page(school, decision)
    school, decision = _draft_to_change(slug, decision_id)
    form = _form_for(school, decision, typed=True)
    if _previewing():
        status = _preview_status(form)
        return _edit_page(
            school, decision, form, status=status, text_preview=_text_preview(form.body.data, unsaved=True)
        )
    if form.validate_on_submit():
        try:
            changed = services.update_draft(current_user, decision, form.draft_data())
        except DomainError as error:
            db.session.rollback()
            _refusal_on_form(form, error)
            decision = _decision_or_404(school, decision_id)
        else:
            db.session.commit()
            flash(_("The draft is saved.") if changed else _("Nothing was changed."), "success")
            return redirect_to(url_for("decisions.edit_draft", slug=slug, decision_id=decision.id))
    return _edit_page(school, decision, form=form, status=422)


# --- preview --------------------------------------------------------------------------------


@bp.post("/schools/<slug>/manage/decisions/text-preview")
def text_preview(slug):
    """For htmx, as the text of a draft (new or saved) is typed: the preview panel with the text
    as it will be published. Nothing is saved. Without htmx the Preview button posts the whole
    form to its own page instead (see _previewing), so this address only leads back."""
    school = managed_school(slug, "manage_decisions")
    if not is_htmx():
        return redirect_to(url_for("decisions.manage", slug=school.slug))
    form = forms.DecisionTextForm()
    status = 200 if form.validate() else 422
    return render_template(
        "decisions/_text_preview.html", text_preview=_text_preview(form.body.data, unsaved=True), form=form
    ), status


def _preview_bytes(decision):
    try:
        return services.preview_pdf(decision)
    except Exception:  # WeasyPrint can fail in many ways; the person gets a message, not a 500
        log.exception("preview of decision %s failed", decision.id)
        return None


@bp.get("/schools/<slug>/manage/decisions/<int:decision_id>/preview.pdf")
def preview_pdf(slug, decision_id):
    """The saved draft as a PDF marked "draft — not published": rendered on request, never
    signed, stored or numbered, and never cached (the draft may change any moment).

    Unlike publishing, a preview is made during the request, by this process's render child
    (portal/documents/render.py), not by a job: the person waits for it on the page either way,
    nothing is stored, so there is nothing to do twice and no temporary file to expire; and the
    web process's memory stays flat all the same. It holds a web worker for the render (about
    half a second)."""
    school = managed_school(slug, "manage_decisions")
    decision = _decision_or_404(school, decision_id)
    if not decision.is_draft:
        return redirect_to(url_for("decisions.pdf", decision_id=decision.id))
    pdf = _preview_bytes(decision)
    if pdf is None:
        return render_template("decisions/preview_failed.html", school=school, decision=decision), 503
    response = make_response(pdf)
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Disposition"] = content_disposition(_("Draft") + f" {decision.title}.pdf", inline=True)
    return response


@bp.get("/schools/<slug>/manage/decisions/<int:decision_id>/preview")
def preview(slug, decision_id):
    """For htmx: render the preview (the page shows a progress indicator meanwhile) and answer
    with a link to open it and how many pages it has, or, if the decision was published
    meanwhile, 409 and the notice in its place. Without JavaScript the link on the page opens the
    PDF directly, and this address sends there too."""
    school = managed_school(slug, "manage_decisions")
    decision = _decision_or_404(school, decision_id)
    if not is_htmx():
        return redirect_to(url_for("decisions.preview_pdf", slug=slug, decision_id=decision.id))
    if not decision.is_draft:  # published since the page was shown: there is no draft to preview
        return _published(school, decision, fragment="decisions/_preview.html")
    pdf = _preview_bytes(decision)
    return render_template(
        "decisions/_preview.html",
        school=school,
        decision=decision,
        failed=pdf is None,
        pages=page_count(pdf) if pdf else 0,
        size=len(pdf) if pdf else 0,
    )


# --- publish and discard ----------------------------------------------------------------------


@bp.post("/schools/<slug>/manage/decisions/<int:decision_id>/publish")
@unavailable_says(
    _l("Nothing was published"),
    _l(
        "The portal could not store the decision, so nothing was published: the draft is unchanged "
        "and no number was used. Please try again in a moment."
    ),
)
def publish(slug, decision_id):
    """Publication is asked for here and carried out by the job worker (tasks.py): the answer is
    the page that follows its progress. A second press while it is at work asks nothing more."""
    school, decision = _draft_to_change(slug, decision_id, while_publishing=True)
    publish_form = forms.PublishForm()
    if not publish_form.validate_on_submit():
        return _publish_refused(school, decision, publish_form)
    try:
        services.request_publication(current_user, decision)
    except DomainError as error:
        if error.reason == DecisionRefusal.PUBLISHED:
            return _published(school, decision)
        db.session.rollback()
        decision = _decision_or_404(school, decision_id)
        publish_form.confirm.errors.append(error.message)
        return _publish_refused(school, decision, publish_form)
    db.session.commit()
    return redirect_to(url_for("decisions.publishing", slug=slug, decision_id=decision_id))


@bp.get("/schools/<slug>/manage/decisions/<int:decision_id>/publishing")
def publishing(slug, decision_id):
    """How the publication is getting on. Published: on to the decision. Failed (or given up
    for lost): back to the draft, whose page says why. Still at work: a page that says so; with
    htmx it asks again every 2 s (answered 204 until there is somewhere to go), without
    JavaScript its "check again" link does (a timed reload would move the page under a reader
    who has not finished it: WCAG 2.2.1, technique F41)."""
    school = managed_school(slug, "manage_decisions")
    decision = _decision_or_404(school, decision_id)
    if not decision.is_draft:
        flash(
            _("Decision %(number)s is published. Its PDF is signed and archived for good.", number=decision.number),
            "success",
        )
        return redirect_to(url_for("decisions.show", decision_id=decision.id))
    if not decision.is_publishing(utcnow()):
        return redirect_to(url_for("decisions.edit_draft", slug=slug, decision_id=decision.id) + "#publish")
    if is_htmx():
        return "", 204
    return render_template("decisions/publishing.html", school=school, decision=decision)


@bp.post("/schools/<slug>/manage/decisions/<int:decision_id>/discard")
def discard(slug, decision_id):
    school, decision = _draft_to_change(slug, decision_id)
    discard_form = forms.DiscardForm()
    if not discard_form.validate_on_submit():  # not confirmed: nothing is deleted, and the tick says why
        return _edit_page(school, decision, discard_form=discard_form, status=422)
    title = decision.title
    services.discard_draft(current_user, decision)
    db.session.commit()
    flash(_("The draft “%(title)s” is deleted.", title=title), "success")
    return redirect_to(url_for("decisions.manage", slug=slug))
