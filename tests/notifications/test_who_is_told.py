"""Who is told what: one test per row of the table in issue #11. People are told in the portal
(a notification each) and, as they chose, by mail; whoever did it is not told of their own act.
A whole school's or district's audience is told by a job after the commit."""

from datetime import UTC, date, datetime, timedelta

import pytest

from portal.charters import services as charters
from portal.clock import utcnow
from portal.consultations import services as consultations
from portal.consultations.models import Phase
from portal.decisions import services as decisions
from portal.feedback import services as feedback_services
from portal.feedback.models import FeedbackStatus
from portal.meetings import services as meetings
from portal.meetings.models import BodyKind, Constituency, Position
from portal.moderation import services as moderation
from portal.notifications import services as notifications
from portal.notifications.models import Delivery, Kind
from portal.notifications.texts import words
from tests.helpers.consultations import create_consultation, respond, someone
from tests.helpers.decisions import insert_published
from tests.helpers.feedback import token
from tests.helpers.notifications import body_text, events_told, notifications_of


@pytest.fixture
def send(db):
    def make(author, school, private=False):
        feedback = feedback_services.send_feedback(
            author,
            school,
            {"category": "canteen", "body": "食堂的午餐经常是凉的。", "private": private, "submission_token": token()},
        )
        db.session.commit()
        return feedback

    return make


@pytest.fixture
def follower(make_user):
    """Someone with no role who follows things."""
    return make_user(display_name="关注者 王芳")


@pytest.fixture
def city_admin(make_user, city):
    return make_user(role="commission_admin", scope=city, display_name="市教委管理员")


# --- the suggestion box -------------------------------------------------------------------


def test_the_school_admin_and_board_members_are_told_of_new_feedback_and_no_one_else(
    db, send, parent, school, other_school, school_admin, board_member, make_user
):
    other_board = make_user(role="board_member", scope=other_school)

    feedback = send(parent, school)

    assert events_told(school_admin) == ["feedback.sent"]
    assert events_told(board_member) == ["feedback.sent"]
    assert events_told(other_board) == []
    assert events_told(parent) == []
    told = notifications_of(board_member)[0]
    assert told.kind == Kind.INBOX
    assert told.endpoint == "feedback.manage_item" and told.url_args["feedback_id"] == feedback.id


def test_the_sender_is_told_of_every_status_change_and_every_answer_public_or_private(
    db, send, parent, school, school_admin
):
    feedback = send(parent, school, private=True)

    feedback_services.change_feedback_status(school_admin, feedback, FeedbackStatus.IN_PROGRESS)
    feedback_services.reply_to_feedback(school_admin, feedback, {"reply": "已在处理。", "public": False})
    feedback_services.reply_to_feedback(
        school_admin, feedback, {"reply": "已增加保温设备。", "public": True, "mark_answered": True}
    )
    feedback_services.change_feedback_status(school_admin, feedback, FeedbackStatus.CLOSED)
    db.session.commit()

    # A reply that leaves the item in progress is told as a reply; the answer that also marks
    # the item answered is told once, as an answer.
    assert events_told(parent) == [
        "feedback.status_changed",
        "feedback.replied",
        "feedback.answered",
        "feedback.status_changed",
    ]
    first = notifications_of(parent)[0]
    assert first.kind == Kind.FEEDBACK
    assert first.endpoint == "feedback.my_item" and first.url_args == {"feedback_id": feedback.id}
    assert feedback.reference in words(first.event, first.params)


def test_a_reply_that_leaves_the_item_in_progress_is_told_as_a_reply_not_as_an_answer(
    app, db, send, parent, school, school_admin
):
    feedback = send(parent, school)
    feedback_services.change_feedback_status(school_admin, feedback, FeedbackStatus.IN_PROGRESS)

    holding_reply = {"reply": "已转交总务处核实，一周内答复您。", "public": False}
    feedback_services.reply_to_feedback(school_admin, feedback, holding_reply)
    db.session.commit()

    told = notifications_of(parent)[-1]
    assert (told.event, feedback.status) == ("feedback.replied", FeedbackStatus.IN_PROGRESS)
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        assert words(told.event, told.params) == f"{school.name_zh}回复了您的意见建议{feedback.reference}。"
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert words(told.event, told.params) == f"{school.name_en} replied to your feedback {feedback.reference}."
        assert "answered" not in words(told.event, told.params)


