"""A school's page (/schools/<slug>): its profile, charter, bodies, meetings, decisions,
consultations and answered feedback, each from its own feature, and its responsible supervisors
with their public answers (loaded with the school and with the answered items: the page costs
six queries as a visitor sees it, whatever the data)."""

from flask import abort, render_template
from flask_login import current_user

from portal import clock, policy
from portal.accounts import services as account_services
from portal.charters import services as charter_services
from portal.clock import utcnow
from portal.consultations import lists as consultation_lists
from portal.decisions import services as decision_services
from portal.feedback import services as feedback_services
from portal.meetings import services as meeting_services
from portal.pages import bp
from portal.schools.services import MANAGEMENT_SECTIONS
from portal.supervision import services as supervision_services
from portal.web import extras, found_or_404, query_args


@bp.get("/schools/<slug>")
@query_args()
def school(slug):
    today = clock.today()  # Beijing's date: whose term has ended is decided in local time
    if not slug or len(slug) > 80:
        abort(404)
    school, charter, upcoming_charter = charter_services.school_with_charter(
        slug, today, load=(supervision_services.SUPERVISORS_LOADED,)
    )  # one query
    found_or_404(school)
    supervisors = supervision_services.supervisors_of(school)
    answered = feedback_services.recently_answered(school, load=(supervision_services.PUBLIC_ANSWERS_LOADED,))
    upcoming, recent = meeting_services.meetings_for_school_page(school, utcnow())
    viewer = current_user._get_current_object()  # asked nine times below: the user, not the proxy
    can_manage = any(policy.can(viewer, action, school) for action, _endpoint in MANAGEMENT_SECTIONS)
    return render_template(
        "pages/school.html",
        school=school,
        charter=charter,
        charter_summary=charter_services.charter_summary(charter) if charter else None,
        bodies=meeting_services.bodies_with_current_members(school, today),
        upcoming_meetings=upcoming,
        recent_meetings=recent,
        decisions=decision_services.latest_decisions(school),
        answered_feedback=answered,
        supervisors=supervisors,
        # Their names are public: a badge, from the memberships already loaded, tells them from a
        # resident who might share a name (staff names are refused at registration).
        supervisor_badges=account_services.badges_of_memberships(supervisors),
        supervisor_answers=supervision_services.public_answers(item.feedback for item in answered),
        open_consultations=consultation_lists.open_consultations(utcnow(), school=school),
        now=utcnow(),
        today=today,
        upcoming_charter=upcoming_charter,
        can_manage=can_manage,
        **extras("school", school),  # the follow button (notifications)
    )
