"""Terms of membership: a person who sits on a body reads its draft minutes only while their term
runs. On the day the term ends they still serve; the day after they are a former member, a member
of the public again; before the term starts they are not yet a member. The clock is fixed."""

from datetime import UTC, date, datetime, time, timedelta

import pytest

from portal import clock, policy
from portal.meetings.models import Constituency, Position

TERM_END = date(2026, 8, 31)
DRAFT_NOTICE = "Draft minutes, not yet approved."
NOT_YET_APPROVED = "The minutes of this meeting are not yet approved."
ENGLISH = {"Accept-Language": "en"}


def at_noon_in_chongqing(day: date) -> datetime:
    return datetime.combine(day, time(12, 0), tzinfo=clock.school_timezone()).astimezone(UTC)


@pytest.fixture
def on_day(app, monkeypatch):
    """on_day(d): the portal's clock reads noon of `d` in Chongqing from now on."""

    def set_day(day: date):
        monkeypatch.setattr(clock, "utcnow", lambda: at_noon_in_chongqing(day))

    return set_day


@pytest.fixture
def parent_on_the_board(board, parent, make_member):
    """A parent representative whose account is linked to the seat; the term ends on TERM_END."""
    make_member(
        board,
        "家长代表",
        Position.MEMBER,
        Constituency.PARENT,
        term_start=date(2024, 9, 1),
        term_end=TERM_END,
        account_email=parent.email,
    )
    return parent


@pytest.mark.parametrize(
    "day, reads",
    [
        (TERM_END - timedelta(days=1), True),
        (TERM_END, True),
        (TERM_END + timedelta(days=1), False),
    ],
    ids=["the day before the term ends", "the last day of the term", "the day after the term ended"],
)
def test_board_member_reads_draft_minutes_only_while_the_term_runs(
    client, past_meeting, parent_on_the_board, login_as, on_day, day, reads
):
    on_day(day)
    login_as(parent_on_the_board)

    page = client.get(f"/meetings/{past_meeting.id}", headers=ENGLISH).get_data(as_text=True)

    if reads:
        assert DRAFT_NOTICE in page and "原则通过" in page
    else:
        assert NOT_YET_APPROVED in page and "原则通过" not in page


def test_member_whose_term_has_not_started_does_not_read_draft_minutes(
    client, board, past_meeting, parent, make_member, login_as, on_day
):
    make_member(
        board,
        "新任家长代表",
        Position.MEMBER,
        Constituency.PARENT,
        term_start=date(2026, 9, 1),
        account_email=parent.email,
    )
    on_day(date(2026, 8, 31))
    login_as(parent)

    page = client.get(f"/meetings/{past_meeting.id}", headers=ENGLISH).get_data(as_text=True)

    assert NOT_YET_APPROVED in page and "原则通过" not in page


def test_former_member_who_is_reappointed_reads_again(
    client, board, past_meeting, parent, make_member, login_as, on_day
):
    make_member(
        board,
        "家长代表",
        Position.MEMBER,
        Constituency.PARENT,
        term_start=date(2023, 9, 1),
        term_end=date(2024, 8, 31),
        account_email=parent.email,
    )
    make_member(
        board, "家长代表", Position.MEMBER, Constituency.PARENT, term_start=date(2026, 9, 1), account_email=parent.email
    )
    login_as(parent)

    on_day(date(2025, 3, 1))
    assert "原则通过" not in client.get(f"/meetings/{past_meeting.id}").get_data(as_text=True)
    on_day(date(2026, 9, 1))
    assert "原则通过" in client.get(f"/meetings/{past_meeting.id}").get_data(as_text=True)


@pytest.mark.parametrize(
    "day, serving",
    [(TERM_END - timedelta(days=1), True), (TERM_END, True), (TERM_END + timedelta(days=1), False)],
)
def test_policy_counts_a_seat_only_within_its_term(app, board, parent_on_the_board, day, serving):
    with app.test_request_context():
        assert policy.is_serving_member(parent_on_the_board, board, day) is serving


def test_open_ended_term_keeps_the_member_serving(app, board, parent, make_member):
    make_member(board, "家长代表", term_start=date(2024, 9, 1), term_end=None, account_email=parent.email)
    with app.test_request_context():
        assert policy.is_serving_member(parent, board, date(2040, 1, 1))
