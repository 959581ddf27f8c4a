"""Publishing against the disclosure checklist, under /schools/<slug>/manage/disclosure: the
school's admins record when the information was formed (the deadline counts from then), keep a
draft, and publish a short text or a PDF (archived, signed and fingerprinted as every published
document is). District commission admins add items of their own to the catalogue under
/authorities/<id>/manage/disclosure-items."""

from flask import abort, flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal import clock, policy
from portal.disclosure import bp, forms, services
from portal.disclosure.models import DisclosureCategory
from portal.documents import checking
from portal.documents import services as documents
from portal.domain import DomainError
from portal.extensions import db
from portal.schools.models import Authority
from portal.web import found_or_404, get_or_404, managed_school, redirect_to


@bp.get("/schools/<slug>/manage/disclosure")
def manage(slug):
    school = managed_school(slug, "manage_disclosure")
    return render_template(
        "disclosure/manage.html",
        school=school,
        checklist=services.checklist(school, clock.today()),
        categories=list(DisclosureCategory),
    )


def _item_page(school, item, form, status=200):
    return (
        render_template(
            "disclosure/manage_item.html",
            school=school,
            item=item,
            form=form,
            history=services.history(school, item),
            status=services.checklist(school, clock.today()),
        ),
        status,
    )


def _refuse_hostile_pdf(form) -> bool:
    """Read an uploaded PDF as /verify reads one: in a bounded child process (CPU time, memory,
    wall clock), before the portal's own signing code parses it in the web process. A file that
    needs more than that is refused, never parsed here. True when refused (the message is on the
    field)."""
    if form.pdf_bytes is None:
        return False
    try:
        outcome = checking.check_signature(
            form.pdf_bytes,
            certificates=documents.certificate_ders(),
            tsa_certificates=documents.tsa_certificate_ders(),
        )
    except checking.CheckerBusy:
        form.file.errors.append(_("The portal is busy checking other files. Please try again in a moment."))
        return True
    if outcome == "unchecked":
        form.file.errors.append(
            _("This PDF could not be read within the portal's limits. Save it again as a simple PDF and retry.")
        )
        return True
    return False


@bp.route("/schools/<slug>/manage/disclosure/<int:item_id>", methods=["GET", "POST"])
def manage_item(slug, item_id):
    school = managed_school(slug, "manage_disclosure")
    item = found_or_404(services.item_for_school(school, item_id))
    draft = services.current_draft(school, item)
    form = forms.DisclosureForm(obj=draft)
    if not form.is_submitted():
        if draft is None:
            form.formed_on.data = clock.today()
        return _item_page(school, item, form)
    if not form.validate_on_submit() or _refuse_hostile_pdf(form):
        return _item_page(school, item, form, 422)
    today = clock.today()
    try:
        if form.publish.data:
            services.publish_disclosure(current_user, school, item, form.data, pdf_bytes=form.pdf_bytes, today=today)
        else:
            services.save_draft(current_user, school, item, form.data, today=today)
    except DomainError as error:
        db.session.rollback()
        getattr(form, error.field or "text").errors.append(error.message)
        return _item_page(school, item, form, 422)
    db.session.commit()
    flash(_("Published.") if form.publish.data else _("Draft saved."), "success")
    return redirect_to(url_for(".manage", slug=school.slug))


# --- a district's own items -------------------------------------------------------------------


def _managed_authority(authority_id: int) -> Authority:
    authority = get_or_404(Authority, authority_id)
    # Another district's catalogue does not exist for its staff (as its schools' management areas).
    if not policy.sees_authority(current_user, authority):
        abort(404)
    policy.require(current_user, "manage_disclosure_catalogue", authority)
    return authority


@bp.route("/authorities/<int:authority_id>/manage/disclosure-items", methods=["GET", "POST"])
def catalogue(authority_id):
    authority = _managed_authority(authority_id)
    form = forms.CatalogueItemForm()
    status = 200
    if form.is_submitted():
        if form.validate_on_submit():
            services.add_item(current_user, authority, form.data)
            db.session.commit()
            flash(_("The item was added to the catalogue."), "success")
            return redirect_to(url_for(".catalogue", authority_id=authority.id))
        status = 422
    return (
        render_template(
            "disclosure/catalogue.html",
            authority=authority,
            form=form,
            items=services.catalogue_of(authority),
        ),
        status,
    )


@bp.route("/authorities/<int:authority_id>/manage/disclosure-items/<int:item_id>", methods=["GET", "POST"])
def edit_item(authority_id, item_id):
    authority = _managed_authority(authority_id)
    item = get_or_404(services.DisclosureItem, item_id)
    # Removed items, and items of another area (neither this one's nor above it), are not found.
    if item.removed_at is not None or (
        item.authority is not None and not (authority.covers(item.authority) or item.authority.covers(authority))
    ):
        abort(404)
    policy.require(current_user, "edit_disclosure_item", item)
    # The item's values fill the form on GET only: WTForms takes an empty POST for no POST at all
    # and would fill it from the item, saving what nobody typed.
    form = forms.CatalogueItemForm(obj=item if request.method == "GET" else None)
    status = 200
    if form.is_submitted():
        if form.validate_on_submit():
            services.edit_item(current_user, item, form.data)
            db.session.commit()
            flash(_("The item was changed."), "success")
            return redirect_to(url_for(".catalogue", authority_id=authority.id))
        status = 422
    return render_template("disclosure/catalogue_item.html", authority=authority, item=item, form=form), status


@bp.post("/authorities/<int:authority_id>/manage/disclosure-items/<int:item_id>/remove")
def remove_item(authority_id, item_id):
    authority = _managed_authority(authority_id)
    item = get_or_404(services.DisclosureItem, item_id)
    try:
        services.remove_item(current_user, authority, item)
    except DomainError as error:
        flash(error.message, "error")
        return redirect_to(url_for(".catalogue", authority_id=authority.id))
    db.session.commit()
    flash(_("The item was removed from the catalogue."), "success")
    return redirect_to(url_for(".catalogue", authority_id=authority.id))
