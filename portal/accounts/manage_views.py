"""A school's invitation codes (/schools/<slug>/manage/invitations): its admins make codes that
verify parents, and see the codes' state. A new code is shown once; only its hash is kept.
Staff: the commission appoints a school's administrators and board members
(/schools/<slug>/manage/staff), and an authority's commission admins and moderators
(/authorities/<id>/manage/staff), from existing accounts, or by an invitation mailed to an address
that no account uses yet (sent again or withdrawn from the same page)."""

from flask import abort, current_app, flash, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal import policy
from portal.accounts import bp, forms, services
from portal.accounts.models import Role
from portal.clock import utcnow
from portal.domain import DomainError
from portal.extensions import db
from portal.schools import services as school_services
from portal.schools.models import Authority, School
from portal.web import changed_then_back, current_language, found_or_404, get_or_404, managed_school, redirect_to


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


@bp.post("/schools/<slug>/manage/invitations/<int:invitation_id>/withdraw")
def withdraw_invitation(slug, invitation_id):
    """A code handed to the wrong family, or leaked, verifies nobody once withdrawn."""
    school = managed_school(slug, "manage_invitations")
    invitation = found_or_404(services.invitation_of(school, invitation_id))
    return changed_then_back(
        url_for("accounts.invitations", slug=slug),
        lambda: services.withdraw_invitation(current_user, invitation),
        lambda: _("The code ending …%(hint)s is withdrawn: it verifies nobody.", hint=invitation.code_hint),
    )


@bp.route("/schools/<slug>/manage/staff", methods=["GET", "POST"])
def staff(slug):
    """Who runs the school on the portal: the commission above it appoints its administrators and
    board members from existing accounts, and removes them."""
    school = managed_school(slug, "manage_staff")
    return _staff_page(school, url_for("accounts.staff", slug=school.slug))


@bp.post("/schools/<slug>/manage/staff/<int:membership_id>/remove")
def remove_staff(slug, membership_id):
    school = managed_school(slug, "manage_staff")
    return _remove(school, membership_id, url_for("accounts.staff", slug=school.slug))


@bp.post("/schools/<slug>/manage/staff/invitations/<int:invitation_id>/resend")
def resend_staff_invitation(slug, invitation_id):
    school = managed_school(slug, "manage_staff")
    return _resend(school, invitation_id, url_for("accounts.staff", slug=school.slug))


@bp.post("/schools/<slug>/manage/staff/invitations/<int:invitation_id>/withdraw")
def withdraw_staff_invitation(slug, invitation_id):
    school = managed_school(slug, "manage_staff")
    return _withdraw(school, invitation_id, url_for("accounts.staff", slug=school.slug))


@bp.route("/authorities/<int:authority_id>/manage/staff", methods=["GET", "POST"])
def authority_staff(authority_id):
    """An authority's commission admins and moderators, appointed by its commission admins (or
    those above it)."""
    authority = _managed_authority(authority_id)
    return _staff_page(authority, url_for("accounts.authority_staff", authority_id=authority.id))


@bp.post("/authorities/<int:authority_id>/manage/staff/<int:membership_id>/remove")
def remove_authority_staff(authority_id, membership_id):
    authority = _managed_authority(authority_id)
    return _remove(authority, membership_id, url_for("accounts.authority_staff", authority_id=authority.id))


@bp.post("/authorities/<int:authority_id>/manage/staff/invitations/<int:invitation_id>/resend")
def resend_authority_staff_invitation(authority_id, invitation_id):
    authority = _managed_authority(authority_id)
    return _resend(authority, invitation_id, url_for("accounts.authority_staff", authority_id=authority.id))


@bp.post("/authorities/<int:authority_id>/manage/staff/invitations/<int:invitation_id>/withdraw")
def withdraw_authority_staff_invitation(authority_id, invitation_id):
    authority = _managed_authority(authority_id)
    return _withdraw(authority, invitation_id, url_for("accounts.authority_staff", authority_id=authority.id))


