"""Fixtures for consultations: a resident with no role (the other people are tests/conftest.py's),
and a factory that makes a consultation in any phase through the services (so it is audited and
tallied like a real one)."""

import pytest

from portal.consultations.models import Phase
from tests.helpers.consultations import QUESTIONS, create_consultation, respond


@pytest.fixture
def resident(make_user):
    """Someone with an account and no role anywhere."""
    return make_user(display_name="居民乙")


@pytest.fixture
def make_consultation(db, school):
    """make_consultation(phase=Phase.OPEN, **details) -> a consultation of `school` (or of
    `authority=`) in that phase: draft, submitted, scheduled, open, closed (by its dates), with
    the three QUESTIONS unless questions=[...] is given."""

    def make(phase=Phase.OPEN, *, school=school, authority=None, questions=QUESTIONS, **details):
        return create_consultation(school, phase, authority=authority, questions=questions, **details)

    return make


@pytest.fixture
def make_response(db):
    """make_response(consultation, author, stance="support", **fields) -> a response submitted
    through the service while the consultation is open (then published if publish=True)."""
    return respond
