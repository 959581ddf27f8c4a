"""/verify never lets one file keep the portal busy: a published file is recognised by its SHA-256
without being read; an unknown one is read in a child process with CPU, memory and time limits,
a few at once; one that hits a limit is "not checked"; when every slot is taken the visitor is
asked to send it again in a moment (503, Retry-After). Meanwhile the portal answers everyone else.

These run against a real threaded server (like production's), so that uploads happen at once."""

import fcntl
import http.client
import json
import tempfile
import threading
import time
import uuid
from pathlib import Path

import pytest
from flask_migrate import upgrade
from werkzeug.serving import make_server

from portal import create_app
from portal.documents import signing
from portal.extensions import db as _db
from portal.transparency.services import generate_log_key
from tests.helpers.crafted_pdfs import whitespace_bomb

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def server():
    """The portal on a free port, its own SQLite file and slot folder, for this module."""
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        key, cert = signing.generate_development_keys(tmp / "key.pem", tmp / "cert.pem")
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'verify.db'}",
                "PORTAL_SIGNING_KEY": str(key),
                "PORTAL_SIGNING_CERT": str(cert),
                "PORTAL_LOG_KEY": str(generate_log_key(tmp / "log-key.txt", "127.0.0.1/log")),
                "PORTAL_VERIFY_SLOT_DIR": str(tmp / "slots"),
                "PORTAL_VERIFY_PARSES": 2,
                "WTF_CSRF_ENABLED": False,
                "RATELIMIT_ENABLED": False,
                "RATELIMIT_STORAGE_URI": "memory://",
            }
        )
        with app.app_context():
            upgrade(directory=str(ROOT / "migrations"))
            _db.session.remove()
        httpd = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=httpd.serve_forever, daemon=True)
        thread.start()
        try:
            yield app, httpd.port, tmp / "slots"
        finally:
            httpd.shutdown()
            thread.join(timeout=10)
            httpd.server_close()
            with app.app_context():
                _db.engine.dispose()


def upload(port: int, pdf: bytes) -> tuple[int, dict, str, float]:
    """POST the file to /verify as a browser's form does: (status, headers, body, seconds)."""
    boundary = uuid.uuid4().hex
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="copy.pdf"\r\n'
            "Content-Type: application/pdf\r\n\r\n"
        ).encode()
        + pdf
        + f"\r\n--{boundary}--\r\n".encode()
    )
    started = time.monotonic()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request(
        "POST",
        "/verify",
        body=body,
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}", "Accept-Language": "en"},
    )
    answer = connection.getresponse()
    text = answer.read().decode("utf-8")
    connection.close()
    return answer.status, dict(answer.getheaders()), text, time.monotonic() - started


def get(port: int, path: str) -> tuple[int, str, float]:
    started = time.monotonic()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", path)
    answer = connection.getresponse()
    text = answer.read().decode("utf-8")
    connection.close()
    return answer.status, text, time.monotonic() - started


def verdict(page: str) -> str:
    return page.split('data-verdict="', 1)[1].split('"', 1)[0]


def test_a_crafted_pdf_is_answered_within_five_seconds_with_a_verdict(server):
    app, port, _slots = server

    status, _headers, page, seconds = upload(port, whitespace_bomb())

    assert status == 200 and seconds < 5
    assert verdict(page) in ("unknown", "unchecked")


def test_while_two_crafted_pdfs_are_checked_the_health_check_answers_within_a_second(server):
    app, port, _slots = server
    answers = []
    uploads = [threading.Thread(target=lambda: answers.append(upload(port, whitespace_bomb()))) for _ in range(2)]
    for thread in uploads:
        thread.start()
    time.sleep(0.3)  # both are being read now

    status, body, seconds = get(port, "/healthz")

    for thread in uploads:
        thread.join()
    assert status == 200 and json.loads(body)["database"] == "ok" and seconds < 1
    assert [answer[0] for answer in answers] == [200, 200]
    assert all(answer[3] < 5 for answer in answers)


def test_a_file_that_takes_longer_than_allowed_to_read_is_not_checked(server):
    app, port, _slots = server
    allowed = app.config["PORTAL_VERIFY_SECONDS"]
    app.config["PORTAL_VERIFY_SECONDS"] = 0.001  # no file is read that fast
    try:
        status, _headers, page, seconds = upload(port, whitespace_bomb(streams=2))
    finally:
        app.config["PORTAL_VERIFY_SECONDS"] = allowed

    assert status == 200 and seconds < 5
    assert verdict(page) == "unchecked"
    assert "Not checked: this file could not be read within the portal's limits." in page


def test_when_every_slot_is_taken_the_visitor_is_asked_to_send_the_file_again(server):
    app, port, slots = server
    slots.mkdir(parents=True, exist_ok=True)
    held = []
    for number in range(app.config["PORTAL_VERIFY_PARSES"]):
        handle = open(slots / f"verify-slot-{number}.lock", "a+")  # released below
        fcntl.flock(handle, fcntl.LOCK_EX)
        held.append(handle)
    try:
        status, headers, page, _seconds = upload(port, b"%PDF-1.7 not really a pdf")
    finally:
        for handle in held:
            fcntl.flock(handle, fcntl.LOCK_UN)
            handle.close()

    assert status == 503 and headers["Retry-After"] == "10"
    assert "Many files are being checked right now. Please send yours again in a few seconds." in page
    assert 'data-verdict="' not in page
    assert upload(port, b"%PDF-1.7 not really a pdf")[0] == 200  # free again