def _managed_authority(authority_id: int) -> Authority:
    authority = get_or_404(Authority, authority_id)
    if not policy.sees_authority(current_user, authority):  # another district's: not found
        abort(404)
    policy.require(current_user, "manage_authority_staff", authority)
    return authority


def _staff_page(scope, page_url: str):
    form = forms.StaffForm(roles=services.staff_roles(scope))
    status = 200
    if form.is_submitted():
        status = 422
        if form.validate_on_submit():
            try:
                appointed = services.appoint_staff(current_user, scope, form.data, language=current_language())
            except DomainError as error:
                form[error.field or "role"].errors.append(error.message)
            else:
                db.session.commit()
                flash(_appointment_words(appointed), "success" if appointed.new else "info")
                return redirect_to(page_url)
    is_school = isinstance(scope, School)
    # An authority's page leads to the pages of the areas below it, whose staff are appointed there.
    below = [] if is_school else [a for a in school_services.authorities_under([scope]) if a.id != scope.id]
    context = {"scope": scope, "is_school": is_school, "form": form, "page_url": page_url, "areas_below": below}
    return (
        render_template(
            "accounts/staff.html",
            staff=services.staff_of(scope),
            invitations=services.pending_staff_invitations(scope),
            now=utcnow(),
            **context,
        ),
        status,
    )


def _remove(scope, membership_id: int, page_url: str):
    """Asked first, on a page of its own (no JavaScript needed), which says when the person is the
    last to hold the role there; removed once confirmed."""
    membership = found_or_404(services.staff_membership(scope, membership_id))
    if request.form.get("confirm") != "y":
        return render_template(
            "accounts/remove_staff.html",
            scope=scope,
            membership=membership,
            page_url=page_url,
            last_one=services.others_in_role(membership) == 0,
        )
    said = _staff_words(membership, "no longer")  # before: the membership is gone afterwards
    return changed_then_back(page_url, lambda: services.remove_staff(current_user, membership), lambda: said)


def _resend(scope, invitation_id: int, page_url: str):
    invitation = found_or_404(services.staff_invitation_of(scope, invitation_id))
    return changed_then_back(
        page_url,
        lambda: services.resend_staff_invitation(current_user, invitation, language=current_language()),
        lambda: services.resent_words(invitation),
    )


def _withdraw(scope, invitation_id: int, page_url: str):
    invitation = found_or_404(services.staff_invitation_of(scope, invitation_id))
    return changed_then_back(
        page_url,
        lambda: services.withdraw_staff_invitation(current_user, invitation),
        lambda: services.withdrawn_words(invitation),
    )


def _appointment_words(appointed: services.Appointment) -> str:
    if appointed.membership is not None:
        return _staff_words(appointed.membership, "now" if appointed.new else "already")
    return services.invitation_words(appointed)


def _staff_words(membership, when: str) -> str:
    words = {
        Role.SCHOOL_ADMIN: {
            "now": _("%(name)s is now an administrator of this school."),
            "already": _("%(name)s is already an administrator of this school."),
            "no longer": _("%(name)s is no longer an administrator of this school."),
        },
        Role.BOARD_MEMBER: {
            "now": _("%(name)s is now a board member of this school."),
            "already": _("%(name)s is already a board member of this school."),
            "no longer": _("%(name)s is no longer a board member of this school."),
        },
        Role.COMMISSION_ADMIN: {
            "now": _("%(name)s is now a commission administrator here."),
            "already": _("%(name)s is already a commission administrator here."),
            "no longer": _("%(name)s is no longer a commission administrator here."),
        },
        Role.MODERATOR: {
            "now": _("%(name)s is now a moderator here."),
            "already": _("%(name)s is already a moderator here."),
            "no longer": _("%(name)s is no longer a moderator here."),
        },
    }
    return words[membership.role][when] % {"name": membership.user.display_name}
