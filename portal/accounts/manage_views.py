"""A school's invitation codes (/schools/<slug>/manage/invitations): its admins make codes that
verify parents, and see the codes' state. A new code is shown once; only its hash is kept.
Its staff (/schools/<slug>/manage/staff): the commission appoints its administrators and board
members from existing accounts."""

from flask import current_app, flash, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.accounts import bp, forms, services
from portal.accounts.models import Role
from portal.clock import utcnow
from portal.domain import DomainError
from portal.extensions import db
from portal.web import found_or_404, managed_school, redirect_to


@bp.route("/schools/<slug>/manage/invitations", methods=["GET", "POST"])
def invitations(slug):
    school = managed_school(slug, "manage_invitations")
    form = forms.InvitationBatchForm(
        data={"valid_days": current_app.config["PORTAL_INVITATION_DAYS"]} if request.method == "GET" else None
    )
    if form.validate_on_submit():
        created = services.create_invitations(
            current_user, school, count=form.count.data, valid_days=form.valid_days.data, note=form.note.data or ""
        )
        db.session.commit()
        # Shown once, right after the redirect; only hashes stay in the database.
        session["new_invitation_codes"] = [code for _invitation, code in created]
        return redirect_to(url_for("accounts.invitations", slug=slug))
    new_codes = session.pop("new_invitation_codes", []) if request.method == "GET" else []
    status = 422 if form.is_submitted() else 200
    return (
        render_template(
            "accounts/invitations.html",
            school=school,
            form=form,
            new_codes=new_codes,
            invitations=services.recent_invitations(school),
            now=utcnow(),
        ),
        status,
    )


@bp.route("/schools/<slug>/manage/staff", methods=["GET", "POST"])
def staff(slug):
    """Who runs the school on the portal: the commission above it appoints its administrators and
    board members from existing accounts, and removes them."""
    school = managed_school(slug, "manage_staff")
    form = forms.StaffForm()
    status = 200
    if form.is_submitted():
        status = 422
        if form.validate_on_submit():
            try:
                membership, new = services.appoint_staff(current_user, school, form.data)
            except DomainError as error:
                form[error.field].errors.append(error.message)
            else:
                db.session.commit()
                said = _staff_words(membership.role, "now" if new else "already", membership.user.display_name)
                flash(said, "success" if new else "info")
                return redirect_to(url_for("accounts.staff", slug=school.slug))
    return render_template("accounts/staff.html", school=school, form=form, staff=services.school_staff(school)), status


@bp.post("/schools/<slug>/manage/staff/<int:membership_id>/remove")
def remove_staff(slug, membership_id):
    school = managed_school(slug, "manage_staff")
    membership = found_or_404(services.staff_membership(school, membership_id))
    said = _staff_words(membership.role, "no longer", membership.user.display_name)
    services.remove_staff(current_user, membership)
    db.session.commit()
    flash(said, "success")
    return redirect_to(url_for("accounts.staff", slug=school.slug))


def _staff_words(role: Role, when: str, name: str) -> str:
    if role == Role.SCHOOL_ADMIN:
        words = {
            "now": _("%(name)s is now an administrator of this school."),
            "already": _("%(name)s is already an administrator of this school."),
            "no longer": _("%(name)s is no longer an administrator of this school."),
        }
    else:
        words = {
            "now": _("%(name)s is now a board member of this school."),
            "already": _("%(name)s is already a board member of this school."),
            "no longer": _("%(name)s is no longer a board member of this school."),
        }
    return words[when] % {"name": name}
