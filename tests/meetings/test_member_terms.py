"""Terms of membership: a person who sits on a body reads its draft minutes only while their term
runs. On the day the term ends they still serve; the day after they are a former member, a member
of the public again; before the term starts they are not yet a member. The clock is fixed."""

from datetime import UTC, date, datetime, time, timedelta

import pytest

from portal import clock, policy
from portal.meetings.models import BodyKind, Constituency, Position

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


# --- a board member (the staff role) whose seat on the body has a term -----------------------

DAYS_AROUND_THE_END = [
    pytest.param(TERM_END + timedelta(days=1), False, id="the term ended yesterday"),
    pytest.param(TERM_END, True, id="the term ends today"),
    pytest.param(TERM_END - timedelta(days=1), True, id="the term ends tomorrow"),
]


@pytest.fixture
def board_member_with_a_seat(board, board_member, make_member):
    """A person holding the board-member role at the school, their account linked to a seat on the
    board whose term ends on TERM_END."""
    make_member(
        board,
        "校务委员 刘洋",
        Position.MEMBER,
        Constituency.TEACHER,
        term_start=date(2024, 9, 1),
        term_end=TERM_END,
        account_email=board_member.email,
    )
    return board_member


@pytest.mark.parametrize("day, serving", DAYS_AROUND_THE_END)
def test_board_member_reads_draft_minutes_only_while_their_seat_term_runs(
    client, past_meeting, board_member_with_a_seat, login_as, on_day, day, serving
):
    on_day(day)
    login_as(board_member_with_a_seat)

    page = client.get(f"/meetings/{past_meeting.id}", headers=ENGLISH).get_data(as_text=True)

    if serving:
        assert DRAFT_NOTICE in page and "原则通过" in page
    else:
        assert NOT_YET_APPROVED in page and "原则通过" not in page


@pytest.mark.parametrize("day, serving", DAYS_AROUND_THE_END)
def test_board_member_keeps_meetings_and_decisions_only_while_their_seat_term_runs(
    client, school, past_meeting, board_member_with_a_seat, login_as, on_day, day, serving
):
    """A former member is refused (403: the school's management area exists, it is not theirs
    any more) the meetings, a meeting's record and its draft minutes, and the board's decisions."""
    on_day(day)
    login_as(board_member_with_a_seat)
    expected = 200 if serving else 403

    assert client.get(f"/schools/{school.slug}/manage/meetings").status_code == expected
    assert client.get(f"/schools/{school.slug}/manage/meetings/{past_meeting.id}").status_code == expected
    assert client.get(f"/schools/{school.slug}/manage/decisions").status_code == expected
    saved = client.post(
        f"/schools/{school.slug}/manage/meetings/{past_meeting.id}/minutes",
        data={"minutes": "改写的纪要"},
        headers=ENGLISH,
    )
    assert saved.status_code == (303 if serving else 403)


def test_former_board_member_may_still_do_what_the_public_does(
    client, school, past_meeting, board_member_with_a_seat, login_as, on_day
):
    """An ended term takes away the board's work, not the account: the meeting, the school's page
    and its suggestion box stay open to them as to any resident."""
    on_day(TERM_END + timedelta(days=1))
    login_as(board_member_with_a_seat)

    assert client.get(f"/meetings/{past_meeting.id}").status_code == 200
    assert client.get(f"/schools/{school.slug}").status_code == 200
    assert client.get(f"/schools/{school.slug}/feedback").status_code == 200


def test_board_member_sitting_only_on_another_body_does_not_keep_this_bodys_records(
    client, school, past_meeting, board_member, make_body, make_member, login_as, on_day
):
    committee = make_body(school, name="家长委员会", kind=BodyKind.PARENTS_COMMITTEE)
    make_member(committee, "校务委员 刘洋", term_end=None, account_email=board_member.email)
    on_day(date(2026, 3, 10))
    login_as(board_member)

    page = client.get(f"/meetings/{past_meeting.id}", headers=ENGLISH).get_data(as_text=True)
    assert NOT_YET_APPROVED in page and "原则通过" not in page
    # The school's meetings are theirs to see (they sit on one body); this body's record is not.
    assert client.get(f"/schools/{school.slug}/manage/meetings").status_code == 200
    assert client.get(f"/schools/{school.slug}/manage/meetings/{past_meeting.id}").status_code == 403
    form = client.get(f"/schools/{school.slug}/manage/meetings/new").get_data(as_text=True)
    assert "家长委员会" in form and "校务委员会" not in form.split('name="body_id"', 1)[1].split("</select>", 1)[0]


def test_school_admin_keeps_the_records_whatever_the_terms(
    client, school, past_meeting, school_admin, login_as, on_day
):
    """A school admin's role is not tied to a seat: no term ends it."""
    on_day(date(2040, 1, 1))
    login_as(school_admin)

    page = client.get(f"/meetings/{past_meeting.id}", headers=ENGLISH).get_data(as_text=True)

    assert DRAFT_NOTICE in page
    assert client.get(f"/schools/{school.slug}/manage/meetings/{past_meeting.id}").status_code == 200


def test_board_member_with_no_seat_on_record_keeps_the_role_until_it_is_ended(
    client, school, past_meeting, board_member, login_as, on_day
):
    """The term lives on the seat: a role given without a linked seat has no term to end (the
    school admin ends the role itself)."""
    on_day(date(2040, 1, 1))
    login_as(board_member)

    assert DRAFT_NOTICE in client.get(f"/meetings/{past_meeting.id}", headers=ENGLISH).get_data(as_text=True)
