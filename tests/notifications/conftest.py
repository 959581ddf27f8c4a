"""Fixtures for notifications: the mails written into the run's outbox, jobs run as a worker
would run them, a mail server of the test's own (down until the test starts it), and the
mailer's clock moved on."""

import asyncio
import email
import email.policy
import shutil
from datetime import timedelta
from pathlib import Path

import pytest

from portal.clock import utcnow
from portal.notifications import mail
from tests.helpers.smtp import SmtpServer


@pytest.fixture
def outbox(app):
    """outbox() -> the mails written so far (email.message.EmailMessage), oldest first; the
    folder starts empty in every test."""
    folder = Path(app.config["PORTAL_OUTBOX_DIR"])
    shutil.rmtree(folder, ignore_errors=True)

    def read():
        if not folder.exists():
            return []
        return [
            email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            for path in sorted(folder.glob("*.eml"))
        ]

    yield read
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def jobs_run(run_jobs, db):
    """Run the waiting jobs as a worker would, keeping the test's objects usable afterwards."""

    def run():
        held = list(db.session.identity_map.values())
        ran = run_jobs()
        for obj in held:
            db.session.add(obj)
        return ran

    return run


@pytest.fixture
def run_job(app, db):
    """run_job(task, *args, **kwargs) runs one job (or a plain function of the jobs) now, as the
    worker or its schedule would,
    keeping the test's objects usable afterwards; returns what it returned."""

    def run(task, *args, **kwargs):
        held = list(db.session.identity_map.values())
        with app.app_context():
            result = getattr(task, "call_local", task)(*args, **kwargs)
        for obj in held:
            db.session.add(obj)
        return result

    return run


@pytest.fixture
def smtp_server(app):
    """A mail server on 127.0.0.1 that the test starts (it is down until then) and stops."""
    server = SmtpServer()
    app.config["PORTAL_SMTP_URL"] = server.url
    yield server
    server.stop()
    app.config["PORTAL_SMTP_URL"] = ""
    asyncio.set_event_loop(None)  # aiosmtpd leaves its loop set on this thread


@pytest.fixture
def later(monkeypatch):
    """later(minutes) moves the mailer's clock on, as if the minutes had passed."""

    def move(minutes):
        moment = utcnow() + timedelta(minutes=minutes)
        monkeypatch.setattr(mail, "utcnow", lambda: moment)

    return move
