"""The charter's public pages (the text in force, the history, a version, what changed) and
its management (drafting, preview, adoption) under /schools/<slug>/manage/charter."""

from flask import abort, flash, make_response, render_template, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import SelectChoice

from portal import policy
from portal.charters import bp, forms, services, structure
from portal.charters.models import CHARTER_BODY_MAX
from portal.documents.download import pdf_response
from portal.documents.services import find_by_sha256
from portal.domain import DomainError
from portal.extensions import db
from portal.text import render_markdown, whole_number
from portal.web import found_or_404, is_htmx, managed_school, redirect_to, school_or_404

REFUSALS = {
    "charter_adopted": _l(
        "Version %(number)d is adopted and can no longer be changed. To amend the charter, start a new draft."
    ),
    "draft_exists": _l("A draft is already being prepared. Edit or adopt that draft instead of starting another."),
    "empty_body": _l("The draft has no text yet. Write the charter before adopting it."),
}
EFFECTIVE_BEFORE_ADOPTION = _l("A charter cannot come into force before the day it is adopted.")
MAX_VERSION_NUMBER_DIGITS = 9


def _may_manage(school) -> bool:
    return policy.can(current_user, "manage_charter", school)


def _readable_version_or_404(school, number: int):
    """A version as the person asking may see it: drafts exist only for those who manage the
    charter; for everyone else a draft is not found, as if it did not exist (it may still change,
    and its text is not the school's word yet)."""
    version = services.get_version(school, number)
    if version is None or (not version.is_adopted and not _may_manage(school)):
        abort(404)
    return version


def _managed_version_or_404(school, number: int):
    """Called after the permission check, not before: otherwise a 404 or a 403 would tell anyone
    which draft numbers exist."""
    version = services.get_version(school, number)
    if version is None:
        abort(404)
    return version


# --- Public pages ------------------------------------------------------------------------------


@bp.get("/schools/<slug>/charter")
def current(slug):
    school = school_or_404(slug)
    version = services.current_version(school)
    return _render_version(school, version, current=version)


@bp.get("/schools/<slug>/charter/versions/<int:n>")
def version(slug, n):
    school = school_or_404(slug)
    shown = _readable_version_or_404(school, n)
    return _render_version(school, shown, current=services.current_version(school))


@bp.get("/schools/<slug>/charter/versions/<int:n>.pdf")
def version_pdf(slug, n):
    """The archived PDF of an adopted version, exactly as signed at adoption. Drafts have none
    (not found, whoever asks), nor have versions adopted before the portal archived charters."""
    school = school_or_404(slug)
    version = services.get_version(school, n)
    if version is None or not version.is_adopted or not version.document_sha256:
        abort(404)
    document = find_by_sha256(version.document_sha256)
    if document is None:
        abort(404)
    return pdf_response(document, f"{school.name_zh}章程第{version.number}版")


def _render_version(school, version, *, current):
    return render_template(
        "charters/version.html",
        school=school,
        version=version,
        document=structure.parse(version.body) if version else None,
        text_lang=structure.text_language(version.body) if version else None,
        is_current=version is not None and current is not None and version.id == current.id,
        current=current,
        previous=services.previous_adopted(version) if version else None,
        can_manage=_may_manage(school),
    )


@bp.get("/schools/<slug>/charter/versions")
def versions(slug):
    school = school_or_404(slug)
    adopted = services.adopted_versions(school)
    # Newest first; each version is compared with the one below it.
    history = [
        (version, adopted[index + 1] if index + 1 < len(adopted) else None) for index, version in enumerate(adopted)
    ]
    return render_template("charters/versions.html", school=school, history=history, can_manage=_may_manage(school))


def _version_number_arg(name: str) -> int | None:
    """A version number from the query string: None when absent, 404 when not a number (no
    page can link to that, so there is nothing to show)."""
    value = request.args.get(name, "").strip()
    if not value:
        return None
    return found_or_404(whole_number(value, MAX_VERSION_NUMBER_DIGITS))


@bp.get("/schools/<slug>/charter/diff")
def diff(slug):
    school = school_or_404(slug)
    may_manage = _may_manage(school)
    older_number, newer_number = _version_number_arg("from"), _version_number_arg("to")
    older = _readable_version_or_404(school, older_number) if older_number is not None else None
    newer = _readable_version_or_404(school, newer_number) if newer_number is not None else None

    choices = services.versions_of(school) if may_manage else services.adopted_versions(school)
    picker = forms.ComparePickerForm(formdata=None)
    picker.from_.choices = picker.to.choices = [SelectChoice(v.number, _version_choice_label(v)) for v in choices]
    if older is not None and newer is not None:
        picker.from_.data, picker.to.data = older.number, newer.number
    elif len(choices) >= 2:  # the picker suggests the latest change
        picker.from_.data, picker.to.data = choices[1].number, choices[0].number

    changes = (
        services.compare(older, newer) if older is not None and newer is not None and older.id != newer.id else None
    )
    return render_template(
        "charters/diff.html",
        school=school,
        older=older,
        newer=newer,
        changes=changes,
        picker=picker,
        can_compare=len(choices) >= 2,
        text_lang=structure.text_language(newer.body) if newer is not None else None,
    )


