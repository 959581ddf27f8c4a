"""Mail: what a message looks like, sending through a real SMTP server (one started in the test),
a server that is down for a while, a refused address, a worker that died while sending, and the
unsubscribe link that works without logging in."""

import re
import time

import pytest
from itsdangerous import TimestampSigner
from sqlalchemy import select

from portal.audit import AuditEvent
from portal.clock import utcnow
from portal.consultations import services as consultations
from portal.consultations.models import Phase
from portal.extensions import db as _db
from portal.feedback import services as feedback_services
from portal.feedback.models import FeedbackStatus
from portal.notifications import mail, services
from portal.notifications.models import Delivery, Kind, Mail, MailStatus
from tests.helpers.consultations import create_consultation
from tests.helpers.feedback import token
from tests.helpers.notifications import body_html, body_text, events_told, mails_to
from tests.helpers.pages import ENGLISH
from tests.helpers.tokens import with_signature_changed

# --- an SMTP server of the test's own (tests/helpers/smtp.py) -----------------------------


@pytest.fixture
def told(db, make_user, school, school_admin):
    """told(n) -> n notifications that want a mail at once, to a parent (status changes of their
    feedback), committed; the staff's own mails about the new item are left out (mail off)."""

    def make(count=3, parent=None):
        services.set_preferences(school_admin, school_admin, {Kind.INBOX.value: Delivery.PORTAL.value})
        parent = parent or make_user(role="parent", scope=school, email="parent@example.org")
        for _ in range(count):
            feedback = feedback_services.send_feedback(
                parent,
                school,
                {"category": "canteen", "body": "午餐是凉的。", "private": False, "submission_token": token()},
            )
            feedback_services.change_feedback_status(school_admin, feedback, FeedbackStatus.IN_PROGRESS)
        db.session.commit()
        return parent

    return make


def statuses(db) -> list[str]:
    return [
        m.status.value
        for m in db.session.scalars(select(Mail).order_by(Mail.id).execution_options(populate_existing=True))
    ]


# --- the message ----------------------------------------------------------------------------


def test_a_mail_has_text_and_html_links_to_the_public_address_and_a_one_click_unsubscribe(
    app, db, told, outbox, jobs_run
):
    parent = told(1)
    jobs_run()

    (message,) = outbox()
    assert message["From"] == app.config["PORTAL_MAIL_FROM"] or "noreply@portal.invalid" in message["From"]
    assert message["To"] == parent.email
    assert message["Auto-Submitted"] == "auto-generated"
    unsubscribe = message["List-Unsubscribe"].strip()
    assert unsubscribe.startswith("<https://portal.test/unsubscribe/") and unsubscribe.endswith(">")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text, html = body_text(message), body_html(message)
    assert "https://portal.test/me/feedback/" in text
    assert 'href="https://portal.test/me/feedback/' in html
    assert "<img" not in html  # no tracking pixels, no images at all
    assert "portal.test/unsubscribe/" in text


def test_a_mail_written_during_a_request_to_another_trusted_name_links_only_to_the_public_address(
    app, db, told, outbox, jobs_run
):
    with app.test_request_context("/", base_url="http://portal.intranet"):
        told(1)
    jobs_run()

    (message,) = outbox()
    everything = message.as_string() + body_text(message) + body_html(message)
    assert "portal.intranet" not in everything
    assert "https://portal.test/me/feedback/" in body_text(message)


def test_a_mail_is_in_the_recipients_language_whatever_the_language_of_who_caused_it(
    db, make_user, school, told, outbox, jobs_run
):
    told(1, parent=make_user(role="parent", scope=school, email="zh@example.org", language="zh"))
    told(1, parent=make_user(role="parent", scope=school, email="en@example.org", language="en"))
    jobs_run()

    subjects = {message["To"]: message["Subject"] for message in outbox()}
    assert subjects["en@example.org"].endswith("“In progress”.")
    assert "已" in subjects["zh@example.org"] or "处理中" in subjects["zh@example.org"]


