"""The charter's management under /schools/<slug>/manage/charter, for the school's
administrators (policy "manage_charter"): starting a draft, editing and previewing it, adopting it.

An adopted version never changes and a school has one draft at a time: a request that the
version's state (or the school's open draft) refuses answers 409 with the reason, through
portal.web.conflict.
"""

from flask import abort, flash, make_response, render_template, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user

from portal import clock
from portal.charters import bp, services, structure
from portal.charters import manage_forms as forms
from portal.charters.models import CHARTER_BODY_MAX, CharterRefusal
from portal.domain import DomainError
from portal.extensions import db
from portal.web import conflict, found_or_404, is_htmx, managed_school, reads_only, redirect_to

# Where a refusal's message goes for htmx: the preview panel, for the edit page's preview
# button (its hx-target, #charter-preview); the notice alone for any other htmx request (no
# page of the charter's management sends one today).
PREVIEW_PANEL = "charters/_preview.html"
NOTICE = "charters/_notice.html"


def _managed_version_or_404(school, number: int):
    """Called after the permission check, not before: otherwise a 404 or a 403 would tell anyone
    which draft numbers exist."""
    return found_or_404(services.get_version(school, number))


def _manage_context(school, *, adopt_form=None, discard_form=None) -> dict:
    today = clock.today()
    adopted = services.adopted_versions(school)
    statuses = {version.id: version.status_on(today, adopted) for version in adopted}
    # A new draft starts from, and is compared with, the newest adopted version, in force or not yet.
    current_charter = adopted[0] if adopted else None
    draft = services.draft_of(school)
    draft_changes = (
        services.compare(current_charter, draft) if current_charter is not None and draft is not None else None
    )
    return {
        "school": school,
        "current": current_charter,
        "draft": draft,
        "draft_changes": draft_changes,
        "adopted": adopted,
        "statuses": statuses,
        "in_force": next((v for v in adopted if statuses[v.id].value in ("in_force", "ending")), None),
        "start_form": forms.StartDraftForm(formdata=None),
        "adopt_form": adopt_form or forms.AdoptForm(formdata=None),
        "discard_form": discard_form or forms.DiscardForm(formdata=None),
    }


def _render_manage(school, status=200, *, notice=None, adopt_form=None, discard_form=None):
    context = _manage_context(school, adopt_form=adopt_form, discard_form=discard_form)
    return render_template("charters/manage.html", notice=notice, **context), status


def _conflict(school, message, fragment=NOTICE):
    """The charter's state refused the change: 409, with the message in the part of the page
    that asked (htmx), or at the top of the management page as it is now."""
    return conflict("charters/manage.html", fragment, page_context=lambda: _manage_context(school), notice=message)


def _refuse_adopted(school, version, fragment=NOTICE):
    """Adopted versions never change: a request to edit, preview or adopt one again is refused
    with the version's number."""
    return _conflict(school, CharterRefusal.CHARTER_ADOPTED.message % {"number": version.number}, fragment)


@bp.get("/schools/<slug>/manage/charter")
def manage(slug):
    school = managed_school(slug, "manage_charter")
    return _render_manage(school)


@bp.post("/schools/<slug>/manage/charter/drafts")
def start_draft(slug):
    school = managed_school(slug, "manage_charter")
    form = forms.StartDraftForm()
    if not form.validate_on_submit():
        return _render_manage(school, 422)
    try:
        draft = services.start_draft(current_user, school, from_template=form.starting_point.data != "empty")
    except DomainError as error:  # DRAFT_EXISTS: one draft at a time
        db.session.rollback()
        return _conflict(school, error.message)
    db.session.commit()
    flash(_("Draft version %(number)d is ready to edit.", number=draft.number), "success")
    return redirect_to(url_for("charters.edit_draft", slug=school.slug, n=draft.number))


def _preview_of(form):
    """What the preview panel shows for the text typed: never saved, always sanitised."""
    body = form.body.data or ""
    if len(body) > CHARTER_BODY_MAX:
        return {"too_long": True}
    return {
        "too_long": False,
        "document": structure.parse(body),
        "empty": not body.strip(),
        "lang": structure.text_language(body),
    }


def _render_edit(school, version, form, status=200, *, preview=None, previewing=False):
    return (
        render_template(
            "charters/edit.html", school=school, version=version, form=form, preview=preview, previewing=previewing
        ),
        status,
    )


def _draft_to_change(slug, n, *, fragment=NOTICE):
    """The school and the draft a change is about. An adopted version never changes again: the
    request ends here with 409 and the reason (in `fragment` for htmx)."""
    school = managed_school(slug, "manage_charter")
    version = _managed_version_or_404(school, n)
    if version.is_adopted:
        abort(make_response(_refuse_adopted(school, version, fragment)))
    return school, version


