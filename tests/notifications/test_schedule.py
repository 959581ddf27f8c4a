"""What the portal says by itself, on the schools' clock (Beijing time), with fixed clocks: the daily
digest at 18:00 (one mail per person and day, grouped by school, only when there is something,
nothing twice, its own unsubscribe link), the school staff's reminders of feedback left unanswered
10 working days and overdue at 15, and the moderators' daily word about a queue left waiting more
than 2 working days."""

import re
from datetime import datetime, time, timedelta

import pytest

from portal.clock import local_to_utc
from portal.consultations import services as consultations
from portal.consultations.models import Phase
from portal.feedback import services as feedback_services
from portal.feedback.models import FeedbackStatus
from portal.notifications import mail, services, tasks
from portal.notifications.models import Delivery, Kind, Notification
from tests.helpers.consultations import create_consultation
from tests.helpers.feedback import token
from tests.helpers.notifications import body_html, body_text, events_told, notifications_of

# A Wednesday; its evening at 18:00 in Chongqing is 10:00 UTC.
WEDNESDAY = datetime(2026, 11, 4).date()


def local(day, hour, minute=0) -> datetime:
    return local_to_utc(day, time(hour, minute))


@pytest.fixture
def at(monkeypatch):
    """at(moment): notifications written from now on say they were written at `moment`."""

    def move(moment):
        monkeypatch.setattr(services, "utcnow", lambda: moment)

    return move


def school_news(user_ids, school, number: str) -> None:
    services.notify(
        user_ids,
        services.Notice(
            Kind.SCHOOL_NEWS,
            "decision.published",
            "decisions.show",
            {"decision_id": 1},
            {
                "school": {"zh": school.name_zh, "en": school.name_en},
                "number": number,
                "title": f"关于食堂管理的决定 {number}",
            },
            school.id,
        ),
    )


def district_outcome(user_ids, title: str) -> None:
    services.notify(
        user_ids,
        services.Notice(
            Kind.OUTCOMES,
            "consultation.outcome_published",
            "consultations.show",
            {"consultation_id": 1},
            {"title": title, "decisions": []},
            None,
        ),
    )


@pytest.fixture
def reader(make_user, db):
    """A parent who reads English and takes school news and outcomes in the digest."""
    person = make_user(email="reader@example.org", display_name="Reader", language="en")
    services.set_preferences(person, person, {Kind.OUTCOMES.value: Delivery.DIGEST.value})
    db.session.commit()
    return person


def digests(outbox, address=None):
    return [m for m in outbox() if address is None or m["To"] == address]


# --- the daily digest ---------------------------------------------------------------------


def test_the_digest_goes_at_18_00_beijing_time_as_one_mail_grouped_by_school(
    db, at, reader, school, other_school, run_job, jobs_run, outbox
):
    at(local(WEDNESDAY, 9))
    school_news([reader.id], other_school, "〔2026〕1号")
    school_news([reader.id], school, "〔2026〕2号")
    district_outcome([reader.id], "全区课后服务意见征集")
    school_news([reader.id], school, "〔2026〕3号")
    db.session.commit()

    run_job(tasks.send_daily_digests, now=local(WEDNESDAY, 17, 59))
    jobs_run()
    assert digests(outbox) == []

    run_job(tasks.send_daily_digests, now=local(WEDNESDAY, 18, 5))
    jobs_run()

    (message,) = digests(outbox)
    assert message["To"] == "reader@example.org"
    assert message["Subject"] == "Your portal digest: 4 new items"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = body_text(message)
    headings = re.findall(r"^== (.*) ==$", text, re.M)
    assert headings == [school.name_en, other_school.name_en, "Across the city and districts"]
    first_group = text.split(f"== {school.name_en} ==")[1].split("==")[0]
    assert "〔2026〕2号" in first_group and "〔2026〕3号" in first_group and "〔2026〕1号" not in first_group
    assert "https://portal.test/decisions/1" in text and "https://portal.test/consultations/1" in text
    html = body_html(message)
    assert html.count("<h2") == 3 and 'href="https://portal.test/decisions/1"' in html


def test_the_digest_is_in_each_readers_language(db, at, make_user, school, run_job, jobs_run, outbox):
    chinese = make_user(email="zh-reader@example.org", language="zh")
    at(local(WEDNESDAY, 9))
    school_news([chinese.id], school, "〔2026〕2号")
    db.session.commit()

    run_job(tasks.send_daily_digests, now=local(WEDNESDAY, 18, 5))
    jobs_run()

    (message,) = digests(outbox)
    assert f"== {school.name_zh} ==" in body_text(message)
    assert school.name_en not in body_text(message)


