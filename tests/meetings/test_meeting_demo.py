"""The demo data: every school gets its school board, parents' committee and meetings."""

import pytest
from sqlalchemy import func, select

from portal import clock
from portal.audit import AuditEvent
from portal.clock import utcnow
from portal.meetings import services
from portal.meetings.demo import seed_meetings
from portal.meetings.models import BodyKind, GoverningBody, Meeting, Position


@pytest.fixture(autouse=True)
def _in_app(with_app):
    """The demo adopts charters and approves minutes, which renders and signs their PDFs."""
    with with_app():
        yield


def test_demo_gives_a_school_its_bodies_members_and_meetings(db, school):
    seed_meetings(school)
    db.session.commit()

    today = clock.today()
    bodies = dict((body.kind, (body, members)) for body, members in services.bodies_with_current_members(school, today))
    board, board_members = bodies[BodyKind.SCHOOL_BOARD]
    committee, committee_members = bodies[BodyKind.PARENTS_COMMITTEE]
    assert (board.name, committee.name) == ("校务委员会", "家长委员会")
    assert 7 <= len(board_members) <= 9 and 5 <= len(committee_members) <= 7
    assert board_members[0].position == Position.CHAIR and board_members[0].constituency.value == "principal"
    assert {m.constituency.value for m in board_members} >= {"principal", "teacher", "parent", "community"}
    assert len(services.former_members(board, today)) == 1

    upcoming, recent = services.meetings_for_school_page(school, utcnow())
    assert len(upcoming) == 1 and len(recent) == 2
    assert 10 <= (upcoming[0].starts_at - utcnow()).days <= 14
    for meeting in recent:
        assert meeting.minutes_approved and "表决结果" in meeting.minutes
        assert len(meeting.agenda_items) == 3 and meeting.attendance
    titles = {item.title for meeting in recent for item in meeting.agenda_items}
    assert {"审议2026学年度工作计划", "食堂膳食管理情况通报", "校服采购方案征求意见"} <= titles


def test_demo_changes_are_audited_as_done_by_the_system(db, school):
    seed_meetings(school)
    db.session.commit()

    actions = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.school_id == school.id, AuditEvent.actor_id.is_(None))
    ).all()
    for action in (
        "body.create",
        "member.add",
        "meeting.create",
        "meeting.agenda",
        "meeting.attendance",
        "meeting.minutes_edit",
        "meeting.minutes_approve",
    ):
        assert action in actions


def test_demo_is_seeded_once(db, school):
    seed_meetings(school)
    seed_meetings(school)
    db.session.commit()

    assert db.session.scalar(select(func.count()).select_from(GoverningBody)) == 2
    assert db.session.scalar(select(func.count()).select_from(Meeting)) == 3


def test_demo_names_differ_between_schools(db, school, other_school):
    seed_meetings(school)
    seed_meetings(other_school)
    db.session.commit()

    def chair(s):
        ((_body, members), _committee) = services.bodies_with_current_members(s, clock.today())
        return members[0].name

    assert chair(school) != chair(other_school)