@bp.route("/schools/<slug>/manage/charter/versions/<int:n>/edit", methods=["GET", "POST"])
def edit_draft(slug, n):
    school, version = _draft_to_change(slug, n)
    if request.method == "GET":
        return _render_edit(school, version, forms.CharterDraftForm(obj=version))
    form = forms.CharterDraftForm()
    if request.form.get("action") == "preview":
        # The preview button without JavaScript: the same page again, with the preview and the
        # text as typed. Nothing is saved.
        valid = form.validate()
        return _render_edit(school, version, form, 200 if valid else 422, preview=_preview_of(form), previewing=True)
    if not form.validate_on_submit():
        return _render_edit(school, version, form, 422)
    try:
        changed = services.edit_draft(
            current_user, version, body=form.body.data, change_note=form.change_note.data or ""
        )
    except DomainError:  # CHARTER_ADOPTED: adopted meanwhile
        db.session.rollback()
        return _refuse_adopted(school, version)
    db.session.commit()
    flash(_("The draft is saved.") if changed else _("Nothing was changed."), "success")
    return redirect_to(url_for("charters.manage", slug=school.slug))


@bp.post("/schools/<slug>/manage/charter/versions/<int:n>/preview")
@reads_only
def preview(slug, n):
    """The preview panel for htmx: the typed text rendered as readers will see it, with its
    contents. Without htmx the whole edit page comes back, as from the edit form's button."""
    school, version = _draft_to_change(slug, n, fragment=PREVIEW_PANEL)
    form = forms.CharterDraftForm()
    valid = form.validate()
    status = 200 if valid else 422
    if not is_htmx():
        return _render_edit(school, version, form, status, preview=_preview_of(form), previewing=True)
    # Typing updates the preview as it goes (the text area triggers it): said to screen readers
    # only when the Preview button asked, not at every pause in the typing.
    announce = request.headers.get("HX-Trigger") != form.body.id
    return (
        render_template("charters/_preview.html", preview=_preview_of(form), form=form, oob=True, announce=announce),
        status,
    )


def _adoption_refusal_message(error: DomainError, version) -> str:
    if error.reason == CharterRefusal.ADOPTED_BEFORE_PREVIOUS:
        previous = services.previous_adopted(version)
        return error.message % {"number": previous.number, "date": format_date(previous.adopted_on)}
    return error.message


@bp.post("/schools/<slug>/manage/charter/versions/<int:n>/discard")
def discard(slug, n):
    """Delete the draft, once the tick confirms it."""
    school, version = _draft_to_change(slug, n)
    form = forms.DiscardForm()
    if not form.validate_on_submit():  # not confirmed: nothing is deleted, and the tick says why
        return _render_manage(school, 422, discard_form=form)
    try:
        services.discard_draft(current_user, version)
    except DomainError as error:
        db.session.rollback()
        return _conflict(school, error.message)
    db.session.commit()
    flash(_("Draft version %(number)d is deleted.", number=n), "success")
    return redirect_to(url_for("charters.manage", slug=school.slug))


@bp.post("/schools/<slug>/manage/charter/versions/<int:n>/adopt")
def adopt(slug, n):
    school, version = _draft_to_change(slug, n)
    form = forms.AdoptForm()
    if not form.validate_on_submit():
        return _render_manage(school, 422, adopt_form=form)
    try:
        services.adopt_version(
            current_user, version, adopted_on=form.adopted_on.data, effective_on=form.effective_on.data
        )
    except DomainError as error:
        db.session.rollback()
        if error.reason == CharterRefusal.CHARTER_ADOPTED:  # adopted meanwhile
            return _refuse_adopted(school, version)
        if error.field is None:  # EMPTY_BODY: about the draft, said at the top of the page
            return _render_manage(school, 422, notice=error.message, adopt_form=form)
        form[error.field].errors.append(_adoption_refusal_message(error, version))
        return _render_manage(school, 422, adopt_form=form)
    db.session.commit()
    if version.takes_effect_on and version.takes_effect_on > clock.today():
        flash(
            _(
                "Version %(number)d is adopted. It becomes the school's charter on %(date)s; until then the "
                "version in force stays.",
                number=version.number,
                date=format_date(version.takes_effect_on, "long"),
            ),
            "success",
        )
    else:
        flash(_("Version %(number)d is adopted and is now the school's charter.", number=version.number), "success")
    return redirect_to(url_for("charters.manage", slug=school.slug))
