"""Issue #12's "done when" for verification and reset, against a real SMTP server on 127.0.0.1
(PORTAL_SMTP_URL): the mails go through the mail queue and the job that sends it, as a worker
runs it, and the person acts only on what arrived in their mailbox."""

import asyncio
import email
import email.policy

import pytest
from sqlalchemy import func, select

from portal.accounts.models import User
from tests.helpers.account_mail import LINK
from tests.helpers.pages import ENGLISH, PASSWORD, location_path, log_in
from tests.helpers.smtp import SmtpServer

NEW_PASSWORD = "a brand new passphrase"


@pytest.fixture
def smtp(app):
    server = SmtpServer()
    server.start()
    app.config["PORTAL_SMTP_URL"] = server.url
    yield server
    app.config["PORTAL_SMTP_URL"] = ""
    server.stop()
    asyncio.set_event_loop(None)  # aiosmtpd leaves its loop set on this thread


def mailbox(smtp, address: str) -> list[email.message.EmailMessage]:
    return [
        email.message_from_bytes(raw, policy=email.policy.default)
        for recipients, raw in list(smtp.recorder.messages)
        if address in recipients
    ]


def link_in(message) -> str:
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    (path,) = set(LINK.findall(text))
    assert path in html
    return path


def test_a_new_person_registers_only_through_the_mailed_link(app, client, db, smtp, run_jobs):
    address = "newcomer@example.org"
    # Sending a name and a password along with the address makes no account: only the link does.
    client.post("/register", data={"email": address, "display_name": "新人", "password": NEW_PASSWORD})
    assert db.session.scalar(select(func.count()).select_from(User).where(User.email == address)) == 0

    run_jobs()

    (message,) = mailbox(smtp, address)
    assert message["To"] == address and "List-Unsubscribe" not in message
    link = link_in(message)
    response = client.post(
        link, data={"display_name": "新人", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}, headers=ENGLISH
    )
    assert response.status_code == 303 and location_path(response) == "/me"
    assert client.get("/me").status_code == 200
    assert app.test_client().post(link, data={"display_name": "又一个", "password": NEW_PASSWORD}).status_code == 410


def test_a_known_address_is_told_by_mail_and_offered_a_new_password(client, db, make_user, smtp, run_jobs):
    make_user(email="parent@example.org", language="en")

    client.post("/register", data={"email": "parent@example.org"})
    run_jobs()

    (message,) = mailbox(smtp, "parent@example.org")
    assert message["Subject"] == "You already have an account"
    assert link_in(message).startswith("/password/reset/")


def test_a_forgotten_password_is_reset_through_the_mailed_link(app, client, db, make_user, smtp, run_jobs):
    person = make_user(email="forgetful@example.org", password=PASSWORD)
    phone, laptop = log_in(app.test_client(), person), log_in(app.test_client(), person)
    assert phone.get("/me").status_code == laptop.get("/me").status_code == 200

    client.post("/password/reset", data={"email": "forgetful@example.org"})
    client.post("/password/reset", data={"email": "nobody-here@example.org"})
    run_jobs()

    assert mailbox(smtp, "nobody-here@example.org") == []
    (message,) = mailbox(smtp, "forgetful@example.org")
    link = link_in(message)
    response = client.post(link, data={"new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 303 and client.get("/me").status_code == 200

    def logs_in(password):
        answer = app.test_client().post("/login", data={"email": "forgetful@example.org", "password": password})
        return answer.status_code == 303

    assert not logs_in(PASSWORD)  # the old password fails
    assert logs_in(NEW_PASSWORD)
    assert app.test_client().get(link).status_code == 410  # the link fails a second time
    assert phone.get("/me").status_code == laptop.get("/me").status_code == 302  # every other session ended