def test_the_sender_gets_a_mail_in_their_own_language_with_the_reference_and_a_link_to_the_item(
    app, db, send, make_user, school, school_admin, outbox, jobs_run
):
    parent = make_user(role="parent", scope=school, language="en", email="parent.en@example.org")
    feedback = send(parent, school)
    jobs_run()  # the staff's mails about new feedback
    outbox()  # (read, and forgotten below)

    feedback_services.reply_to_feedback(
        school_admin, feedback, {"reply": "We added food warmers.", "public": True, "mark_answered": True}
    )
    db.session.commit()
    jobs_run()

    mails = [message for message in outbox() if message["To"] == "parent.en@example.org"]
    assert len(mails) == 1
    message = mails[0]
    assert message["Subject"] == f"{school.name_en} answered your feedback {feedback.reference}."
    assert f"https://portal.test/me/feedback/{feedback.id}" in body_text(message)
    assert message.get_content_type() == "multipart/alternative"


# --- responses and their moderation -------------------------------------------------------


@pytest.fixture
def open_consultation(db, school):
    return create_consultation(school, Phase.OPEN)


def test_the_author_of_a_response_is_told_it_was_published(db, open_consultation, moderator):
    author = someone()
    response = respond(open_consultation, author)

    moderation.moderate(moderator, response, "publish")
    db.session.commit()

    assert events_told(author) == ["response.published"]
    assert notifications_of(author)[0].kind == Kind.MY_RESPONSES


def test_the_author_of_a_rejected_response_is_told_why_in_words(app, db, open_consultation, moderator):
    author = someone()
    response = respond(open_consultation, author)

    moderation.moderate(moderator, response, "reject", "off_topic: 与本次征集无关")
    db.session.commit()

    told = notifications_of(author)
    assert [n.event for n in told] == ["response.rejected"]
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert words(told[0].event, told[0].params) == (
            f"Your response to “{open_consultation.title}” was not published. Reason: Off-topic: 与本次征集无关"
        )


def test_the_author_is_told_when_reports_hide_their_response_and_when_it_is_restored(
    app, db, open_consultation, moderator
):
    author = someone()
    response = respond(open_consultation, author, publish=True)
    notifications_of(author)  # "published" when a moderator published it

    for _ in range(app.config["PORTAL_REPORT_THRESHOLD"]):
        moderation.report_response(someone(days_old=10), response, {"reason": "人身攻击"})
    db.session.commit()
    assert events_told(author)[-1] == "response.hidden"
    hidden = notifications_of(author)[-1]
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert "several people reported it" in words(hidden.event, hidden.params)

    moderation.moderate(moderator, response, "dismiss")
    db.session.commit()
    assert events_told(author)[-1] == "response.restored"


def test_the_author_is_told_when_a_moderator_hides_a_published_response(db, open_consultation, moderator):
    author = someone()
    response = respond(open_consultation, author, publish=True)

    moderation.moderate(moderator, response, "hide", "personal_data")
    db.session.commit()

    assert events_told(author)[-1] == "response.hidden"


# --- moderators ---------------------------------------------------------------------------


def test_moderators_of_the_district_and_commission_admins_above_are_told_a_consultation_awaits_approval(
    db, school, school_admin, moderator, other_moderator, city_admin
):
    consultation = create_consultation(school, Phase.DRAFT)

    consultations.submit(school_admin, consultation)
    db.session.commit()

    assert events_told(moderator) == ["consultation.submitted"]
    assert events_told(city_admin) == ["consultation.submitted"]
    assert events_told(other_moderator) == []
    assert notifications_of(moderator)[0].kind == Kind.MODERATION


def test_moderators_are_told_once_when_a_response_reaches_the_report_threshold(
    app, db, open_consultation, moderator, other_moderator
):
    response = respond(open_consultation, someone(), publish=True)
    threshold = app.config["PORTAL_REPORT_THRESHOLD"]

    for count in range(threshold + 1):
        reporter = someone(days_old=10)
        if count >= threshold:  # hidden by then: no more reports are taken
            break
        moderation.report_response(reporter, response, {"reason": "广告"})
        db.session.commit()
        expected = ["response.reported"] if count == threshold - 1 else []
        assert [e for e in events_told(moderator) if e == "response.reported"] == expected

    assert events_told(other_moderator) == []