def test_the_digest_is_sent_once_a_day_and_what_comes_later_waits_for_the_next_one(
    db, at, reader, school, run_job, jobs_run, outbox
):
    at(local(WEDNESDAY, 9))
    school_news([reader.id], school, "〔2026〕2号")
    db.session.commit()
    run_job(tasks.send_daily_digests, now=local(WEDNESDAY, 18, 5))
    at(local(WEDNESDAY, 18, 30))
    school_news([reader.id], school, "〔2026〕3号")
    db.session.commit()

    run_job(tasks.send_daily_digests, now=local(WEDNESDAY, 18, 5))  # the same run again (a retry)
    run_job(tasks.send_daily_digests, now=local(WEDNESDAY, 19, 5))
    run_job(tasks.send_daily_digests, now=local(WEDNESDAY, 23, 5))
    jobs_run()
    (first,) = digests(outbox)
    assert "〔2026〕2号" in body_text(first) and "〔2026〕3号" not in body_text(first)

    thursday = WEDNESDAY + timedelta(days=1)
    run_job(tasks.send_daily_digests, now=local(thursday, 8, 5))  # after midnight, before 18:00
    run_job(tasks.send_daily_digests, now=local(thursday, 18, 5))
    run_job(tasks.send_daily_digests, now=local(thursday, 19, 5))
    jobs_run()

    first, second = digests(outbox)
    assert second["Subject"] == "Your portal digest: 1 new item"
    assert "〔2026〕3号" in body_text(second) and "〔2026〕2号" not in body_text(second)


def test_nobody_gets_a_digest_with_nothing_in_it(db, at, reader, make_user, school, run_job, jobs_run, outbox):
    portal_only = make_user(email="portal-only@example.org")
    services.set_preferences(portal_only, portal_only, {Kind.SCHOOL_NEWS.value: Delivery.PORTAL.value})
    db.session.commit()
    at(local(WEDNESDAY, 9))
    school_news([portal_only.id], school, "〔2026〕2号")
    db.session.commit()

    run_job(tasks.send_daily_digests, now=local(WEDNESDAY, 18, 5))
    jobs_run()

    assert digests(outbox) == []
    assert events_told(portal_only) == ["decision.published"]  # still told in the portal


def test_a_notification_read_in_the_portal_before_18_00_is_still_in_the_digest(
    db, at, reader, school, run_job, jobs_run, outbox
):
    at(local(WEDNESDAY, 9))
    school_news([reader.id], school, "〔2026〕2号")
    db.session.commit()
    services.mark_all_read(reader, reader)
    db.session.commit()

    run_job(tasks.send_daily_digests, now=local(WEDNESDAY, 18, 5))
    jobs_run()

    assert len(digests(outbox)) == 1


def test_a_person_without_an_email_address_gets_no_digest_and_nothing_fails(
    db, at, make_user, school, run_job, jobs_run, outbox
):
    person = make_user()
    person.email = ""
    db.session.commit()
    at(local(WEDNESDAY, 9))
    school_news([person.id], school, "〔2026〕2号")
    db.session.commit()

    run_job(tasks.send_daily_digests, now=local(WEDNESDAY, 18, 5))
    run_job(tasks.send_daily_digests, now=local(WEDNESDAY + timedelta(days=1), 18, 5))
    jobs_run()

    assert digests(outbox) == []
    (item,) = notifications_of(person)
    assert item.mailed_at is not None  # done with: no later digest picks it up again


def test_a_closed_account_gets_no_digest(db, at, make_user, school, run_job, jobs_run, outbox):
    person = make_user(email="closed@example.org", active=False)
    at(local(WEDNESDAY, 9))
    school_news([person.id], school, "〔2026〕2号")
    db.session.commit()

    run_job(tasks.send_daily_digests, now=local(WEDNESDAY, 18, 5))
    jobs_run()

    assert digests(outbox) == []


