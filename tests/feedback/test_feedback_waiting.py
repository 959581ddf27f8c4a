"""The inbox says how long each item still waiting has waited, in working days on the official
calendar, and marks in words the ones not answered within 15 working days; the overdue ones can
be listed alone, and each school's waiting and overdue items are counted in one query."""

import re
from datetime import date

import pytest

from portal.feedback import manage_views, services
from portal.feedback.models import FeedbackStatus
from portal.workdays import WorkingDayOverride
from tests.helpers.feedback import utc
from tests.helpers.pages import ENGLISH

S = FeedbackStatus
TODAY = date(2026, 10, 23)  # a Friday, after the 2026 Mid-Autumn and National Day holidays


@pytest.fixture(autouse=True)
def frozen_today(monkeypatch):
    monkeypatch.setattr(manage_views, "today", lambda: TODAY)


@pytest.fixture
def items(send, parent, school):
    """Received before the holidays (due Oct 22: overdue), after them (waiting 9 working days),
    and an answered one."""
    return {
        "overdue": send(parent, school, at=utc(2026, 9, 24, 2)),  # 10:00 in Beijing, Thursday Sept 24
        "recent": send(parent, school, status=S.IN_PROGRESS, at=utc(2026, 10, 12, 2)),
        "answered": send(parent, school, status=S.ANSWERED, at=utc(2026, 9, 1, 2)),
    }


def row_of(page: str, reference: str) -> str:
    match = re.search(rf'<li class="feedback-row">(?:(?!</li>).)*{reference}(?:(?!</li>).)*</li>', page, re.S)
    assert match, reference
    return re.sub(r"\s+", " ", match.group(0))


def test_inbox_shows_working_days_waited_and_marks_the_overdue_item_in_words(
    client, school, board_member, login_as, items
):
    login_as(board_member)

    page = client.get(f"/schools/{school.slug}/manage/feedback?status=all", headers=ENGLISH).get_data(as_text=True)

    overdue = row_of(page, items["overdue"].reference)
    assert "Overdue" in overdue
    assert "Waiting 16 working days" in overdue
    assert "the answer was due by October 22, 2026" in overdue
    recent = row_of(page, items["recent"].reference)
    assert "Overdue" not in recent
    assert "Waiting 9 working days" in recent
    assert "answer due by November 2, 2026" in recent
    answered = row_of(page, items["answered"].reference)
    assert "Waiting" not in answered and "Overdue" not in answered


def test_overdue_filter_lists_only_items_past_their_answer_day(client, school, board_member, login_as, items):
    login_as(board_member)

    page = client.get(f"/schools/{school.slug}/manage/feedback?status=overdue", headers=ENGLISH).get_data(as_text=True)

    assert items["overdue"].reference in page
    assert items["recent"].reference not in page
    assert items["answered"].reference not in page
    assert '<option value="overdue" selected>' in page


def test_on_its_answer_day_an_item_is_not_overdue_yet(app, db, items):
    with app.test_request_context():
        assert services.answer_due(items["overdue"].created_at) == date(2026, 10, 22)
        assert not services.is_overdue(items["overdue"], date(2026, 10, 22))
        assert services.is_overdue(items["overdue"], date(2026, 10, 23))
        assert not services.is_overdue(items["answered"], date(2026, 12, 1))


def test_waiting_and_overdue_are_counted_per_school(app, db, school, other_school, items):
    with app.test_request_context():
        counts = services.waiting_by_school([school.id, other_school.id], TODAY)

    assert (counts[school.id].unanswered, counts[school.id].overdue) == (2, 1)
    assert (counts[other_school.id].unanswered, counts[other_school.id].overdue) == (0, 0)


def test_a_day_off_the_commission_adds_moves_the_answer_day(app, db, school, items):
    db.session.add(WorkingDayOverride(day=date(2026, 10, 22), is_working_day=False, note="全市停课"))
    db.session.commit()

    with app.test_request_context():
        assert services.answer_due(items["overdue"].created_at) == date(2026, 10, 23)
        assert services.waiting_by_school([school.id], TODAY)[school.id].overdue == 0


def test_the_item_page_says_its_answer_day_and_that_it_is_overdue(client, school, board_member, login_as, items):
    login_as(board_member)

    overdue = client.get(f"/schools/{school.slug}/manage/feedback/{items['overdue'].id}", headers=ENGLISH)
    answered = client.get(f"/schools/{school.slug}/manage/feedback/{items['answered'].id}", headers=ENGLISH)

    page = re.sub(r"\s+", " ", overdue.get_data(as_text=True))
    assert "Answer due by" in page and "Overdue" in page and "October 22, 2026" in page
    assert "Waiting 16 working days" in page
    assert "Answer due by" not in answered.get_data(as_text=True)