def test_moderators_are_told_once_when_new_accounts_report_a_response_as_often_as_would_hide_it(
    app, db, open_consultation, moderator, other_moderator
):
    author = someone()
    response = respond(open_consultation, author, publish=True)
    threshold = app.config["PORTAL_REPORT_THRESHOLD"]

    for _ in range(threshold + 2):
        moderation.report_response(someone(), response, {"reason": "广告"})
        db.session.commit()

    assert [e for e in events_told(moderator) if e.startswith("response.reported")] == ["response.reported_held"]
    assert events_told(other_moderator) == []
    assert "response.hidden" not in events_told(author)
    told = notifications_of(moderator)[-1]
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert "it stays visible until a moderator decides" in words(told.event, told.params)


# --- the author of a consultation ---------------------------------------------------------


def test_the_author_of_a_consultation_is_told_it_was_approved(db, school, school_admin, moderator):
    consultation = create_consultation(school, Phase.DRAFT, opens_at=utcnow() + timedelta(days=3))
    consultation.created_by_id = school_admin.id
    consultations.submit(school_admin, consultation)
    db.session.commit()

    consultations.approve(moderator, consultation)
    db.session.commit()

    assert events_told(school_admin) == ["consultation.approved"]
    assert notifications_of(school_admin)[0].kind == Kind.MY_CONSULTATIONS


def test_the_author_of_a_consultation_is_told_it_was_sent_back_with_the_reason(db, school, school_admin, moderator):
    consultation = create_consultation(school, Phase.DRAFT)
    consultation.created_by_id = school_admin.id
    consultations.submit(school_admin, consultation)
    db.session.commit()

    consultations.send_back(moderator, consultation, "请补充调整的理由。")
    db.session.commit()

    told = notifications_of(school_admin)
    assert [n.event for n in told] == ["consultation.sent_back"]
    assert "请补充调整的理由。" in words(told[0].event, told[0].params)


# --- news of a school: its verified parents and its followers, by a job -------------------


def test_parents_and_followers_of_the_school_are_told_when_a_consultation_opens_and_others_are_not(
    db, school, other_school, parent, follower, make_user, moderator, jobs_run
):
    other_parent = make_user(role="parent", scope=other_school)
    notifications.follow(follower, school=school)
    consultation = create_consultation(school, Phase.DRAFT)
    consultations.submit(None, consultation)
    db.session.commit()

    consultations.approve(moderator, consultation)  # its opening time has come: it opens at once
    db.session.commit()
    assert events_told(parent) == []  # told by a job, after the commit
    jobs_run()

    assert events_told(parent) == ["consultation.opened"]
    assert events_told(follower) == ["consultation.opened"]
    assert events_told(other_parent) == []
    assert notifications_of(parent)[0].kind == Kind.SCHOOL_NEWS


def test_a_consultation_approved_to_open_later_is_announced_when_it_opens_and_only_once(
    db, school, parent, moderator, jobs_run, run_job
):
    from portal.notifications import tasks

    opens = utcnow() + timedelta(days=2)
    consultation = create_consultation(school, Phase.DRAFT, opens_at=opens, closes_at=opens + timedelta(days=20))
    consultations.submit(None, consultation)
    consultations.approve(moderator, consultation)
    db.session.commit()
    jobs_run()
    run_job(tasks.announce_opened_consultations, now=utcnow())
    assert events_told(parent) == []

    run_job(tasks.announce_opened_consultations, now=opens + timedelta(minutes=5))
    run_job(tasks.announce_opened_consultations, now=opens + timedelta(minutes=10))

    assert events_told(parent) == ["consultation.opened"]


def test_a_district_consultation_opening_is_told_to_parents_of_every_school_of_the_district(
    db, district, school, make_school, other_school, make_user, moderator, jobs_run
):
    second = make_school(district)
    parents = [make_user(role="parent", scope=school), make_user(role="parent", scope=second)]
    elsewhere = make_user(role="parent", scope=other_school)
    consultation = create_consultation(None, Phase.DRAFT, authority=district)
    consultations.submit(None, consultation)
    db.session.commit()

    consultations.approve(moderator, consultation)
    db.session.commit()
    jobs_run()

    assert [events_told(person) for person in parents] == [["consultation.opened"], ["consultation.opened"]]
    assert events_told(elsewhere) == []


