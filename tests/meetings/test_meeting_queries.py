"""Pages and the school page's helpers keep to a fixed number of queries, however many members
and meetings a school has: a busy school must not make its pages slow."""

from datetime import date, timedelta

import pytest

from portal.clock import utcnow
from portal.meetings import services
from portal.meetings.models import BodyMember, Constituency, Meeting, Position

MEMBERS, MEETINGS = 50, 100


@pytest.fixture
def busy_school(db, school, board):
    """The board with 50 more members (10 of them former) and 100 meetings, half of them past."""
    for n in range(MEMBERS):
        db.session.add(
            BodyMember(
                body=board,
                name=f"委员{n:02d}",
                position=Position.MEMBER,
                constituency=Constituency.PARENT,
                term_start=date(2024, 9, 1),
                term_end=date(2025, 8, 31) if n < 10 else date(2027, 8, 31),
            )
        )
    now = utcnow()
    for n in range(MEETINGS):
        db.session.add(
            Meeting(
                body=board,
                school=school,
                title=f"会议{n:03d}",
                starts_at=now + timedelta(days=n - MEETINGS // 2, hours=1),
                place="会议室",
            )
        )
    db.session.commit()
    db.session.remove()
    return school


def test_bodies_with_current_members_takes_two_queries(db, busy_school, board, count_queries):
    statements = count_queries()

    bodies = services.bodies_with_current_members(busy_school, date.today())

    assert len(statements) <= 2
    ((body, members),) = bodies
    assert body.id == board.id
    assert len(members) == 3 + MEMBERS - 10
    assert members[0].position == Position.CHAIR
    for member in members:  # nothing more is loaded while a page shows them
        assert member.name and member.position.label and member.term_start
    assert len(statements) <= 2


def test_meetings_for_school_page_takes_two_queries(db, busy_school, count_queries):
    now = utcnow()
    statements = count_queries()

    upcoming, recent = services.meetings_for_school_page(busy_school, now)

    assert [m.title for m in upcoming] == ["会议050", "会议051", "会议052"]
    assert [m.title for m in recent] == ["会议049", "会议048", "会议047"]
    for meeting in upcoming + recent:
        assert meeting.body.name == "校务委员会"
    assert len(statements) <= 2


def test_meetings_for_school_page_of_a_school_without_meetings(db, school):
    assert services.meetings_for_school_page(school, utcnow()) == ([], [])
    assert services.bodies_with_current_members(school, date.today()) == []


def test_school_meetings_page_keeps_to_a_fixed_number_of_queries(client, busy_school, count_queries):
    statements = count_queries()

    response = client.get(f"/schools/{busy_school.slug}/meetings")

    assert response.status_code == 200
    assert response.get_data(as_text=True).count('class="meeting-card"') == 50 + 20
    assert len(statements) <= 6, statements


def test_body_page_keeps_to_a_fixed_number_of_queries(client, busy_school, board, count_queries):
    statements = count_queries()

    response = client.get(f"/schools/{busy_school.slug}/bodies/{board.id}?former=1")

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert page.count('class="member-card"') == (3 + MEMBERS - 10) + 11  # current ones, then the former
    assert len(statements) <= 8, statements


def test_meeting_page_keeps_to_a_fixed_number_of_queries(client, db, busy_school, board, count_queries):
    meeting = db.session.query(Meeting).filter_by(title="会议010").one()
    services.record_attendance(None, meeting, {m.id: True for m in services.members_for_meeting(meeting)})
    db.session.commit()
    db.session.remove()
    statements = count_queries()

    response = client.get(f"/meetings/{meeting.id}")

    assert response.status_code == 200
    assert len(statements) <= 6, statements


def test_calendar_feed_keeps_to_a_fixed_number_of_queries(client, busy_school, count_queries):
    statements = count_queries()

    response = client.get(f"/schools/{busy_school.slug}/meetings.ics")

    assert response.get_data(as_text=True).count("BEGIN:VEVENT") == MEETINGS
    assert len(statements) <= 4, statements
