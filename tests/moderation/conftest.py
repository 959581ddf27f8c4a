"""Fixtures for moderation's tests: a second moderator of the district, an open consultation
with a pending and a published response, and a commission admin of any authority. (The
moderators of the district and of the other district are tests/conftest.py's.)"""

import pytest

from portal.consultations.models import Phase
from tests.helpers.consultations import create_consultation, respond, someone


@pytest.fixture
def second_moderator(make_user, district):
    return make_user(role="moderator", scope=district, display_name="第二审核员")


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


@pytest.fixture
def commission_admin_of(make_user, login_as):
    """Log in a commission admin of `authority` (a new account each time)."""

    def login(authority):
        return login_as(make_user(role="commission_admin", scope=authority))

    return login
