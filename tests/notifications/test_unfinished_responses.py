"""Two days before a consultation closes, those who started a response and did not send it are
told, once, in their language, with a link to it; those who responded never are. The job runs
daily in the morning on the schools' clock and deletes what was started on closed consultations."""

from datetime import time, timedelta

import pytest
from sqlalchemy import select

from portal.clock import local_date, local_to_utc, utcnow
from portal.consultations import responses as response_services
from portal.consultations import tasks
from portal.consultations.models import Response, ResponseDraft
from tests.helpers.consultations import create_consultation, respond
from tests.helpers.notifications import body_text, events_told, notifications_of


@pytest.fixture
def make_consultation(db, school):
    def make(**details):
        return create_consultation(school, **details)

    return make


def drafts_of(db, user) -> list[ResponseDraft]:
    return list(db.session.scalars(select(ResponseDraft).where(ResponseDraft.user_id == user.id)))


def next_morning():
    """The next 09:30 on the schools' clock: when the daily job runs."""
    return local_to_utc(local_date(utcnow()) + timedelta(days=1), time(9, 30))


def started(db, consultation, person, body="还没想好"):
    draft = response_services.keep_draft(person, consultation, {"body": body})
    db.session.commit()
    return draft


@pytest.mark.parametrize(
    ("closes_after", "told"),
    [(timedelta(days=2, minutes=1), False), (timedelta(days=2), True), (timedelta(hours=3), True)],
)
def test_a_person_who_started_is_told_only_within_two_days_of_closing(
    db, make_consultation, parent, run_job, closes_after, told
):
    morning = next_morning()
    consultation = make_consultation(closes_at=morning + closes_after)
    started(db, consultation, parent)

    run_job(tasks.remind_unfinished_responses, now=morning)

    assert events_told(parent) == (["response.unfinished"] if told else [])


def test_told_once_in_their_language_with_a_link_to_the_consultation(
    app, db, make_consultation, make_user, school, run_job, jobs_run, outbox
):
    morning = next_morning()
    consultation = make_consultation(closes_at=morning + timedelta(days=1))
    person = make_user(role="parent", scope=school, language="en")
    started(db, consultation, person)

    run_job(tasks.remind_unfinished_responses, now=morning)
    run_job(tasks.remind_unfinished_responses, now=morning + timedelta(minutes=10))  # a retry
    run_job(tasks.remind_unfinished_responses, now=morning + timedelta(days=1))  # the next day
    jobs_run()

    (told,) = notifications_of(person)
    assert told.event == "response.unfinished" and told.url_args["consultation_id"] == consultation.id
    (message,) = outbox()
    text = body_text(message)
    assert "You started a response to “关于调整课后服务时间的意见征集” but have not sent it" in text
    assert f"/consultations/{consultation.id}#respond" in text


def test_a_person_who_responded_is_never_told(db, make_consultation, parent, run_job):
    morning = next_morning()
    consultation = make_consultation(closes_at=morning + timedelta(days=1))
    started(db, consultation, parent)
    respond(consultation, parent)
    # Even with something left over beside their response, they are not told to finish it.
    db.session.add(ResponseDraft(consultation_id=consultation.id, user_id=parent.id, answers={"body": "旧的"}))
    db.session.commit()

    run_job(tasks.remind_unfinished_responses, now=morning)

    assert events_told(parent) == []
    assert db.session.scalar(select(Response.id).where(Response.author_id == parent.id)) is not None


def test_the_job_runs_in_the_morning_on_the_schools_clock_only(db, make_consultation, parent, run_job):
    morning = next_morning()
    consultation = make_consultation(closes_at=morning + timedelta(days=1))
    started(db, consultation, parent)

    run_job(tasks.remind_unfinished_responses, now=morning + timedelta(hours=2))

    assert events_told(parent) == []


def test_what_was_started_is_deleted_once_the_consultation_has_closed(db, make_consultation, parent, run_job):
    morning = next_morning()
    closing = make_consultation(closes_at=morning - timedelta(hours=1))
    still_open = make_consultation(closes_at=morning + timedelta(days=10))
    started(db, closing, parent)
    started(db, still_open, parent)

    run_job(tasks.remind_unfinished_responses, now=morning)

    assert [draft.consultation_id for draft in drafts_of(db, parent)] == [still_open.id]