def _past_meeting_with_three_present(school):
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
        for name in ("周建华", "李秀英", "王国平")
    ]
    meeting = meetings.create_meeting(
        None,
        school,
        {
            "body_id": body.id,
            "title": "2026年第一次校务委员会会议",
            "starts_at": datetime(2026, 3, 2, 7, 30, tzinfo=UTC),
        },
    )
    meetings.record_attendance(None, meeting, {member.id: True for member in members})
    return meeting


def test_parents_and_followers_are_told_when_a_decision_is_published(
    app, db, school, parent, follower, board_member, jobs_run, pdfs_rendered_once_per_run
):
    notifications.follow(follower, school=school)
    meeting = _past_meeting_with_three_present(school)
    draft = decisions.create_draft(
        board_member,
        school,
        {"title": "关于加强学校食堂管理的决定", "body": "决定如下：每学期陪餐检查两次。", "meeting_id": meeting.id}
        | {"votes_for": 3, "votes_against": 0, "votes_abstain": 0, "effective_on": None},
    )
    db.session.commit()
    with app.app_context():
        decisions.publish_decision(board_member, draft)
        db.session.commit()
    db.session.add_all([parent, follower, board_member])
    jobs_run()

    assert events_told(parent) == ["decision.published"]
    assert events_told(follower) == ["decision.published"]
    assert events_told(board_member) == []  # who published it is not told of it


def test_parents_and_followers_are_told_when_the_charter_changes(
    app, db, school, parent, follower, school_admin, jobs_run, pdfs_rendered_once_per_run
):
    notifications.follow(follower, school=school)
    version = charters.start_draft(school_admin, school)
    charters.edit_draft(school_admin, version, body="# 第一章 总则\n\n第一条 本校……", change_note="首次制定")
    db.session.commit()
    with app.app_context():
        charters.adopt_version(school_admin, version, adopted_on=date(2026, 9, 1), effective_on=date(2026, 9, 1))
        db.session.commit()
    db.session.add_all([parent, follower])
    jobs_run()

    assert events_told(parent) == ["charter.adopted"]
    assert events_told(follower) == ["charter.adopted"]


def test_parents_and_followers_are_told_when_minutes_are_approved(
    app, db, school, parent, follower, school_admin, jobs_run, pdfs_rendered_once_per_run
):
    notifications.follow(follower, school=school)
    body = meetings.create_body(None, school, {"kind": BodyKind.SCHOOL_BOARD, "name": "校务委员会", "description": ""})
    meeting = meetings.create_meeting(
        None,
        school,
        {
            "body_id": body.id,
            "title": "2026年第一次校务委员会会议",
            "starts_at": datetime(2026, 3, 2, 7, 30, tzinfo=UTC),
        },
    )
    meetings.edit_minutes(school_admin, meeting, "会议审议通过了食堂管理办法。")
    db.session.commit()
    with app.app_context():
        meetings.approve_minutes(school_admin, meeting)
        db.session.commit()
    db.session.add_all([parent, follower])
    jobs_run()

    assert events_told(parent) == ["minutes.approved"]
    assert events_told(follower) == ["minutes.approved"]


def test_a_school_news_notification_is_not_written_twice_when_its_job_runs_twice(
    db, school, parent, moderator, jobs_run, run_job
):
    from portal.notifications import tasks

    consultation = create_consultation(school, Phase.DRAFT)
    consultations.submit(None, consultation)
    consultations.approve(moderator, consultation)
    db.session.commit()
    jobs_run()

    run_job(tasks.fan_out, "consultation.opened", "Consultation", consultation.id, None)  # a retry, a second worker

    assert events_told(parent) == ["consultation.opened"]


# --- everyone who responded: the outcome --------------------------------------------------


