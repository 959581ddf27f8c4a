"""A district's commission admins assign responsible supervisors to its schools, under
/authorities/<id>/manage/supervisors: a person's email address (their account's, or one an
invitation is mailed to, sent again or withdrawn from the same page), a school of the district,
and the public contact the school's page shows for them."""

from flask import abort, flash, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal import policy
from portal.accounts import services as account_services
from portal.accounts.models import Membership, Role
from portal.clock import utcnow
from portal.extensions import db
from portal.schools.models import Authority
from portal.supervision import bp, forms, services
from portal.web import changed_then_back, current_language, found_or_404, get_or_404, redirect_to


def _managed_authority(authority_id: int) -> Authority:
    authority = get_or_404(Authority, authority_id)
    # Another district does not exist for its staff (as its schools' management areas).
    if not policy.sees_authority(current_user, authority):
        abort(404)
    policy.require(current_user, "assign_supervisors", authority)
    return authority


@bp.route("/authorities/<int:authority_id>/manage/supervisors", methods=["GET", "POST"])
def supervisors(authority_id):
    authority = _managed_authority(authority_id)
    schools = services.schools_under(authority)
    form = forms.AssignForm(schools=schools, language=current_language())
    status = 200
    if form.is_submitted():
        status = 422
        if form.validate_on_submit():
            school = next(school for school in schools if str(school.id) == form.school.data)
            appointed = services.appoint_supervisor(current_user, school, form.data, language=current_language())
            db.session.commit()
            if appointed.membership is None:
                flash(account_services.invitation_words(appointed), "success" if appointed.new else "info")
            else:
                flash(
                    _(
                        "%(name)s is now a responsible supervisor of %(school)s.",
                        name=appointed.membership.user.display_name,
                        school=school.name(current_language()),
                    ),
                    "success",
                )
            return redirect_to(url_for(".supervisors", authority_id=authority.id))
    return (
        render_template(
            "supervision/supervisors.html",
            authority=authority,
            form=form,
            assignments=services.supervisors_under(authority),
            invitations=services.supervisor_invitations_under(authority),
            now=utcnow(),
        ),
        status,
    )


@bp.post("/authorities/<int:authority_id>/manage/supervisors/<int:membership_id>/remove")
def remove_supervisor(authority_id, membership_id):
    authority = _managed_authority(authority_id)
    membership = get_or_404(Membership, membership_id)
    if (
        membership.role != Role.SUPERVISOR
        or membership.school is None
        or not authority.covers(membership.school.authority)
    ):
        abort(404)
    services.unassign_supervisor(current_user, membership)
    db.session.commit()
    flash(_("The supervisor was removed from the school."), "success")
    return redirect_to(url_for(".supervisors", authority_id=authority.id))


@bp.post("/authorities/<int:authority_id>/manage/supervisors/invitations/<int:invitation_id>/resend")
def resend_supervisor_invitation(authority_id, invitation_id):
    authority = _managed_authority(authority_id)
    invitation = found_or_404(services.supervisor_invitation_under(authority, invitation_id))
    return changed_then_back(
        url_for(".supervisors", authority_id=authority.id),
        lambda: account_services.resend_staff_invitation(current_user, invitation, language=current_language()),
        lambda: account_services.resent_words(invitation),
    )


@bp.post("/authorities/<int:authority_id>/manage/supervisors/invitations/<int:invitation_id>/withdraw")
def withdraw_supervisor_invitation(authority_id, invitation_id):
    authority = _managed_authority(authority_id)
    invitation = found_or_404(services.supervisor_invitation_under(authority, invitation_id))
    return changed_then_back(
        url_for(".supervisors", authority_id=authority.id),
        lambda: account_services.withdraw_staff_invitation(current_user, invitation),
        lambda: account_services.withdrawn_words(invitation),
    )
