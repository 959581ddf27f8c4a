"""Fixtures for governing bodies and meetings: a school board with members, meetings made
through the services (so they are audited like real ones), and the people who use them."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import event

from portal.clock import utcnow
from portal.meetings import services
from portal.meetings.models import BodyKind, Constituency, Position

TERM_START, TERM_END = date(2024, 9, 1), date(2027, 8, 31)


@pytest.fixture(autouse=True)
def _pdfs_rendered_once(pdfs_rendered_once_per_run):
    """Adopting a charter or approving minutes renders a PDF; the same ones, test after test."""


@pytest.fixture
def make_body(db):
    def make(school, name="校务委员会", kind=BodyKind.SCHOOL_BOARD, description=""):
        body = services.create_body(None, school, {"kind": kind, "name": name, "description": description})
        db.session.commit()
        return body

    return make


@pytest.fixture
def make_member(db):
    def make(
        body,
        name="周建华",
        position=Position.MEMBER,
        constituency=Constituency.TEACHER,
        term_start=TERM_START,
        term_end=TERM_END,
        account_email=None,
    ):
        member = services.add_member(
            None,
            body,
            {
                "name": name,
                "position": position,
                "constituency": constituency,
                "term_start": term_start,
                "term_end": term_end,
                "account_email": account_email,
            },
        )
        db.session.commit()
        return member

    return make


@pytest.fixture
def board(make_body, make_member, school):
    """The school board: a chair (the principal), two members, and one former member."""
    body = make_body(school, description="学校重大事项的议事和决策机构。")
    make_member(body, "周建华", Position.CHAIR, Constituency.PRINCIPAL)
    make_member(body, "李秀英", Position.MEMBER, Constituency.TEACHER)
    make_member(body, "王国平", Position.MEMBER, Constituency.PARENT)
    make_member(body, "赵雪梅", Position.MEMBER, Constituency.PARENT, term_end=date(2025, 8, 31))
    return body


@pytest.fixture
def make_meeting(with_app, db):
    def make(
        school,
        body,
        title="校务委员会会议",
        starts_at=None,
        place="学校三楼会议室",
        agenda=(),
        minutes="",
        approved=False,
    ):
        with with_app():  # approving renders and signs the minutes' PDF
            meeting = services.create_meeting(
                None,
                school,
                {
                    "body_id": body.id,
                    "title": title,
                    "starts_at": starts_at or utcnow() - timedelta(days=7),
                    "place": place,
                },
            )
            for item in agenda:
                services.add_agenda_item(None, meeting, item)
            if minutes:
                services.edit_minutes(None, meeting, minutes)
            if approved:
                services.approve_minutes(None, meeting)
            db.session.commit()
        return meeting

    return make


@pytest.fixture
def past_meeting(make_meeting, school, board):
    """A board meeting on a known day (2026-03-02, 15:30 Beijing time) with a draft agenda."""
    return make_meeting(
        school,
        board,
        title="2026年第一次校务委员会会议",
        starts_at=datetime(2026, 3, 2, 7, 30, tzinfo=UTC),
        agenda=["审议2026学年度工作计划", "食堂膳食管理情况通报"],
        minutes="## 一、审议工作计划\n\n原则通过。表决结果：同意3票，反对0票，弃权0票。",
    )


@pytest.fixture
def count_queries(app, db):
    """count_queries() -> a list that collects every SQL statement run from now on."""
    with app.app_context():
        engine = db.engine

    def start():
        statements = []

        def record(conn, cursor, statement, parameters, context, executemany):
            # The savepoints are the test harness's (each test runs in a transaction), not the page's.
            if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
                statements.append(statement)

        event.listen(engine, "before_cursor_execute", record)
        listeners.append(record)
        return statements

    listeners = []
    yield start
    for record in listeners:
        event.remove(engine, "before_cursor_execute", record)