def _version_choice_label(version) -> str:
    if version.is_adopted:
        return _("Version %(number)d, %(date)s", number=version.number, date=format_date(version.adopted_on))
    return _("Version %(number)d (draft)", number=version.number)


# --- Management --------------------------------------------------------------------------------


def _render_manage(school, status=200, *, notice=None, adopt_form=None):
    current_charter = services.current_version(school)
    draft = services.draft_of(school)
    draft_changes = (
        services.compare(current_charter, draft) if current_charter is not None and draft is not None else None
    )
    adopted = services.adopted_versions(school)
    return (
        render_template(
            "charters/manage.html",
            school=school,
            current=current_charter,
            draft=draft,
            draft_changes=draft_changes,
            adopted=adopted,
            notice=notice,
            start_form=forms.StartDraftForm(formdata=None),
            adopt_form=adopt_form or forms.AdoptForm(formdata=None),
        ),
        status,
    )


def _refuse_adopted(school, version):
    """Adopted versions never change: a request to edit or adopt one again answers 409
    (a conflict with the version's state), with the management page and the reason."""
    notice = REFUSALS["charter_adopted"] % {"number": version.number}
    if is_htmx():
        return render_template("charters/_notice.html", notice=notice), 409
    return _render_manage(school, 409, notice=notice)


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
    except DomainError as error:
        db.session.rollback()
        return _render_manage(school, 409, notice=REFUSALS[error.reason])
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


def _draft_to_change(slug, n):
    """The school and the draft a change is about. An adopted version never changes again: the
    request ends here with 409 and the reason."""
    school = managed_school(slug, "manage_charter")
    version = _managed_version_or_404(school, n)
    if version.is_adopted:
        abort(make_response(_refuse_adopted(school, version)))
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
    except DomainError:
        db.session.rollback()
        return _refuse_adopted(school, version)
    db.session.commit()
    flash(_("The draft is saved.") if changed else _("Nothing was changed."), "success")
    return redirect_to(url_for("charters.manage", slug=school.slug))


@bp.post("/schools/<slug>/manage/charter/versions/<int:n>/preview")
def preview(slug, n):
    """The preview panel for htmx: the typed text rendered as readers will see it, with its
    contents. Without htmx the whole edit page comes back, as from the edit form's button."""
    school, version = _draft_to_change(slug, n)
    form = forms.CharterDraftForm()
    valid = form.validate()
    status = 200 if valid else 422
    if not is_htmx():
        return _render_edit(school, version, form, status, preview=_preview_of(form), previewing=True)
    return render_template("charters/_preview.html", preview=_preview_of(form), form=form, oob=True), status


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
        if error.reason == "charter_adopted":
            return _refuse_adopted(school, version)
        if error.reason == "effective_before_adoption":
            form.effective_on.errors.append(EFFECTIVE_BEFORE_ADOPTION)
        elif error.reason == "adopted_before_previous":
            previous = services.previous_adopted(version)
            form.adopted_on.errors.append(
                _(
                    "Version %(number)d was adopted on %(date)s. A later version cannot be adopted before that day.",
                    number=previous.number,
                    date=format_date(previous.adopted_on),
                )
            )
        else:
            return _render_manage(school, 422, notice=REFUSALS[error.reason], adopt_form=form)
        return _render_manage(school, 422, adopt_form=form)
    db.session.commit()
    flash(_("Version %(number)d is adopted and is now the school's charter.", number=version.number), "success")
    return redirect_to(url_for("charters.manage", slug=school.slug))


@bp.app_template_filter("charter_markdown")
def charter_markdown(text: str, shift_headings: int = 1):
    """Markdown of a charter, sanitised (portal.text): scripts, iframes, `javascript:` links
    and hx- attributes typed into a charter come out inert."""
    return render_markdown(text, shift_headings=shift_headings)


@bp.app_template_filter("charter_lang")
def charter_lang(text: str) -> str:
    """The `lang` of a piece of text people typed (a change note), which may be in either language."""
    return structure.text_language(text)