def test_a_line_break_in_a_consultation_title_never_reaches_the_mail_headers(
    db, school, school_admin, moderator, outbox, jobs_run
):
    consultation = create_consultation(school, Phase.DRAFT, title="关于作息\r\nBcc: everyone@example.org\r\n的征集")
    consultation.created_by_id = school_admin.id
    consultations.submit(school_admin, consultation)
    db.session.commit()

    consultations.send_back(moderator, consultation, "请补充理由。")
    db.session.commit()
    jobs_run()

    messages = [m for m in outbox() if m["To"] == school_admin.email]
    assert len(messages) == 1
    message = messages[0]
    assert message["Bcc"] is None
    assert "\n" not in message["Subject"] and "\r" not in message["Subject"]
    assert "Bcc: everyone@example.org" in message["Subject"]  # shown as the text it is, on one line


def test_a_mail_is_written_once_whichever_number_of_workers_look_for_it(db, told, jobs_run, run_job):
    parent = told(2)

    run_job(mail.deliver_mails)
    run_job(mail.deliver_mails)
    jobs_run()

    assert len(mails_to(parent)) == 2


# --- sending through a real SMTP server -------------------------------------------------------


def test_mails_reach_a_real_smtp_server(db, told, smtp_server, run_job):
    smtp_server.start()
    parent = told(3)

    run_job(mail.deliver_mails)

    assert len(smtp_server.recorder.messages) == 3
    assert all(recipients == [parent.email] for recipients, _ in smtp_server.recorder.messages)
    assert statuses(db) == ["sent"] * 3


def test_while_the_mail_server_is_down_nothing_is_lost_and_once_it_is_back_each_mail_goes_once(
    db, told, smtp_server, run_job, later
):
    told(3)

    run_job(mail.deliver_mails)  # the server is down
    assert statuses(db) == ["queued"] * 3
    assert all("Connection" in m.last_error or "refused" in m.last_error for m in db.session.scalars(select(Mail)))
    run_job(mail.deliver_mails)  # too early for a retry: nothing is attempted
    assert [m.attempts for m in db.session.scalars(select(Mail))] == [1, 1, 1]

    smtp_server.start()
    later(minutes=2)
    run_job(mail.deliver_mails)
    run_job(mail.deliver_mails)
    later(minutes=120)
    run_job(mail.deliver_mails)

    assert len(smtp_server.recorder.messages) == 3
    assert statuses(db) == ["sent"] * 3


def test_the_server_going_down_and_up_again_between_two_batches_loses_and_repeats_nothing(
    db, told, smtp_server, run_job, later
):
    smtp_server.start()
    parent = told(2)
    run_job(mail.deliver_mails)
    smtp_server.stop()
    told(2, parent=parent)
    run_job(mail.deliver_mails)
    smtp_server.start()
    later(minutes=5)

    run_job(mail.deliver_mails)

    assert len(smtp_server.recorder.messages) == 4
    assert statuses(db) == ["sent"] * 4


def test_an_address_the_server_refuses_is_marked_failed_and_shown_to_the_city_commission_admins(
    app, db, client, told, smtp_server, run_job, make_user, city, login_as
):
    smtp_server.start()
    smtp_server.recorder.refuse.add("parent@example.org")
    told(1)

    run_job(mail.deliver_mails)

    failed = db.session.scalars(select(Mail)).one()
    assert failed.status == MailStatus.FAILED
    assert "550" in failed.last_error
    login_as(make_user(role="commission_admin", scope=city))
    page = client.get("/oversight/mail").get_data(as_text=True)
    assert "parent@example.org" in page and "550" in page

    smtp_server.recorder.refuse.clear()
    response = client.post(f"/oversight/mail/{failed.id}/send-again")
    assert response.status_code == 303
    run_job(mail.deliver_mails)
    assert statuses(db) == ["sent"]
    assert _db.session.scalars(select(AuditEvent).where(AuditEvent.action == "mail.send_again")).one()


def test_sending_again_a_mail_that_was_already_sent_again_is_refused_with_a_message(
    db, client, told, make_user, city, login_as, jobs_run
):
    told(1)
    jobs_run()
    sent = db.session.scalars(select(Mail)).one()
    login_as(make_user(role="commission_admin", scope=city))

    response = client.post(f"/oversight/mail/{sent.id}/send-again", headers=ENGLISH, follow_redirects=True)

    assert "not failed or uncertain any more" in response.get_data(as_text=True)
    assert statuses(db) == ["sent"]


def test_only_commission_admins_of_the_city_see_the_mail_queue(
    db, client, make_user, district, moderator, login_as, school_admin
):
    for person, expected in (
        (make_user(role="commission_admin", scope=district), 403),
        (moderator, 403),
        (school_admin, 403),
    ):
        login_as(person)
        assert client.get("/oversight/mail").status_code == expected


