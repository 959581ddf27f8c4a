"""Fixtures for the responsible supervisor: supervisors of the school and of the other school,
and feedback sent (and answered) through the services."""

import pytest

from portal.extensions import db
from portal.feedback import services
from portal.feedback.models import FeedbackStatus
from tests.helpers.feedback import token
from tests.helpers.translations import compile_with_new_messages, use_catalogues


@pytest.fixture(scope="session")
def _catalogues(tmp_path_factory):
    return compile_with_new_messages(tmp_path_factory.mktemp("translations"))


@pytest.fixture
def chinese(app, _catalogues, monkeypatch):
    """Pages in Chinese, with the words this branch added (NEW_MESSAGES.json)."""
    use_catalogues(app, _catalogues, monkeypatch)


@pytest.fixture
def supervisor(make_user, school):
    user = make_user(role="supervisor", scope=school, display_name="责任督学 周敏")
    user.memberships[0].public_contact = "渝中区教育督导室 023-6388 0000"
    db.session.commit()
    return user


@pytest.fixture
def other_supervisor(make_user, other_school):
    return make_user(role="supervisor", scope=other_school, display_name="他区督学 吴刚")


@pytest.fixture
def send(db):
    """send(author, school, at=..., answered=..., private=...) -> an item, answered by the school if asked."""

    def make(author, school, *, at=None, answered=False, private=False, body="校门口接送秩序混乱，希望学校协调。"):
        feedback = services.send_feedback(
            author,
            school,
            {"category": "safety", "body": body, "private": private, "submission_token": token()},
            now=at,
        )
        if answered:
            services.reply_to_feedback(
                None, feedback, {"reply": "已与交警沟通。", "public": True, "mark_answered": True}
            )
        db.session.commit()
        return feedback

    return make


@pytest.fixture
def in_progress():
    return FeedbackStatus.IN_PROGRESS


@pytest.fixture
def run_job(app, db):
    """run_job(task, *args, **kwargs) runs one job now, as the worker would, keeping the test's
    objects usable afterwards; returns what it returned."""

    def run(task, *args, **kwargs):
        held = list(db.session.identity_map.values())
        with app.app_context():
            result = task.call_local(*args, **kwargs)
        for obj in held:
            db.session.add(obj)
        return result

    return run
