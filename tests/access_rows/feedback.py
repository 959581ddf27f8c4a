"""Access rows for the suggestion box. Anyone may read the form's page (a visitor is asked to log
in there); sending needs an account. /me/feedback is each person's own: the item the rows use
was sent by somebody else, so it is not found for anyone. The inbox and its changes are the
school's board members' and admins'; the moderators and commission above the school may read
an item, not answer it."""

from portal.accounts import services as account_services
from portal.extensions import db
from portal.feedback import services
from tests.access_rows import everyone, management, url_arguments, visitor_then


def arguments(school, other_school):
    sender = account_services.register_user(
        email="feedback-sender@example.org", display_name="反馈人", password="a long enough password", language=None
    )
    feedback = services.send_feedback(
        sender,
        school,
        {"category": "canteen", "body": "食堂的菜太辣了。", "private": False, "submission_token": "0" * 32},
    )
    db.session.commit()
    return {
        **url_arguments("feedback.new", "feedback.inbox", slug=school.slug),
        **url_arguments("feedback.mine"),
        **url_arguments("feedback.my_item", feedback_id=feedback.id),
        **url_arguments(
            "feedback.manage_item",
            "feedback.reply",
            "feedback.change_status",
            slug=school.slug,
            feedback_id=feedback.id,
        ),
    }


def answering(allowed_status):
    return management(allowed_status, board_member=True)


EXPECTED = {
    "feedback.new": everyone(200),  # visitors: what the box is, and a link to log in
    "feedback.mine": visitor_then(302, 200),
    "feedback.my_item": visitor_then(302, 404),  # somebody else's feedback
    "feedback.inbox": answering(200),
    "feedback.manage_item": {
        **answering(200),
        "moderator_same_district": 200,  # reads it; cannot reply or change its status
        "commission_admin": 200,
    },
    "feedback.reply": answering(422),  # nothing written
    "feedback.change_status": answering(422),  # no status chosen
}

EXPECTED_POST = {
    "feedback.new": visitor_then(302, 422),  # a visitor logs in first; an empty form has mistakes
}
