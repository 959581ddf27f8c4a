"""A school's management area: its front door (the sections the person may open), the school's
profile, and adding a school (commission admins)."""

from flask import flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal import policy
from portal.clock import utcnow
from portal.domain import DomainError
from portal.extensions import db
from portal.schools import bp, forms, services
from portal.web import current_language, managed_school, redirect_to, school_or_404

# The lists whose waiting items the management home counts, and the action that opens each.
WORK_SECTIONS = {"feedback": "manage_feedback", "decisions": "manage_decisions", "consultations": "manage_school"}


@bp.get("/schools/<slug>/manage")
def manage(slug):
    school = school_or_404(slug)
    sections = [
        endpoint for action, endpoint in services.MANAGEMENT_SECTIONS if policy.can(current_user, action, school)
    ]
    if not sections:
        policy.require(current_user, "manage_school", school)  # 404 or 403, as for every management page
    # What waits here, counted only for the lists the person may open (a commission admin who edits
    # the profile does not work the inbox); gathered where /me gathers it (services.WAITING_COUNTERS).
    waiting = {name for name, action in WORK_SECTIONS.items() if policy.can(current_user, action, school)}
    work = services.waiting_in_school(current_user, school, utcnow(), waiting) if waiting else []
    return render_template("schools/manage.html", school=school, sections=sections, work=work)


@bp.route("/schools/<slug>/manage/profile", methods=["GET", "POST"])
def edit_profile(slug):
    school = managed_school(slug, "edit_school_profile")
    form = forms.SchoolProfileForm(obj=school if request.method == "GET" else None)
    if form.validate_on_submit():
        data = {field: form[field].data for field in services.PROFILE_FIELDS}
        changes = services.update_school_profile(current_user, school, data)
        db.session.commit()
        flash(_("The school's profile is saved.") if changes else _("Nothing was changed."), "success")
        return redirect_to(url_for("pages.school", slug=school.slug))
    return render_template("schools/edit_profile.html", school=school, form=form), 422 if form.is_submitted() else 200


@bp.route("/schools/new", methods=["GET", "POST"])
def new():
    policy.require(current_user, "add_schools")
    authorities = services.authorities_under(policy.administered_authorities(current_user))
    form = forms.NewSchoolForm()
    form.authority_id.choices = [(a.id, a.name(current_language())) for a in authorities]
    if form.validate_on_submit():
        authority = next((a for a in authorities if a.id == form.authority_id.data), None)
        if authority is None:
            form.authority_id.errors.append(_("Please choose a district."))
        else:
            policy.require(current_user, "create_school", authority)
            data = {field: form[field].data for field in services.PROFILE_FIELDS}
            try:
                school = services.create_school(current_user, authority, slug=form.slug.data, **data)
            except DomainError as error:
                form[error.field].errors.append(error.message)
            else:
                db.session.commit()
                flash(_("The school is added."), "success")
                return redirect_to(url_for("pages.school", slug=school.slug))
    return render_template("schools/new.html", form=form), 422 if form.is_submitted() else 200
