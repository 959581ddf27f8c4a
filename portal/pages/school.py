"""A school's page (/schools/<slug>): its profile, charter, bodies, meetings, decisions,
consultations and answered feedback, each from its own feature."""

from flask import abort, render_template
from flask_login import current_user

from portal import clock, policy
from portal.charters import services as charter_services
from portal.clock import utcnow
from portal.consultations import lists as consultation_lists
from portal.decisions import services as decision_services
from portal.feedback import services as feedback_services
from portal.meetings import services as meeting_services
from portal.pages import bp
from portal.schools.services import MANAGEMENT_SECTIONS
from portal.web import extras, found_or_404


@bp.get("/schools/<slug>")
def school(slug):
    today = clock.today()  # Beijing's date: whose term has ended is decided in local time
    if not slug or len(slug) > 80:
        abort(404)
    school, charter, upcoming_charter = charter_services.school_with_charter(slug, today)  # one query
    found_or_404(school)
    upcoming, recent = meeting_services.meetings_for_school_page(school, utcnow())
    management = [endpoint for action, endpoint in MANAGEMENT_SECTIONS if policy.can(current_user, action, school)]
    return render_template(
        "pages/school.html",
        school=school,
        charter=charter,
        charter_summary=charter_services.charter_summary(charter) if charter else None,
        bodies=meeting_services.bodies_with_current_members(school, today),
        upcoming_meetings=upcoming,
        recent_meetings=recent,
        decisions=decision_services.latest_decisions(school),
        answered_feedback=feedback_services.recently_answered(school),
        open_consultations=consultation_lists.open_consultations(utcnow(), school=school),
        now=utcnow(),
        today=today,
        upcoming_charter=upcoming_charter,
        can_manage=bool(management),
        **extras("school", school),  # the follow button (notifications)
    )
