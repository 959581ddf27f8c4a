"""/oversight gains the disclosure completeness (the same figure as /disclosure), and per district
and per school the feedback escalated to the supervisor, the review requests, what still waits
for the supervisor and how long the supervisors take to answer."""

import re
from datetime import timedelta

import pytest

from portal.clock import utcnow
from portal.extensions import db
from portal.supervision import services
from tests.helpers.clock import beijing, freeze
from tests.helpers.pages import ENGLISH


@pytest.fixture(autouse=True)
def frozen(monkeypatch):
    freeze(monkeypatch, beijing(2026, 12, 3, 10))


@pytest.fixture
def cases(send, parent, school, supervisor, with_app):
    """One escalation still open, one review answered two days after it was asked for."""
    now = utcnow()
    send(parent, school, at=now - timedelta(days=40))
    answered = send(parent, school, answered=True, at=now - timedelta(days=10))
    with with_app():
        services.escalate_unanswered(now.date(), 15, now=now)
        review = services.request_review(parent, answered, {"reason": "不满意"}, now=now - timedelta(days=3))
        services.answer_case(supervisor, review, {"answer": "已督促。"}, today=now.date(), now=now - timedelta(days=1))
        db.session.commit()


def row(page, level, ident):
    match = re.search(rf'<tr id="transparency-{level}-{ident}">(.*?)</tr>', page, re.S)
    assert match, (level, ident)
    return [
        re.sub(r"<[^>]+>|\s+", " ", cell).strip()
        for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", match.group(1), re.S)
    ]


def test_the_districts_moderator_sees_escalations_reviews_and_answer_times(
    client, login_as, moderator, district, school, cases
):
    login_as(moderator)

    page = client.get(f"/oversight?district={district.id}", headers=ENGLISH).text

    # completeness (no catalogue here: none), overdue, escalated, reviews, waiting, median time to answer
    assert row(page, "school", school.id)[1:] == ["—", "0", "1", "1", "1", "2.0 days"]
    assert row(page, "district", district.id)[3:5] == ["1", "1"]
    assert 'id="oversight-disclosure-completeness"' in page


def test_another_districts_moderator_sees_none_of_it(client, login_as, other_moderator, district, school, cases):
    login_as(other_moderator)

    page = client.get("/oversight", headers=ENGLISH).text

    assert f'id="transparency-school-{school.id}"' not in page
    assert f'id="transparency-district-{district.id}"' not in page
