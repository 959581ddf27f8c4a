"""Arbitrary text in every field of every meetings form never makes the portal fail (no 5xx),
and nothing a refused form carried is saved. The hostile values are those of tests/test_forms_fuzz.py."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.accounts.models import User
from tests.helpers.fuzz import FUZZ, assert_no_server_error, encode, fields_of, hostile, hostile_text, post, referers
from tests.helpers.pages import log_in


@pytest.fixture
def ids(school, board, past_meeting, make_user):
    admin = make_user(role="school_admin", scope=school)
    return {
        "admin": admin.id,
        "body": board.id,
        "member": board.members[0].id if board.members else 1,
        "meeting": past_meeting.id,
        "item": past_meeting.agenda_items[0].id,
    }


def forms(school, ids):
    manage = f"/schools/{school.slug}/manage"
    meeting = f"{manage}/meetings/{ids['meeting']}"
    body = f"{manage}/bodies/{ids['body']}"
    member_fields = {
        "name": "陈志强",
        "position": "member",
        "constituency": "parent",
        "term_start": "2024-09-01",
        "term_end": "2027-08-31",
        "account_email": "",
    }
    meeting_fields = {
        "body_id": str(ids["body"]),
        "title": "会议",
        "day": "2026-12-15",
        "start_time": "15:30",
        "place": "会议室",
    }
    return {
        "new_body": (f"{manage}/bodies", {"kind": "school_board", "name": "校务委员会", "description": "说明"}),
        "edit_body": (body, {"kind": "other", "name": "委员会", "description": ""}),
        "new_member": (f"{body}/members/new", member_fields),
        "edit_member": (f"{body}/members/{ids['member']}", member_fields),
        "end_term": (f"{body}/members/{ids['member']}/end-term", {"last_day": "2026-01-31"}),
        "new_meeting": (f"{manage}/meetings/new", meeting_fields),
        "edit_meeting": (meeting, meeting_fields),
        "agenda": (f"{meeting}/agenda", {"item_title": "议程"}),
        "move": (f"{meeting}/agenda/move", {"item_id": str(ids["item"]), "direction": "up"}),
        "remove": (f"{meeting}/agenda/remove", {"item_id": "999999"}),
        "attendance": (f"{meeting}/attendance", {f"member-{ids['member']}": "present"}),
        "minutes": (f"{meeting}/minutes", {"minutes": "## 纪要"}),
    }


FORM_NAMES = [
    "new_body",
    "edit_body",
    "new_member",
    "edit_member",
    "end_term",
    "new_meeting",
    "edit_meeting",
    "agenda",
    "move",
    "remove",
    "attendance",
    "minutes",
]


@pytest.mark.parametrize("form", FORM_NAMES)
def test_school_admin_posting_anything_to_a_meetings_form_never_gets_a_server_error(app, db, school, ids, form):
    url, valid = forms(school, ids)[form]

    @FUZZ
    @given(fields=fields_of(valid), htmx=st.booleans(), referer=referers)
    def check(fields, htmx, referer):
        client = log_in(app.test_client(), db.session.get(User, ids["admin"]))
        response = post(client, url, fields, htmx, referer)
        assert_no_server_error(response, fields)

    check()


def test_anything_in_the_address_of_a_meetings_page_never_gets_a_server_error(app, db, school, ids):
    pages = [
        f"/schools/{school.slug}/meetings",
        f"/schools/{school.slug}/bodies/{ids['body']}",
        f"/meetings/{ids['meeting']}",
        f"/schools/{school.slug}/manage/meetings",
    ]

    @FUZZ
    @given(path=st.sampled_from(pages), query=hostile, former=hostile_text)
    def check(path, query, former):
        client = log_in(app.test_client(), db.session.get(User, ids["admin"]))
        response = client.get(f"{path}?page={encode(query).decode()}&former={encode(former).decode()}")
        assert response.status_code < 500

    check()
