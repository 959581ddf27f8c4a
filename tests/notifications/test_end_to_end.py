"""Issue #11's "done when", end to end: with PORTAL_SMTP_URL pointing at an SMTP server on
127.0.0.1, a parent who sent feedback receives a mail soon after the board answers it, with the
reference FB-… and a link to /me/feedback/<id>; the same is on their /me/notifications.

Nothing is run by hand here: a real worker (`flask --app app portal worker`) runs in a process of
its own, on the same SQLite database file as the portal of this test and the same SQLite job
queue file, and sends to an aiosmtpd server started by the test. The portal's side (the board
member answering through the management page) runs in this process on its own app, whose jobs
go into that queue file, as a web process's do without REDIS_URL.

It takes about 5 s, nearly all of it the worker process starting (importing the portal) and the
migrations of its database file: the price of a real second process; the mail itself arrives
well under a second after the answer."""

import asyncio
import email
import email.policy
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from flask_migrate import upgrade
from huey.storage import SqliteStorage
from sqlalchemy import event
from sqlalchemy.orm import Session

from portal import create_app, jobs
from portal.extensions import db as _db
from portal.extensions import sqlite_write_transaction
from portal.feedback import services as feedback_services
from tests.helpers import factories
from tests.helpers.feedback import token
from tests.helpers.notifications import body_html, body_text
from tests.helpers.pages import ENGLISH, log_in
from tests.helpers.smtp import SmtpServer

ROOT = Path(__file__).resolve().parents[2]
PUBLIC_URL = "https://portal.test"
SECRET = "end-to-end-secret-key"
WORKER_STARTS_WITHIN = 30  # seconds: importing the portal and WeasyPrint on a busy machine
MAIL_ARRIVES_WITHIN = 60  # the promise; on an idle machine it is about a second


@pytest.fixture
def smtp():
    server = SmtpServer()
    server.start()
    yield server
    server.stop()
    asyncio.set_event_loop(None)  # aiosmtpd leaves its loop set on this thread


@pytest.fixture
def portal(tmp_path, smtp, monkeypatch):
    """The portal on a database file of its own, its jobs going into a SQLite queue file."""
    database = f"sqlite:///{tmp_path / 'portal.db'}"
    queue = tmp_path / "jobs.db"
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database,
            "SECRET_KEY": SECRET,
            "SERVER_NAME": "portal.test",  # the test client's host: the one the portal answers
            "PORTAL_PUBLIC_URL": PUBLIC_URL,
            "PORTAL_SMTP_URL": smtp.url,
            "PORTAL_OUTBOX_DIR": str(tmp_path / "outbox"),
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
            "RATELIMIT_STORAGE_URI": "memory://",
        }
    )
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
    monkeypatch.setattr(jobs.huey, "storage", SqliteStorage("portal", filename=str(queue)))
    yield app, database, queue
    with app.app_context():
        _db.engine.dispose()


@pytest.fixture
def worker(portal, smtp, tmp_path):
    """`flask --app app portal worker` in its own process, on the portal's database and queue."""
    _app, database, queue = portal
    environment = {
        name: value
        for name, value in os.environ.items()
        if name not in ("PORTAL_JOBS", "REDIS_URL", "DATABASE_URL", "PORTAL_WORKERS", "WEB_CONCURRENCY")
    } | {
        "DATABASE_URL": database,
        "PORTAL_JOBS_DB": str(queue),
        "PORTAL_SMTP_URL": smtp.url,
        "PORTAL_PUBLIC_URL": PUBLIC_URL,
        "PORTAL_SECRET_KEY": SECRET,
        "PORTAL_OUTBOX_DIR": str(tmp_path / "outbox"),
        "PYTHONUNBUFFERED": "1",
    }
    log = (tmp_path / "worker.log").open("w+")
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "flask"), "--app", "app", "portal", "worker"],
        cwd=ROOT,
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + WORKER_STARTS_WITHIN
    while "Jobs: SQLite" not in (tmp_path / "worker.log").read_text() and time.monotonic() < deadline:
        assert process.poll() is None, (tmp_path / "worker.log").read_text()
        time.sleep(0.05)
    assert f"Jobs: SQLite ({queue})" in (tmp_path / "worker.log").read_text()
    yield process
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    log.close()


def mails_to(smtp, address: str) -> list[email.message.EmailMessage]:
    return [
        email.message_from_bytes(raw, policy=email.policy.default)
        for recipients, raw in list(smtp.recorder.messages)
        if address in recipients
    ]


def _write_lock_first_again(session):
    sqlite_write_transaction.set(True)


def test_a_parent_gets_a_mail_soon_after_the_board_answers_their_feedback_and_sees_it_in_the_portal(
    portal, worker, smtp
):
    app, _database, _queue = portal
    # This test writes beside a running worker, so its transactions take SQLite's write lock at
    # BEGIN, as the portal's web requests and jobs do (else a read before a worker's write makes
    # the test's own write fail with "database is locked").
    # A commit ends that mode (a web request commits once, then only reads): here each of the
    # factories' commits is followed by more writes, so the mode is set again after each.
    writes = sqlite_write_transaction.set(True)
    event.listen(Session, "after_commit", _write_lock_first_again)
    with app.app_context():
        city = factories.authority(**factories.CITY)
        school = factories.school(factories.authority(**factories.DISTRICT, parent=city), **factories.SCHOOL)
        parent = factories.user(role="parent", scope=school, email="parent@example.org", language="en")
        board = factories.user(role="board_member", scope=school, email="board@example.org")
        feedback = feedback_services.send_feedback(
            parent,
            school,
            {"category": "canteen", "body": "食堂的午餐经常是凉的。", "private": False, "submission_token": token()},
        )
        _db.session.commit()
        reference, feedback_id, slug = feedback.reference, feedback.id, school.slug
        board_client, parent_client = log_in(app.test_client(), board), log_in(app.test_client(), parent)
    event.remove(Session, "after_commit", _write_lock_first_again)
    sqlite_write_transaction.reset(writes)

    # The worker first tells the board of the new feedback; the board answers after that, as in life.
    arrived = time.monotonic()
    while not mails_to(smtp, "board@example.org") and time.monotonic() - arrived < MAIL_ARRIVES_WITHIN:
        assert worker.poll() is None, "the worker stopped"
        time.sleep(0.05)

    answered = board_client.post(
        f"/schools/{slug}/manage/feedback/{feedback_id}/reply",
        data={"reply": "已为食堂增加保温设备。", "visibility": "private", "mark_answered": "y"},
    )
    assert answered.status_code == 303
    answered_at = time.monotonic()

    while not mails_to(smtp, "parent@example.org") and time.monotonic() - answered_at < MAIL_ARRIVES_WITHIN:
        assert worker.poll() is None, "the worker stopped"
        time.sleep(0.05)
    took = time.monotonic() - answered_at

    (message,) = mails_to(smtp, "parent@example.org")
    assert took < MAIL_ARRIVES_WITHIN
    assert reference.startswith("FB-")
    assert message["Subject"] == f"First Test Primary School answered your feedback {reference}."
    assert f"{PUBLIC_URL}/me/feedback/{feedback_id}" in body_text(message)
    assert f'href="{PUBLIC_URL}/me/feedback/{feedback_id}"' in body_html(message)

    page = parent_client.get("/me/notifications", headers=ENGLISH).get_data(as_text=True)
    assert f"First Test Primary School answered your feedback {reference}." in page
    assert 'class="notification notification-unread"' in page