def test_responders_and_followers_of_a_consultation_are_told_of_its_outcome_with_the_decisions_that_answer_it(
    app, db, school, school_admin, parent, jobs_run, pdfs_rendered_once_per_run
):
    consultation = create_consultation(school, Phase.OPEN)
    responders = [someone(), someone()]
    for person in responders:
        respond(consultation, person)
    watcher = someone()
    notifications.follow(watcher, consultation=consultation)
    consultation.closes_at = utcnow() - timedelta(hours=1)
    db.session.commit()

    with app.app_context():
        consultations.publish_outcome(
            school_admin, consultation, {"heard": "多数家长支持。", "changes": "下学期起调整。", "themes": []}
        )
        db.session.commit()
    db.session.add_all([*responders, watcher, parent])
    jobs_run()

    for person in [*responders, watcher]:
        assert events_told(person) == ["consultation.outcome_published"]
    told = notifications_of(responders[0])[0]
    assert told.kind == Kind.OUTCOMES
    assert told.params["decisions"] == []
    assert events_told(parent) == []  # a parent who did not respond or follow it


def test_the_outcome_names_the_decision_that_answers_it_in_the_notification_and_the_mail(
    app, db, school, school_admin, make_user, jobs_run, outbox, pdfs_rendered_once_per_run
):
    consultation = create_consultation(school, Phase.OPEN)
    responder = make_user(language="en")
    respond(consultation, responder)
    consultation.closes_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    decision = insert_published(school, title="关于调整课后服务时间的决定", consultation_id=consultation.id)

    with app.app_context():
        consultations.publish_outcome(
            school_admin, consultation, {"heard": "多数家长支持。", "changes": "下学期起调整。", "themes": []}
        )
        db.session.commit()
    db.session.add(responder)
    jobs_run()

    (told,) = notifications_of(responder)
    assert told.params["decisions"] == [decision.number]
    assert told.endpoint == "consultations.show" and told.url_args == {"consultation_id": consultation.id}
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert words(told.event, told.params).endswith(f"Decisions that answer it: {decision.number}")
    (message,) = [m for m in outbox() if m["To"] == responder.email]
    text = body_text(message)
    assert f"Decisions that answer it: {decision.number}" in text
    assert f"{app.config['PORTAL_PUBLIC_URL'].rstrip('/')}/consultations/{consultation.id}" in text


# --- as each prefers ----------------------------------------------------------------------


def test_a_person_who_turned_a_kind_off_is_not_told_and_nothing_fails(db, send, school, school_admin, make_user):
    quiet = make_user(role="board_member", scope=school)
    notifications.set_preferences(quiet, quiet, {Kind.INBOX.value: Delivery.OFF.value})
    db.session.commit()

    send(make_user(), school)

    assert events_told(quiet) == []
    assert events_told(school_admin) == ["feedback.sent"]


def test_a_person_without_an_email_address_is_told_in_the_portal_and_gets_no_mail(
    db, send, school, make_user, school_admin, outbox, jobs_run
):
    parent = make_user(role="parent", scope=school)
    parent.email = ""
    db.session.commit()
    feedback = send(parent, school)

    feedback_services.change_feedback_status(school_admin, feedback, FeedbackStatus.IN_PROGRESS)
    db.session.commit()
    jobs_run()

    assert events_told(parent) == ["feedback.status_changed"]
    assert [m["To"] for m in outbox()] == [school_admin.email]  # the staff's mail about the new item only


def test_mail_at_once_for_replies_and_daily_digest_for_school_news_are_the_defaults(db, make_user):
    person = make_user()

    chosen = notifications.preferences_of(person)

    assert chosen[Kind.FEEDBACK] == Delivery.EMAIL
    assert chosen[Kind.MY_RESPONSES] == Delivery.EMAIL
    assert chosen[Kind.SCHOOL_NEWS] == Delivery.DIGEST


@pytest.mark.parametrize(
    ("language", "expected"),
    [("en", "until December 24, 2026 9:37 AM."), ("zh", "2026年12月24日 09:37截止。")],
)
def test_a_consultation_opening_says_until_when_in_the_readers_words_to_the_minute(
    app, compiled_catalogues, language, expected
):
    params = {
        "title": "关于调整课后服务时间的意见征集",
        "owner": {"zh": "测试第一小学", "en": "First Test Primary School"},
        "closes": datetime(2026, 12, 24, 1, 37, 24, tzinfo=UTC).isoformat(),
    }

    with app.test_request_context(headers={"Accept-Language": language}):
        said = words("consultation.opened", params)

    assert said.replace("\u202f", " ").endswith(expected)  # (CLDR puts a narrow space before AM)
    assert ":24" not in said  # no seconds
