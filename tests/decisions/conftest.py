"""Fixtures for decisions: a school board with three members present at a past meeting, the
people who draft and publish, and factories for drafts and published decisions made through
the services (so they are numbered, rendered, signed, archived and audited like real ones)."""

from datetime import UTC, date, datetime

import pytest

from portal.decisions import services
from portal.meetings import services as meetings
from portal.meetings.models import BodyKind, Constituency, Position

MEETING_START = datetime(2026, 3, 2, 7, 30, tzinfo=UTC)  # 15:30 in Chongqing
BODY_TEXT = "为保障学生饮食安全，决定如下：\n\n1. 每学期组织家长代表陪餐检查不少于两次。\n2. 检查结果在校园网公示。"


def _board_with_meeting(db, school, present=3):
    body = meetings.create_body(None, school, {"kind": BodyKind.SCHOOL_BOARD, "name": "校务委员会", "description": ""})
    members = [
        meetings.add_member(
            None,
            body,
            {
                "name": name,
                "position": Position.MEMBER,
                "constituency": Constituency.TEACHER,
                "term_start": date(2024, 9, 1),
                "term_end": date(2027, 8, 31),
                "account_email": None,
            },
        )
        for name in ("周建华", "李秀英", "王国平", "赵雪梅")
    ]
    meeting = meetings.create_meeting(
        None,
        school,
        {"body_id": body.id, "title": "2026年第一次校务委员会会议", "starts_at": MEETING_START, "place": "三楼会议室"},
    )
    meetings.record_attendance(None, meeting, {member.id: index < present for index, member in enumerate(members)})
    db.session.commit()
    return meeting


@pytest.fixture
def decision_meeting(db, school):
    """A past board meeting of `school` with 3 of its 4 members present."""
    return _board_with_meeting(db, school)


@pytest.fixture
def other_school_meeting(db, other_school):
    return _board_with_meeting(db, other_school)


def draft_data(meeting=None, **fields) -> dict:
    data = {
        "title": "关于加强学校食堂管理的决定",
        "body": BODY_TEXT,
        "meeting_id": meeting.id if meeting is not None else None,
        "votes_for": 3,
        "votes_against": 0,
        "votes_abstain": 0,
        "effective_on": None,
    }
    data.update(fields)
    return data


@pytest.fixture
def make_draft(db, school, decision_meeting):
    def make(school=school, meeting=decision_meeting, actor=None, **fields):
        decision = services.create_draft(actor, school, draft_data(meeting, **fields))
        db.session.commit()
        return decision

    return make


@pytest.fixture
def make_published(db, app, make_draft):
    """A published decision (rendered, signed, archived): about 0.3 s each."""

    def make(actor=None, now=None, **fields):
        decision = make_draft(actor=actor, **fields)
        with app.app_context():  # rendering reads the app's templates; the teardown would roll back
            services.publish_decision(actor, decision, now=now)
            db.session.commit()
        return decision

    return make


@pytest.fixture
def add_published(db, school):
    """A published decision written straight into the database (tests/helpers/decisions.py):
    milliseconds instead of a real publication's 0.3 s, for lists, filters, feeds and counts."""
    from tests.helpers.decisions import insert_published

    def add(school=school, **fields):
        return insert_published(school, **fields)

    return add
