"""Fixtures for the moderation queue's tests (imported by each test_queue_*/test_blocks_*/
test_reports_* module: the moderation folder has no conftest of its own)."""

import pytest
from consultation_factories import create_consultation, respond, someone

from portal.consultations.models import Phase


@pytest.fixture
def moderator(make_user, district):
    return make_user(role="moderator", scope=district, display_name="区审核员")


@pytest.fixture
def second_moderator(make_user, district):
    return make_user(role="moderator", scope=district, display_name="第二审核员")


@pytest.fixture
def other_moderator(make_user, other_district):
    return make_user(role="moderator", scope=other_district, display_name="他区审核员")


@pytest.fixture
def open_consultation(db, school):
    return create_consultation(school, Phase.OPEN)


@pytest.fixture
def pending(open_consultation):
    """A response awaiting pre-moderation, by someone."""
    return respond(open_consultation, someone("作者甲"), body="希望延长到17:30。")


@pytest.fixture
def published(open_consultation):
    return respond(open_consultation, someone("作者乙"), body="已发布的意见。", publish=True)


__all__ = [
    "moderator",
    "second_moderator",
    "other_moderator",
    "open_consultation",
    "pending",
    "published",
    "create_consultation",
    "respond",
    "someone",
]