def test_a_mail_a_worker_was_sending_when_it_died_is_marked_uncertain_and_not_sent_again_by_itself(
    db, told, smtp_server, run_job, later
):
    smtp_server.start()
    told(1)
    run_job(mail.write_due_mails)
    stuck = db.session.scalars(select(Mail)).one()
    stuck.status, stuck.attempts, stuck.next_attempt_at = MailStatus.SENDING, 1, utcnow()
    db.session.commit()

    later(minutes=11)
    run_job(mail.deliver_mails)

    assert statuses(db) == ["uncertain"]
    assert smtp_server.recorder.messages == []


# --- unsubscribing without logging in -------------------------------------------------------


@pytest.fixture
def subscriber(make_user):
    return make_user(email="subscriber@example.org")


def link(app, user, kind=Kind.FEEDBACK) -> str:
    with app.app_context():
        return f"/unsubscribe/{mail.unsubscribe_token(user.id, kind)}"


def test_opening_the_unsubscribe_link_asks_first_and_changes_nothing(app, db, client, subscriber):
    page = client.get(link(app, subscriber), headers=ENGLISH)

    assert page.status_code == 200
    assert "Stop these emails" in page.get_data(as_text=True)
    assert services.preferences_of(subscriber)[Kind.FEEDBACK] == Delivery.EMAIL


def test_pressing_stop_on_the_unsubscribe_page_stops_that_kind_of_mail_only(app, db, client, subscriber):
    response = client.post(link(app, subscriber))

    assert response.status_code == 200
    chosen = services.preferences_of(subscriber)
    assert chosen[Kind.FEEDBACK] == Delivery.PORTAL
    assert chosen[Kind.MY_RESPONSES] == Delivery.EMAIL
    audit = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "notifications.preferences")).one()
    assert audit.object_id == subscriber.id and audit.actor_id is None


def test_a_mail_program_one_click_unsubscribe_needs_no_session_and_no_form_token(app, db, csrf_client, subscriber):
    response = csrf_client.post(link(app, subscriber), data={"List-Unsubscribe": "One-Click"})

    assert response.status_code == 204
    assert services.preferences_of(subscriber)[Kind.FEEDBACK] == Delivery.PORTAL


def test_the_digest_unsubscribe_link_stops_the_digest(app, db, client, subscriber):
    with app.app_context():
        digest_link = f"/unsubscribe/{mail.unsubscribe_token(subscriber.id, None)}"

    client.post(digest_link)

    chosen = services.preferences_of(subscriber)
    assert chosen[Kind.SCHOOL_NEWS] == Delivery.PORTAL
    assert chosen[Kind.FEEDBACK] == Delivery.EMAIL


def changed(app, genuine: str, other_user_id: int) -> str:
    """The link with another person's id put in, and its genuine signature kept."""
    with app.app_context():
        other = mail.unsubscribe_token(other_user_id, Kind.FEEDBACK)
    _, stamp, signature = genuine.rsplit("/", 1)[1].split(".")
    return f"/unsubscribe/{other.split('.')[0]}.{stamp}.{signature}"


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("how", ["forged", "changed"])
def test_a_forged_or_changed_unsubscribe_link_says_so_and_changes_nothing(app, db, client, subscriber, method, how):
    genuine = link(app, subscriber)
    bad = with_signature_changed(genuine) if how == "forged" else changed(app, genuine, subscriber.id + 1)
    with app.app_context():
        assert bad != genuine and mail.read_unsubscribe_token(bad.rsplit("/", 1)[1]) is None

    response = getattr(client, method)(bad)

    assert response.status_code == 400
    assert "not valid" in response.get_data(as_text=True) or "无效" in response.get_data(as_text=True)
    assert services.preferences_of(subscriber)[Kind.FEEDBACK] == Delivery.EMAIL


def test_an_unsubscribe_link_older_than_its_lifetime_says_so_and_changes_nothing(
    app, db, client, subscriber, monkeypatch
):
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: int(time.time()) - mail.UNSUBSCRIBE_MAX_AGE - 60)
    old = link(app, subscriber)
    monkeypatch.undo()

    response = client.post(old)

    assert response.status_code == 400
    assert services.preferences_of(subscriber)[Kind.FEEDBACK] == Delivery.EMAIL


