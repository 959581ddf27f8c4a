"""Access rows for the responsible supervisor. The matrix has no supervisor among its roles (the
supervisors' own access, and a supervisor of another school or district finding nothing, are in
tests/supervision/): here, nobody else opens the queue or a case (403; visitors log in); only the
sender asks for a review of their own item (others do not find it); a district's commission
admins (the city's above them) assign supervisors, another district's staff do not find the page."""

from datetime import timedelta

from sqlalchemy import select

from portal.accounts.models import Membership, Role, StaffInvitation, hash_link_token
from portal.clock import utcnow
from portal.extensions import db
from portal.feedback import services as feedback_services
from portal.supervision import services
from tests.access_rows import url_arguments, visitor_then
from tests.access_rows.disclosure import catalogue_admins
from tests.helpers import factories
from tests.helpers.feedback import token


def arguments(school, other_school):
    parent = db.session.scalar(
        select(Membership).where(Membership.school_id == school.id, Membership.role == Role.PARENT)
    ).user
    feedback = feedback_services.send_feedback(
        parent, school, {"category": "safety", "body": "校门口拥堵。", "private": False, "submission_token": token()}
    )
    feedback_services.reply_to_feedback(None, feedback, {"reply": "已处理。", "public": False, "mark_answered": True})
    supervisor = factories.user(role="supervisor", scope=school)
    case = services.request_review(parent, feedback, {"reason": "不满意"})
    membership = db.session.scalar(select(Membership).where(Membership.user_id == supervisor.id))
    invitation = StaffInvitation(
        email="invited-supervisor@example.org",
        role=Role.SUPERVISOR,
        school=school,
        token_hash=hash_link_token("access-matrix-supervisor"),
        expires_at=utcnow() + timedelta(days=14),
    )
    db.session.add(invitation)
    db.session.commit()
    return {
        **url_arguments("supervision.queue"),
        **url_arguments("supervision.case", case_id=case.id),
        **url_arguments("supervision.request_review", feedback_id=feedback.id),
        **url_arguments("supervision.supervisors", authority_id=school.authority_id),
        **url_arguments("supervision.remove_supervisor", authority_id=school.authority_id, membership_id=membership.id),
        **url_arguments(
            "supervision.resend_supervisor_invitation", authority_id=school.authority_id, invitation_id=invitation.id
        ),
        **url_arguments(
            "supervision.withdraw_supervisor_invitation", authority_id=school.authority_id, invitation_id=invitation.id
        ),
    }


def only_the_sender(status):
    return {**visitor_then(302, 404), "parent": status}


EXPECTED = {
    "supervision.queue": visitor_then(302, 403),
    "supervision.case": visitor_then(302, 403),
    "supervision.request_review": only_the_sender(422),
    "supervision.supervisors": catalogue_admins(200),
    "supervision.remove_supervisor": catalogue_admins(303),
    "supervision.resend_supervisor_invitation": catalogue_admins(303),
    "supervision.withdraw_supervisor_invitation": catalogue_admins(303),
}

EXPECTED_POST = {
    "supervision.case": visitor_then(302, 403),
    "supervision.supervisors": catalogue_admins(422),
}
