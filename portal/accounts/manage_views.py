"""A school's invitation codes (/schools/<slug>/manage/invitations): its admins make codes that
verify parents, and see the codes' state. A new code is shown once; only its hash is kept."""

from flask import current_app, render_template, request, session, url_for
from flask_login import current_user

from portal.accounts import bp, forms, services
from portal.clock import utcnow
from portal.extensions import db
from portal.web import managed_school, redirect_to


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
