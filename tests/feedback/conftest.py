"""Fixtures for the suggestion box: a second parent of the school (the others are
tests/conftest.py's), and items sent through the services (so they are numbered, timed and
audited like real ones)."""

import pytest

from portal.feedback import services
from portal.feedback.models import FeedbackStatus
from tests.helpers.feedback import token


@pytest.fixture
def other_parent(make_user, school):
    return make_user(role="parent", scope=school, display_name="家长 李娜")


@pytest.fixture
def send(db):
    """send(author, school, status=..., private=..., at=...) -> an item, moved on to `status`
    by the school (with a reply when it is answered or closed)."""

    def make(
        author,
        school,
        *,
        status=FeedbackStatus.RECEIVED,
        private=False,
        category="canteen",
        body="食堂的午餐经常是凉的。",
        at=None,
        reply="已增加保温设备。",
        public_reply=True,
    ):
        feedback = services.send_feedback(
            author,
            school,
            {"category": category, "body": body, "private": private, "submission_token": token()},
            now=at,
        )
        if status == FeedbackStatus.IN_PROGRESS:
            services.change_feedback_status(None, feedback, FeedbackStatus.IN_PROGRESS)
        elif status in (FeedbackStatus.ANSWERED, FeedbackStatus.CLOSED):
            services.reply_to_feedback(None, feedback, {"reply": reply, "public": public_reply, "mark_answered": True})
            if status == FeedbackStatus.CLOSED:
                services.change_feedback_status(None, feedback, FeedbackStatus.CLOSED)
        db.session.commit()
        return feedback

    return make
