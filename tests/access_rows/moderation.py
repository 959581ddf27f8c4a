"""Access rows for moderation and oversight. The audit log and its export are the commission
admins' (each sees their own subtree: tests/moderation/test_audit_log_scope.py); moderators act on
content and do not read the log; everyone else with an account is refused, visitors log in."""

from portal.consultations.models import Phase
from tests.access_rows import ROLES, Action, url_arguments
from tests.access_rows.consultations import closed_with_a_published_response
from tests.helpers.consultations import create_consultation, respond, someone


def arguments(school, other_school):
    """The actions on one item act on a closed consultation of the school and its published response."""
    consultation, response = closed_with_a_published_response(school)
    return {
        **url_arguments(
            "oversight.audit",
            "oversight.audit_csv",
            "moderation.queue",
            "moderation.bulk_approve",
            "oversight.dashboard",
            "oversight.dashboard_csv",
        ),
        **url_arguments("moderation.act_on_consultation", consultation_id=consultation.id),
        **url_arguments(
            "moderation.act", "moderation.block_author", "moderation.unblock_author", response_id=response.id
        ),
        **url_arguments("moderation.hide_form", consultation_id=consultation.id, response_id=response.id),
    }


def commission_admins_only(allowed_status):
    return {role: allowed_status if role == "commission_admin" else 302 if role == "visitor" else 403 for role in ROLES}


def authority_staff_only(allowed_status):
    """The oversight dashboard: moderators and commission admins, each for their own subtree
    (tests/moderation/test_oversight_scope.py)."""
    allowed = {"moderator_same_district", "moderator_other_district", "commission_admin"}
    return {role: allowed_status if role in allowed else 302 if role == "visitor" else 403 for role in ROLES}


def moderators_anywhere(allowed_status):
    """The moderation queue: moderators and commission admins (each sees their own subtree:
    tests/moderation/test_queue_scope.py); everyone else with an account is refused."""
    allowed = {"moderator_same_district", "moderator_other_district", "commission_admin"}
    return {role: allowed_status if role in allowed else 302 if role == "visitor" else 403 for role in ROLES}


def moderators_of_the_item(allowed_status):
    """An action on one item (a consultation of the school, or a response to it): its moderators;
    staff of other schools and districts do not find it."""
    return {
        "visitor": 302,
        "parent": 403,
        "board_member": 403,
        "school_admin": 403,
        "school_admin_other_school": 404,
        "moderator_same_district": allowed_status,
        "moderator_other_district": 404,
        "commission_admin": allowed_status,
    }


EXPECTED = {
    "oversight.audit": commission_admins_only(200),
    "oversight.audit_csv": commission_admins_only(200),
    "moderation.queue": moderators_anywhere(200),
    "moderation.bulk_approve": moderators_anywhere(422),  # posted empty: nothing selected
    # Posted empty: the form is refused (422), nothing changed.
    "moderation.act": moderators_of_the_item(422),
    "moderation.act_on_consultation": moderators_of_the_item(422),
    "moderation.block_author": moderators_of_the_item(422),
    "moderation.unblock_author": moderators_of_the_item(409),  # the author is not blocked: nothing to lift
    # The form to hide a published response from its consultation's page (it posts to moderation.act).
    "moderation.hide_form": moderators_of_the_item(200),
    "oversight.dashboard": authority_staff_only(200),
    "oversight.dashboard_csv": authority_staff_only(200),
}

# What a consultation's page offers its moderators, taken for real: its part of the queue, approving
# it, and hiding a published response from the list (back to the page). Moderators of its district
# and the city's commission do it; staff elsewhere do not find it; everyone else is refused.
ACTIONS = {
    "a consultation's part of the queue": Action("moderation.queue", None, moderators_anywhere(200)),
    # Not approved yet, it does not exist for a parent (nor for staff elsewhere).
    "approve a submitted consultation": Action(
        "moderation.act_on_consultation", {"action": "approve"}, moderators_of_the_item(303) | {"parent": 404}
    ),
    "hide a published response from its consultation's page": Action(
        "moderation.act",
        {"action": "hide", "expected": "published", "reason": "off_topic"},
        moderators_of_the_item(303),
    ),
}


def action_arguments(school, other_school):
    submitted = create_consultation(school, Phase.SUBMITTED)
    open_one = create_consultation(school, Phase.OPEN, moderation="post")
    published = respond(open_one, someone(), "oppose", publish=True)
    return {
        "a consultation's part of the queue": {"consultation": submitted.id},
        "approve a submitted consultation": {"consultation_id": submitted.id, "consultation": submitted.id},
        "hide a published response from its consultation's page": {
            "response_id": published.id,
            "next": f"/consultations/{open_one.id}#responses",
        },
    }