def test_the_digests_own_unsubscribe_link_stops_the_digest_only(
    app, db, client, at, reader, school, run_job, jobs_run, outbox
):
    at(local(WEDNESDAY, 9))
    school_news([reader.id], school, "〔2026〕2号")
    db.session.commit()
    run_job(tasks.send_daily_digests, now=local(WEDNESDAY, 18, 5))
    jobs_run()
    (message,) = digests(outbox)
    address = message["List-Unsubscribe"].strip()[1:-1]
    assert address in body_text(message)
    with app.app_context():
        assert mail.read_unsubscribe_token(address.rsplit("/", 1)[1]) == (reader.id, None)

    response = client.post(address.removeprefix("https://portal.test"), data={"List-Unsubscribe": "One-Click"})

    assert response.status_code == 204
    chosen = services.preferences_of(reader)
    assert chosen[Kind.SCHOOL_NEWS] == Delivery.PORTAL
    assert chosen[Kind.OUTCOMES] == Delivery.PORTAL  # it was in the digest too
    assert chosen[Kind.FEEDBACK] == Delivery.EMAIL  # mails at once are not the digest
    at(local(WEDNESDAY + timedelta(days=1), 9))
    school_news([reader.id], school, "〔2026〕3号")
    db.session.commit()
    run_job(tasks.send_daily_digests, now=local(WEDNESDAY + timedelta(days=1), 18, 5))
    jobs_run()
    assert len(digests(outbox)) == 1


# --- feedback the school leaves unanswered ------------------------------------------------

MONDAY = datetime(2026, 11, 2).date()  # feedback arrives at 10:00; 10 working days: Monday 16th


@pytest.fixture
def unanswered(db, parent, school):
    feedback = feedback_services.send_feedback(
        parent,
        school,
        {"category": "canteen", "body": "午餐是凉的。", "private": False, "submission_token": token()},
        now=local(MONDAY, 10),
    )
    db.session.commit()
    return feedback


def reminders(user) -> list[str]:
    return [event for event in events_told(user) if event in ("feedback.reminder", "feedback.overdue")]


def test_staff_are_reminded_after_10_working_days_and_told_it_is_overdue_after_15_once_each(
    db, unanswered, school_admin, board_member, parent, make_user, other_school, run_job
):
    elsewhere = make_user(role="school_admin", scope=other_school)
    remind = tasks.remind_unanswered_feedback

    run_job(remind, now=local(MONDAY + timedelta(days=11), 9, 15))  # Friday 13th: 9 working days
    assert reminders(school_admin) == []
    run_job(remind, now=local(MONDAY + timedelta(days=14), 8, 15))  # Monday 16th, before 09:00
    assert reminders(school_admin) == []

    for hour in (9, 10, 17):
        run_job(remind, now=local(MONDAY + timedelta(days=14), hour, 15))
    run_job(remind, now=local(MONDAY + timedelta(days=15), 9, 15))
    assert reminders(school_admin) == ["feedback.reminder"]
    assert reminders(board_member) == ["feedback.reminder"]

    run_job(remind, now=local(MONDAY + timedelta(days=20), 9, 15))  # Sunday 22nd: still 14
    assert reminders(school_admin) == ["feedback.reminder"]
    for day in (21, 22):  # Monday 23rd: 15 working days; and the day after
        run_job(remind, now=local(MONDAY + timedelta(days=day), 9, 15))

    assert reminders(school_admin) == ["feedback.reminder", "feedback.overdue"]
    assert reminders(board_member) == ["feedback.reminder", "feedback.overdue"]
    assert reminders(parent) == [] and reminders(elsewhere) == []
    overdue = notifications_of(school_admin)[-1]
    assert overdue.kind == Kind.INBOX
    assert overdue.endpoint == "feedback.manage_item" and overdue.url_args["feedback_id"] == unanswered.id
    assert overdue.params["reference"] == unanswered.reference and overdue.params["days"] == 15


def test_feedback_first_seen_already_overdue_is_told_overdue_without_a_reminder_on_top(
    db, unanswered, school_admin, run_job
):
    run_job(tasks.remind_unanswered_feedback, now=local(MONDAY + timedelta(days=25), 9, 15))

    assert reminders(school_admin) == ["feedback.overdue"]


def test_answered_feedback_is_not_reminded_of(db, unanswered, school_admin, run_job):
    feedback_services.reply_to_feedback(
        school_admin, unanswered, {"reply": "已处理。", "public": True, "mark_answered": True}
    )
    db.session.commit()

    run_job(tasks.remind_unanswered_feedback, now=local(MONDAY + timedelta(days=25), 9, 15))

    assert reminders(school_admin) == []


def test_feedback_in_progress_but_unanswered_is_still_reminded_of(db, unanswered, school_admin, run_job):
    feedback_services.change_feedback_status(school_admin, unanswered, FeedbackStatus.IN_PROGRESS)
    db.session.commit()

    run_job(tasks.remind_unanswered_feedback, now=local(MONDAY + timedelta(days=14), 9, 15))

    assert reminders(school_admin) == ["feedback.reminder"]


