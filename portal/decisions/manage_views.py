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

from portal import clock, errors
from portal.clock import utcnow
from portal.decisions import bp, forms, services
from portal.decisions.models import Decision, DecisionRefusal
from portal.documents.download import content_disposition
from portal.documents.render import page_count
from portal.domain import DomainError
from portal.extensions import db
from portal.text import render_markdown
from portal.web import conflict, found_or_404, is_htmx, managed_school, redirect_to, unavailable_says

log = logging.getLogger(__name__)

PUBLISH_FAILED = _l(
    "The PDF of the decision could not be made, so nothing was published: "
    "the draft is unchanged and no number was used. "
    "Please try again in a moment; if it happens again, tell the portal's administrators."
)


def _decision_or_404(school, decision_id, *, for_update=False) -> Decision:
    return found_or_404(services.decision_in_school(school, decision_id, for_update=for_update))


def _draft_to_change(slug, decision_id):
    """The school and the draft a change is about, its row locked until the commit. A published
    decision never changes: the request ends here with 409 and the reason."""
    school = managed_school(slug, "manage_decisions")
    decision = _decision_or_404(school, decision_id, for_update=True)
    if not decision.is_draft:
        abort(make_response(_published(school, decision)))
    return school, decision


def _published(school, decision, fragment="decisions/_published_notice.html"):
    """The decision was published (perhaps by someone else a moment ago), so what was asked of
    the draft is refused: 409 with the notice that says so and leads to the decision (web.conflict).
    `fragment` is the part of the page the htmx request asked for, with the notice in it."""
    db.session.rollback()  # nothing was changed; the draft's row lock is released
    return conflict(
        "decisions/refused.html",
        fragment,
        school=school,
        decision=decision,
        message=DecisionRefusal.PUBLISHED.message,
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
        for version in services.charter_versions_for_decisions(school)
    ]
    form.consultation_id.choices = [SelectChoice("", _("None"))] + [
        SelectChoice(consultation.id, consultation.title)
        for consultation in services.answerable_consultations(school, utcnow())
    ]
    return form


def _form_for(school, decision=None):
    if decision is not None and request.method == "GET":
        replaces = decision.supersedes_id or decision.revokes_id
        form = forms.DecisionForm(
            formdata=None,
            obj=decision,
            replaces_id=replaces,
            replaces_how="revokes" if decision.revokes_id else "supersedes",
        )
    else:
        form = forms.DecisionForm()
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


@bp.route("/schools/<slug>/manage/decisions/new", methods=["GET", "POST"])
def new_draft(slug):
    school = managed_school(slug, "manage_decisions")
    form = _form_for(school)
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


def _edit_page(school, decision, form=None, publish_form=None, status=200):
    return (
        render_template(
            "decisions/edit.html",
            school=school,
            decision=decision,
            form=form or _form_for(school, decision),
            publish_form=publish_form or forms.PublishForm(formdata=None),
            discard_form=forms.DiscardForm(formdata=None),
            problems=[problem.message for problem in services.publish_problems(decision, utcnow())],
            body_html=render_markdown(decision.body),
        ),
        status,
    )


@bp.route("/schools/<slug>/manage/decisions/<int:decision_id>", methods=["GET", "POST"])
def edit_draft(slug, decision_id):
    if request.method == "GET":
        school = managed_school(slug, "manage_decisions")
        decision = _decision_or_404(school, decision_id)
        if not decision.is_draft:  # published: its page is the public one
            return redirect_to(url_for("decisions.show", decision_id=decision.id))
        return _edit_page(school, decision)
    school, decision = _draft_to_change(slug, decision_id)
    form = _form_for(school, decision)
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


def _preview_bytes(decision):
    try:
        return services.preview_pdf(decision)
    except Exception:  # WeasyPrint can fail in many ways; the person gets a message, not a 500
        log.exception("preview of decision %s failed", decision.id)
        return None


@bp.get("/schools/<slug>/manage/decisions/<int:decision_id>/preview.pdf")
def preview_pdf(slug, decision_id):
    """The saved draft as a PDF marked "draft — not published": rendered on request, never
    signed, stored or numbered, and never cached (the draft may change any moment)."""
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
    school, decision = _draft_to_change(slug, decision_id)
    publish_form = forms.PublishForm()
    if not publish_form.validate_on_submit():
        return _edit_page(school, decision, publish_form=publish_form, status=422)
    try:
        services.publish_decision(current_user, decision)
    except DomainError as error:
        if error.reason == DecisionRefusal.PUBLISHED:
            return _published(school, decision)
        db.session.rollback()
        decision = _decision_or_404(school, decision_id)
        publish_form.confirm.errors.append(error.message)
        return _edit_page(school, decision, publish_form=publish_form, status=422)
    except Exception as error:
        if errors.is_fault(error):
            raise  # the database or the disk: the "try again" page, with Retry-After (errors.py)
        # Rendering or signing failed (a broken font, a missing key): the transaction is rolled
        # back whole, so the draft is as it was and no number is used.
        db.session.rollback()
        log.exception("publishing decision %s failed", decision_id)
        decision = _decision_or_404(school, decision_id)
        publish_form.confirm.errors.append(PUBLISH_FAILED)
        return _edit_page(school, decision, publish_form=publish_form, status=503)
    db.session.commit()
    flash(
        _("Decision %(number)s is published. Its PDF is signed and archived for good.", number=decision.number),
        "success",
    )
    return redirect_to(url_for("decisions.show", decision_id=decision.id))


@bp.post("/schools/<slug>/manage/decisions/<int:decision_id>/discard")
def discard(slug, decision_id):
    school, decision = _draft_to_change(slug, decision_id)
    if not forms.DiscardForm().validate_on_submit():
        return _edit_page(school, decision, status=422)
    title = decision.title
    services.discard_draft(current_user, decision)
    db.session.commit()
    flash(_("The draft “%(title)s” is deleted.", title=title), "success")
    return redirect_to(url_for("decisions.manage", slug=slug))
