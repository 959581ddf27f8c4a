"""The school directory, a school's public page, and its management area's front door."""

from flask import flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal import clock, policy
from portal.charters import services as charter_services
from portal.clock import utcnow
from portal.consultations import services as consultation_services
from portal.decisions import services as decision_services
from portal.extensions import db
from portal.feedback import services as feedback_services
from portal.meetings import services as meeting_services
from portal.schools import bp, forms, services
from portal.schools.models import SCHOOL_TYPE_LABELS
from portal.web import int_arg, is_htmx, managed_school, page_arg, redirect_to, school_or_404

# The management area's sections, each with the action that opens it (see portal/policy.py).
MANAGEMENT_SECTIONS = [
    ("edit_school_profile", "schools.edit_profile"),
    ("manage_charter", "charters.manage"),
    ("manage_bodies", "meetings.manage_bodies"),
    ("manage_meetings", "meetings.manage_meetings"),
    ("manage_decisions", "decisions.manage"),
    ("manage_school", "consultations.manage"),  # admins draft; board members write outcomes
    ("manage_feedback", "feedback.inbox"),
    ("manage_invitations", "accounts.invitations"),
]


@bp.get("/schools")
def index():
    page = page_arg()
    filters = {
        "q": request.args.get("q", "")[:100],
        "district": int_arg("district"),
        "type": request.args.get("type", "")
        if request.args.get("type") in {t.value for t in SCHOOL_TYPE_LABELS}
        else "",
    }
    results = services.search_schools(
        query=filters["q"], authority_id=filters["district"], school_type=filters["type"] or None, page=page
    )
    context = {
        "results": results,
        "filters": filters,
        "filter_args": {key: value for key, value in filters.items() if value},
        "can_add_school": policy.can(current_user, "add_schools"),
        "districts": services.districts_for_filter(),
        "school_types": SCHOOL_TYPE_LABELS,
    }
    template = (
        "schools/_results.html"
        if is_htmx() and request.headers.get("HX-Target") == "school-results"
        else "schools/index.html"
    )
    return render_template(template, **context)


@bp.get("/schools/<slug>")
def show(slug):
    school = school_or_404(slug)
    today = clock.today()  # Beijing's date: whose term has ended is decided in local time
    charter = charter_services.current_version(school)
    upcoming, recent = meeting_services.meetings_for_school_page(school, utcnow())
    management = [endpoint for action, endpoint in MANAGEMENT_SECTIONS if policy.can(current_user, action, school)]
    return render_template(
        "schools/show.html",
        school=school,
        charter=charter,
        charter_summary=charter_services.charter_summary(charter) if charter else None,
        bodies=meeting_services.bodies_with_current_members(school, today),
        upcoming_meetings=upcoming,
        recent_meetings=recent,
        decisions=decision_services.latest_decisions(school),
        answered_feedback=feedback_services.recently_answered(school),
        open_consultations=consultation_services.open_consultations(utcnow(), school=school),
        now=utcnow(),
        can_manage=bool(management),
    )


@bp.get("/schools/<slug>/manage")
def manage(slug):
    school = school_or_404(slug)
    sections = [endpoint for action, endpoint in MANAGEMENT_SECTIONS if policy.can(current_user, action, school)]
    if not sections:
        policy.require(current_user, "manage_school", school)  # 404 or 403, as for every management page
    return render_template("schools/manage.html", school=school, sections=sections)


@bp.route("/schools/<slug>/manage/profile", methods=["GET", "POST"])
def edit_profile(slug):
    school = managed_school(slug, "edit_school_profile")
    form = forms.SchoolProfileForm(obj=school if request.method == "GET" else None)
    if form.validate_on_submit():
        data = {field: form[field].data for field in services.PROFILE_FIELDS}
        changes = services.update_school_profile(current_user, school, data)
        db.session.commit()
        flash(_("The school's profile is saved.") if changes else _("Nothing was changed."), "success")
        return redirect_to(url_for("schools.show", slug=school.slug))
    return render_template("schools/edit_profile.html", school=school, form=form), 422 if form.is_submitted() else 200


@bp.route("/schools/new", methods=["GET", "POST"])
def new():
    policy.require(current_user, "add_schools")
    authorities = services.authorities_for_new_school(current_user)
    form = forms.NewSchoolForm()
    form.authority_id.choices = [(a.id, a.name_zh) for a in authorities]
    if form.validate_on_submit():
        authority = next((a for a in authorities if a.id == form.authority_id.data), None)
        if authority is None:
            form.authority_id.errors.append(_("Please choose a district."))
        else:
            policy.require(current_user, "create_school", authority)
            data = {field: form[field].data for field in services.PROFILE_FIELDS}
            try:
                school = services.create_school(current_user, authority, slug=form.slug.data, **data)
            except services.SlugTaken:
                form.slug.errors.append(_("Another school already uses this web address name."))
            else:
                db.session.commit()
                flash(_("The school is added."), "success")
                return redirect_to(url_for("schools.show", slug=school.slug))
    return render_template("schools/new.html", form=form), 422 if form.is_submitted() else 200
