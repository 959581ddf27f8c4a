"""Arbitrary text in every field of the suggestion box's forms and addresses never makes the
portal fail (no 5xx). The hostile values are those of tests/test_forms_fuzz.py."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.accounts.models import User
from portal.feedback import services
from tests.helpers.feedback import token
from tests.helpers.fuzz import FUZZ, assert_no_server_error, encode, fields_of, hostile, post, referers
from tests.helpers.pages import log_in


@pytest.fixture
def ids(db, school, parent, board_member):
    feedback = services.send_feedback(
        parent, school, {"category": "canteen", "body": "食堂", "private": False, "submission_token": token()}
    )
    db.session.commit()
    return {"parent": parent.id, "board": board_member.id, "feedback": feedback.id}


def forms(school, ids):
    item = f"/schools/{school.slug}/manage/feedback/{ids['feedback']}"
    return {
        "send": (
            f"/schools/{school.slug}/feedback",
            "parent",
            {"category": "fees", "body": "收费", "private": "y", "submission_token": token()},
        ),
        "reply": (f"{item}/reply", "board", {"reply": "答复", "visibility": "public", "mark_answered": "y"}),
        "status": (f"{item}/status", "board", {"status": "in_progress", "current": "received"}),
    }


@pytest.mark.parametrize("form", ["send", "reply", "status"])
def test_posting_anything_to_a_feedback_form_never_gets_a_server_error(app, db, school, ids, form):
    url, who, valid = forms(school, ids)[form]

    @FUZZ
    @given(fields=fields_of(valid), htmx=st.booleans(), referer=referers)
    def check(fields, htmx, referer):
        client = log_in(app.test_client(), db.session.get(User, ids[who]))
        response = post(client, url, fields, htmx, referer)
        assert_no_server_error(response, fields)

    check()


def test_anything_in_the_address_of_a_feedback_page_never_gets_a_server_error(app, db, school, ids):
    pages = [("parent", "/me/feedback"), ("board", f"/schools/{school.slug}/manage/feedback")]

    @FUZZ
    @given(page=st.sampled_from(pages), status=hostile, category=hostile, number=hostile)
    def check(page, status, category, number):
        who, path = page
        client = log_in(app.test_client(), db.session.get(User, ids[who]))
        response = client.get(
            f"{path}?status={encode(status).decode()}&category={encode(category).decode()}&page={encode(number).decode()}"
        )
        assert response.status_code < 500

    check()
