"""The mails of a person's own data requests go through the mail queue like every other mail: the
goodbye after erasing an account, and the news that a copy of one's data could not be prepared.
A mail server that is down for a while loses neither; the erased address stays only in the
goodbye's row, and only until it is sent."""

import email
import email.policy
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.accounts.models import DataExport, ExportStatus, User
from portal.clock import utcnow
from portal.notifications import mail
from portal.notifications.models import Mail, MailStatus, Notification
from portal.pages import personal_data
from tests.helpers import factories
from tests.helpers.notifications import body_text
from tests.helpers.pages import ENGLISH, log_in

EMAIL = "zhang.min@example.org"


@pytest.fixture
def resident(db, make_user, school):
    person = make_user(role="parent", scope=school, email=EMAIL, display_name="家长 张敏")
    person.language = "en"
    db.session.commit()
    return person


def recipients(smtp_server) -> list[str]:
    return [address for addresses, _content in smtp_server.recorder.messages for address in addresses]


def rows_holding(db, address: str) -> list[Mail]:
    return list(db.session.scalars(select(Mail).where(Mail.to_address == address)))


# --- the goodbye after erasure ---------------------------------------------------------------------


def test_the_goodbye_waits_out_a_mail_server_that_is_down_then_goes_once(
    client, db, resident, smtp_server, jobs_run, run_job, later
):
    log_in(client, resident)
    assert client.post("/me/delete", data={"password": factories.PASSWORD}, headers=ENGLISH).status_code == 303

    jobs_run()  # the server is down: the goodbye waits in the queue, with the address it needs
    (goodbye,) = rows_holding(db, EMAIL)
    assert goodbye.status == MailStatus.QUEUED and goodbye.attempts == 1
    assert goodbye.subject == "Your account is deleted"
    assert "家长 张敏" not in goodbye.text_body  # it names nobody

    smtp_server.start()
    later(minutes=5)
    run_job(mail.deliver_mails)

    assert recipients(smtp_server) == [EMAIL]
    db.session.expire_all()
    assert db.session.get(Mail, goodbye.id).status == MailStatus.SENT
    # Sent: the erased address is gone from the database, its row keeps the account's pseudonym.
    assert rows_holding(db, EMAIL) == []
    assert db.session.get(Mail, goodbye.id).to_address == db.session.get(User, resident.id).email
    run_job(mail.deliver_mails)
    assert recipients(smtp_server) == [EMAIL]  # not twice


def test_an_undeliverable_goodbye_shows_on_the_mail_queue_and_keeps_the_address_thirty_days(
    client, db, resident, smtp_server, jobs_run, run_job, monkeypatch
):
    smtp_server.start()
    smtp_server.recorder.refuse.add(EMAIL)
    log_in(client, resident)
    client.post("/me/delete", data={"password": factories.PASSWORD})
    jobs_run()

    (goodbye,) = rows_holding(db, EMAIL)
    assert goodbye.status == MailStatus.FAILED  # on /oversight/mail, to be sent again
    assert goodbye in mail.mails_needing_attention(1).items

    soon = utcnow() + mail.UNDELIVERED_ADDRESS_KEPT - timedelta(hours=1)
    monkeypatch.setattr(mail, "utcnow", lambda: soon)
    run_job(mail.deliver_mails)
    assert len(rows_holding(db, EMAIL)) == 1

    past = utcnow() + mail.UNDELIVERED_ADDRESS_KEPT + timedelta(hours=1)
    monkeypatch.setattr(mail, "utcnow", lambda: past)
    run_job(mail.deliver_mails)
    assert rows_holding(db, EMAIL) == []


def test_mails_to_people_who_did_not_erase_their_account_keep_their_address(db, resident, run_job):
    db.session.add(Mail(user_id=resident.id, to_address=EMAIL, subject="s", text_body="t", html_body="h"))
    db.session.commit()

    run_job(mail.deliver_mails)  # no SMTP server configured: the run's outbox

    (sent,) = rows_holding(db, EMAIL)
    assert sent.status == MailStatus.SENT


def test_the_privacy_notice_says_how_long_the_goodbye_keeps_the_address(client):
    page = client.get("/privacy", headers=ENGLISH).get_data(as_text=True)

    assert "only in the mail that confirms the deletion, until it is sent" in page
    assert "at most 30 days" in page


# --- a copy of one's data that could not be prepared -----------------------------------------------


@pytest.fixture
def failing_export(monkeypatch):
    def broken(user, path):
        raise OSError("disk full")

    monkeypatch.setattr(personal_data, "write_export", broken)


def test_a_copy_that_fails_is_told_in_the_portal_and_by_mail_once_the_server_is_back(
    app, client, db, resident, smtp_server, failing_export, run_job, later
):
    log_in(client, resident)
    assert client.post("/me/data", headers=ENGLISH).status_code == 303
    export = db.session.scalars(select(DataExport).where(DataExport.user_id == resident.id)).one()

    with pytest.raises(OSError):  # the job fails, and says so in the worker's log
        run_job(personal_data.prepare_data_export, export.id)

    db.session.expire_all()
    assert db.session.get(DataExport, export.id).status == ExportStatus.FAILED
    (notice,) = db.session.scalars(select(Notification).where(Notification.user_id == resident.id))
    assert notice.event == "personal_data.export_failed"
    page = client.get("/me/notifications", headers=ENGLISH).get_data(as_text=True)
    assert "could not be prepared. Please ask for it again" in page

    run_job(mail.deliver_mails)  # the server is down: nothing is lost
    (told,) = rows_holding(db, EMAIL)
    assert told.status == MailStatus.QUEUED
    smtp_server.start()
    later(minutes=5)
    run_job(mail.deliver_mails)

    assert recipients(smtp_server) == [EMAIL]
    (content,) = [content for _to, content in smtp_server.recorder.messages]
    text = body_text(email.message_from_bytes(content, policy=email.policy.default))
    assert "could not prepare the copy" in text and "/me/data" in text  # where to ask again
    db.session.expire_all()
    assert db.session.get(Mail, told.id).status == MailStatus.SENT


def test_after_a_failed_copy_the_person_can_ask_again(client, db, resident, failing_export, run_job):
    log_in(client, resident)
    client.post("/me/data")
    export = db.session.scalars(select(DataExport).where(DataExport.user_id == resident.id)).one()
    with pytest.raises(OSError):
        run_job(personal_data.prepare_data_export, export.id)

    assert client.post("/me/data", headers=ENGLISH).status_code == 303

    exports = db.session.scalars(select(DataExport).where(DataExport.user_id == resident.id)).all()
    assert len(exports) == 2 and exports[-1].status == ExportStatus.PREPARING
