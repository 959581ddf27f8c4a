"""Feedback the school leaves unanswered for more than PORTAL_FEEDBACK_ESCALATE_DAYS working days
(15 unless set) goes by itself to the school's responsible supervisor: "已转责任督学" on the
sender's timeline, in the supervisor's queue, and both are told. Counted on the official calendar
(holidays and make-up days) and the commission's overrides, with a fixed clock."""

from datetime import date

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.feedback.models import FeedbackStatus
from portal.notifications.models import Notification
from portal.supervision import tasks
from portal.supervision.models import CaseKind, SupervisionCase
from portal.workdays import WorkingDayOverride
from tests.helpers.clock import beijing, freeze
from tests.helpers.pages import ENGLISH

# Received Thursday 24 September 2026, before the Mid-Autumn and National Day holidays: its 15th
# working day is Thursday 22 October; it goes to the supervisor on Friday 23 October.
RECEIVED = beijing(2026, 9, 24, 10)
LAST_DAY = beijing(2026, 10, 22, 18)
NEXT_DAY = beijing(2026, 10, 23, 9)


@pytest.fixture
def escalate(monkeypatch, run_job):
    """escalate(moment): the job runs at `moment` (the portal's clock says so too)."""

    def run(moment):
        freeze(monkeypatch, moment)
        return run_job(tasks.escalate_unanswered_feedback, now=moment)

    return run


def cases():
    return list(db.session.scalars(select(SupervisionCase)))


def test_on_its_last_working_day_an_item_stays_with_the_school(escalate, send, parent, school, supervisor):
    item = send(parent, school, at=RECEIVED)

    assert escalate(LAST_DAY) == 0
    assert db.session.get(type(item), item.id).status == FeedbackStatus.RECEIVED


def test_the_working_day_after_it_goes_to_the_supervisor(escalate, send, parent, school, supervisor):
    item = send(parent, school, at=RECEIVED)

    assert escalate(NEXT_DAY) == 1

    (case,) = cases()
    assert (case.feedback_id, case.kind) == (item.id, CaseKind.ESCALATED)
    assert db.session.get(type(item), item.id).status == FeedbackStatus.ESCALATED


def test_a_day_the_commission_closes_the_schools_gives_the_school_one_more_day(
    escalate, send, parent, school, supervisor
):
    db.session.add(WorkingDayOverride(day=date(2026, 10, 22), is_working_day=False, note="全市停课"))
    send(parent, school, at=RECEIVED)

    assert escalate(NEXT_DAY) == 0
    assert escalate(beijing(2026, 10, 26, 9)) == 1


def test_the_number_of_days_is_configurable(escalate, app, monkeypatch, send, parent, school, supervisor):
    monkeypatch.setitem(app.config, "PORTAL_FEEDBACK_ESCALATE_DAYS", 10)
    send(parent, school, at=RECEIVED)

    assert escalate(beijing(2026, 10, 16, 9)) == 1  # the 10th working day is 15 October


def test_an_item_goes_once_however_often_the_job_runs(escalate, send, parent, school, supervisor):
    send(parent, school, at=RECEIVED)

    escalate(NEXT_DAY)
    escalate(beijing(2026, 10, 26, 9))

    assert len(cases()) == 1


@pytest.mark.parametrize("answered", [True])
def test_an_answered_item_does_not_go(escalate, send, parent, school, supervisor, answered):
    send(parent, school, at=RECEIVED, answered=answered)

    assert escalate(NEXT_DAY) == 0


def test_a_school_without_a_supervisor_keeps_its_items(escalate, send, parent, school):
    send(parent, school, at=RECEIVED)

    assert escalate(NEXT_DAY) == 0


def test_the_sender_sees_it_on_the_timeline_and_both_are_told(
    escalate, client, login_as, send, parent, school, supervisor, chinese
):
    item = send(parent, school, at=RECEIVED)
    escalate(NEXT_DAY)
    login_as(parent)

    page = client.get(f"/me/feedback/{item.id}").text
    english = client.get(f"/me/feedback/{item.id}", headers=ENGLISH).text

    assert "已转责任督学" in page
    assert "went to its responsible supervisor on October 23, 2026" in english
    told = {n.user_id: n.event for n in db.session.scalars(select(Notification))}
    assert told[parent.id] == "feedback.escalated"
    assert told[supervisor.id] == "feedback.escalated.supervisor"


def test_the_escalation_is_audited_as_done_by_the_portal(escalate, send, parent, school, supervisor):
    from portal.audit import AuditEvent

    send(parent, school, at=RECEIVED)
    escalate(NEXT_DAY)

    (event,) = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "supervision.escalated"))
    assert event.actor_id is None