def test_an_unsubscribe_link_of_another_person_than_the_one_logged_in_changes_nothing(
    app, db, client, subscriber, make_user, login_as
):
    login_as(make_user())

    response = client.post(link(app, subscriber))

    assert response.status_code == 403
    assert services.preferences_of(subscriber)[Kind.FEEDBACK] == Delivery.EMAIL


def test_after_unsubscribing_the_person_is_still_told_in_the_portal_but_not_by_mail(
    app, db, client, told, make_user, school, jobs_run, outbox
):
    parent = make_user(role="parent", scope=school, email="parent@example.org")
    client.post(link(app, parent))

    told(1, parent=parent)
    jobs_run()

    assert events_told(parent)[-1] == "feedback.status_changed"
    assert [m["To"] for m in outbox()] == []


# --- what no title, name or request can do to a mail ----------------------------------------


def _sent_back_with_title(db, school, school_admin, moderator, title):
    consultation = create_consultation(school, Phase.DRAFT, title=title)
    consultation.created_by_id = school_admin.id
    consultations.submit(school_admin, consultation)
    db.session.commit()
    consultations.send_back(moderator, consultation, "请补充理由。")
    db.session.commit()


def test_a_line_break_in_a_title_adds_no_recipient_on_a_real_smtp_server(
    db, school, school_admin, moderator, smtp_server, run_job
):
    smtp_server.start()
    _sent_back_with_title(db, school, school_admin, moderator, "作息\r\nBcc: everyone@example.org\nCc: all@example.org")

    run_job(mail.deliver_mails)

    # The moderator was told it was submitted, its author that it was sent back: nobody else.
    recipients = sorted(tuple(to) for to, _ in smtp_server.recorder.messages)
    assert recipients == sorted([(school_admin.email,), (moderator.email,)])
    for _, raw in smtp_server.recorder.messages:
        assert "\nBcc:" not in raw.decode("ascii") and "\nCc:" not in raw.decode("ascii")


def test_markup_in_a_title_is_shown_as_text_in_the_html_part(db, school, school_admin, moderator, outbox, jobs_run):
    _sent_back_with_title(db, school, school_admin, moderator, '关于<script>alert(1)</script><img src="x">的征集')

    jobs_run()

    (message,) = [m for m in outbox() if m["To"] == school_admin.email]
    html = body_html(message)
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)</script>" in body_text(message)  # plain text is plain


def test_a_mail_written_while_a_request_came_to_another_host_links_only_to_the_public_address(
    app, db, told, outbox, run_job, monkeypatch
):
    """Another name the portal also answers to (PORTAL_TRUSTED_HOSTS, an internal address): the
    mail still links to PORTAL_PUBLIC_URL only. (An untrusted Host is refused with 400 first.)"""
    monkeypatch.setitem(app.config, "TRUSTED_HOSTS", [*(app.config.get("TRUSTED_HOSTS") or []), "internal.example"])
    told(1)
    with app.test_request_context("/", base_url="http://internal.example"):
        mail.write_due_mails()
    run_job(mail.deliver_mails)

    (message,) = outbox()
    raw = bytes(message).decode("utf-8", "replace")
    assert "internal.example" not in raw
    links = re.findall(r"https?://[^\s\"<>]+", body_text(message) + body_html(message) + message["List-Unsubscribe"])
    assert links and all(link.startswith("https://portal.test/") for link in links)


# --- people who get no mail -------------------------------------------------------------------


def test_a_person_who_turned_every_notification_off_gets_no_mail_and_the_school_still_works(
    db, client, login_as, make_user, school, school_admin, outbox, jobs_run
):
    parent = make_user(role="parent", scope=school, email="quiet@example.org")
    services.set_preferences(parent, parent, {kind.value: Delivery.OFF.value for kind in Kind})
    db.session.commit()
    feedback = feedback_services.send_feedback(
        parent, school, {"category": "canteen", "body": "午餐是凉的。", "private": False, "submission_token": token()}
    )
    db.session.commit()

    feedback_services.reply_to_feedback(school_admin, feedback, {"reply": "已处理。", "public": True})
    feedback_services.change_feedback_status(school_admin, feedback, FeedbackStatus.CLOSED)
    db.session.commit()
    jobs_run()

    assert events_told(parent) == []
    assert "quiet@example.org" not in [m["To"] for m in outbox()]
    assert mails_to(parent) == []