def test_the_reminder_reaches_staff_by_mail_in_their_language(
    db, unanswered, make_user, school, run_job, jobs_run, outbox
):
    jobs_run()
    outbox()
    english = make_user(role="board_member", scope=school, email="board.en@example.org", language="en")

    run_job(tasks.remind_unanswered_feedback, now=local(MONDAY + timedelta(days=14), 9, 15))
    jobs_run()

    (message,) = [m for m in outbox() if m["To"] == english.email]
    assert message["Subject"] == (
        f"Feedback {unanswered.reference} to {school.name_en} has waited 10 working days for an answer."
    )
    assert f"https://portal.test/schools/{school.slug}/manage/feedback/{unanswered.id}" in body_text(message)


# --- the moderators' queue left waiting ---------------------------------------------------


@pytest.fixture
def waiting_since_monday(db, school):
    consultation = create_consultation(school, Phase.DRAFT)
    consultations.submit(None, consultation, now=local(MONDAY, 10))
    db.session.commit()
    return consultation


def queue_reminders(user) -> list[Notification]:
    return [n for n in notifications_of(user) if n.event == "moderation.waiting"]


def test_moderators_hear_once_a_day_of_a_queue_waiting_more_than_2_working_days(
    db, waiting_since_monday, moderator, other_moderator, make_user, city, run_job
):
    city_admin = make_user(role="commission_admin", scope=city)
    remind = tasks.remind_moderators_of_waiting_queue

    run_job(remind, now=local(MONDAY + timedelta(days=1), 9, 20))  # Tuesday: 1 working day
    assert queue_reminders(moderator) == []
    run_job(remind, now=local(MONDAY + timedelta(days=2), 8, 20))  # Wednesday, before 09:00
    assert queue_reminders(moderator) == []
    for hour in (9, 10, 11):
        run_job(remind, now=local(MONDAY + timedelta(days=2), hour, 20))
    assert [n.params for n in queue_reminders(moderator)] == [{"count": 1}]

    run_job(remind, now=local(MONDAY + timedelta(days=3), 9, 20))  # Thursday: told again

    assert len(queue_reminders(moderator)) == 2
    assert len(queue_reminders(city_admin)) == 2
    assert queue_reminders(other_moderator) == []
    assert queue_reminders(moderator)[0].endpoint == "moderation.queue"


def test_moderators_with_nothing_waiting_long_hear_nothing(db, moderator, school, run_job):
    consultation = create_consultation(school, Phase.DRAFT)
    consultations.submit(None, consultation, now=local(MONDAY + timedelta(days=2), 10))
    db.session.commit()

    run_job(tasks.remind_moderators_of_waiting_queue, now=local(MONDAY + timedelta(days=2), 9, 20))
    run_job(tasks.remind_moderators_of_waiting_queue, now=local(MONDAY + timedelta(days=3), 9, 20))

    assert queue_reminders(moderator) == []


def test_an_approved_consultation_no_longer_counts_as_waiting(db, waiting_since_monday, moderator, run_job):
    consultations.approve(moderator, waiting_since_monday, now=local(MONDAY + timedelta(days=1), 10))
    db.session.commit()

    run_job(tasks.remind_moderators_of_waiting_queue, now=local(MONDAY + timedelta(days=3), 9, 20))

    assert queue_reminders(moderator) == []


def test_stopping_the_digest_during_the_day_stops_that_evenings_digest(
    app, db, client, at, reader, school, run_job, jobs_run, outbox
):
    at(local(WEDNESDAY, 9))
    school_news([reader.id], school, "〔2026〕2号")
    db.session.commit()
    with app.app_context():
        stop = f"/unsubscribe/{mail.unsubscribe_token(reader.id, None)}"

    client.post(stop, data={"List-Unsubscribe": "One-Click"})
    run_job(tasks.send_daily_digests, now=local(WEDNESDAY, 18, 5))
    jobs_run()

    assert digests(outbox) == []
    assert events_told(reader) == ["decision.published"]  # still there to read in the portal


def test_a_kind_switched_to_email_at_once_during_the_day_still_comes_in_that_evenings_digest(
    db, at, reader, school, run_job, jobs_run, outbox
):
    at(local(WEDNESDAY, 9))
    school_news([reader.id], school, "〔2026〕2号")
    db.session.commit()
    services.set_preferences(reader, reader, {Kind.SCHOOL_NEWS.value: Delivery.EMAIL.value})
    db.session.commit()

    run_job(tasks.send_daily_digests, now=local(WEDNESDAY, 18, 5))
    jobs_run()

    (message,) = digests(outbox)
    assert "〔2026〕2号" in body_text(message)