def test_a_person_whose_notifications_come_in_the_portal_only_gets_no_mail(db, told, make_user, school, jobs_run):
    parent = make_user(role="parent", scope=school, email="portal@example.org")
    services.set_preferences(parent, parent, {Kind.FEEDBACK.value: Delivery.PORTAL.value})
    db.session.commit()

    told(2, parent=parent)
    jobs_run()

    assert events_told(parent) == ["feedback.status_changed"] * 2
    assert mails_to(parent) == []


def test_a_closed_account_gets_no_mail_and_nothing_fails(db, told, make_user, school, jobs_run, outbox):
    parent = make_user(role="parent", scope=school, email="closed@example.org")
    told(1, parent=parent)
    parent.active = False
    db.session.commit()

    jobs_run()

    assert mails_to(parent) == []
    assert outbox() == []


# --- unsubscribe links that do not work ------------------------------------------------------


def test_an_unsubscribe_link_signed_with_another_key_is_not_valid(app, db, client, subscriber):
    from itsdangerous import URLSafeTimedSerializer

    forged = URLSafeTimedSerializer("not the portal's key", salt="portal-unsubscribe").dumps(
        {"u": subscriber.id, "k": "feedback"}
    )

    response = client.post(f"/unsubscribe/{forged}", headers=ENGLISH)

    assert response.status_code == 400
    assert "This unsubscribe link is not valid" in response.get_data(as_text=True)
    assert services.preferences_of(subscriber)[Kind.FEEDBACK] == Delivery.EMAIL


@pytest.mark.parametrize("method", ["get", "post"])
def test_an_expired_unsubscribe_link_shows_a_clear_page_and_changes_nothing(
    app, db, client, subscriber, monkeypatch, method
):
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: int(time.time()) - mail.UNSUBSCRIBE_MAX_AGE - 60)
    old = link(app, subscriber)
    monkeypatch.undo()

    response = getattr(client, method)(old, headers=ENGLISH)

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "older than a year. Nothing was changed." in page
    assert 'href="/me/notifications/settings"' in page
    assert services.preferences_of(subscriber)[Kind.FEEDBACK] == Delivery.EMAIL


def test_an_unsubscribe_link_of_an_account_that_is_gone_is_not_valid(app, db, client):
    response = client.post(link(app, type("Gone", (), {"id": 999_999_999})()), headers=ENGLISH)

    assert response.status_code == 400


@pytest.mark.parametrize("method", ["get", "post"])
def test_the_page_says_plainly_when_the_link_is_for_another_account(
    app, db, client, subscriber, make_user, login_as, method
):
    login_as(make_user())

    response = getattr(client, method)(link(app, subscriber), headers=ENGLISH)

    assert response.status_code == 403
    assert "This link was sent to another account than the one you are logged in with" in response.get_data(
        as_text=True
    )
    assert services.preferences_of(subscriber)[Kind.FEEDBACK] == Delivery.EMAIL


def test_the_person_the_link_is_for_may_use_it_while_logged_in(app, db, client, subscriber, login_as):
    login_as(subscriber)

    response = client.post(link(app, subscriber), headers=ENGLISH)

    assert response.status_code == 200
    assert "Done: you get no more of these emails." in response.get_data(as_text=True)
    assert services.preferences_of(subscriber)[Kind.FEEDBACK] == Delivery.PORTAL


def test_using_an_unsubscribe_link_twice_says_the_mails_were_already_stopped(app, db, client, subscriber):
    client.post(link(app, subscriber))

    again = client.post(link(app, subscriber), headers=ENGLISH)
    opened = client.get(link(app, subscriber), headers=ENGLISH)

    assert "These emails were already stopped." in again.get_data(as_text=True)
    assert "These emails are already stopped. Nothing needs to be done." in opened.get_data(as_text=True)
    audits = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "notifications.preferences")).all()
    assert len(audits) == 1


def test_a_mail_not_yet_written_when_the_person_turns_its_kind_off_is_never_sent(
    db, told, make_user, school, run_job, outbox
):
    parent = make_user(role="parent", scope=school, email="changed-mind@example.org")
    told(1, parent=parent)  # a notification that wants a mail at once; the job has not run yet

    services.set_preferences(parent, parent, {Kind.FEEDBACK.value: Delivery.PORTAL.value})
    db.session.commit()
    run_job(mail.deliver_mails)

    assert mails_to(parent) == []
    assert outbox() == []
    assert events_told(parent) == ["feedback.status_changed"]
