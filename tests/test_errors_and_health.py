"""Translated error pages, and the health check load balancers ask."""

from datetime import UTC, datetime

import pytest
from sqlalchemy.exc import OperationalError

from portal.accounts import services as account_services
from portal.accounts.models import User
from portal.errors import render_error
from portal.schools import services as school_services
from tests.helpers.pages import CJK, ENGLISH, HTMX, PASSWORD, heading

ENGLISH_TITLES = {
    400: "Bad request",
    403: "Not allowed",
    404: "Page not found",
    405: "Not allowed",
    413: "Too large",
    422: "Could not process",
    429: "Too many attempts",
    500: "Something went wrong",
    503: "Temporarily unavailable",
}


@pytest.fixture
def server_errors_become_pages(app, monkeypatch):
    """In testing Flask re-raises errors to the test; here we want the page a person would see."""
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)


@pytest.fixture
def broken_home_page(monkeypatch, server_errors_become_pages):
    def broken():
        raise RuntimeError("something unexpected")

    monkeypatch.setattr(school_services, "districts_overview", broken)


@pytest.fixture
def error_responses(app, client, make_user, login_as, school, broken_home_page, rate_limits):
    """A way to cause each error code, for a client sending `headers`."""
    parent = make_user(role="parent", scope=school)
    make_user(email="limited@example.org", password=PASSWORD)

    def cause(code, headers):
        if code == 400:
            app.config["WTF_CSRF_ENABLED"] = True
            try:
                return client.post("/login", data={"email": "a@example.org", "password": "x"}, headers=headers)
            finally:
                app.config["WTF_CSRF_ENABLED"] = False
        if code == 403:
            login_as(parent)
            try:
                return client.get(f"/schools/{school.slug}/manage/invitations", headers=headers)
            finally:
                client.post("/logout")
        if code == 404:
            return client.get("/no-such-page", headers=headers)
        if code == 405:
            return client.get("/logout", headers=headers)
        if code == 413:
            limit = app.config["MAX_CONTENT_LENGTH"]
            app.config["MAX_CONTENT_LENGTH"] = 1024
            try:
                return client.post("/login", data={"email": "x" * 2048}, headers=headers)
            finally:
                app.config["MAX_CONTENT_LENGTH"] = limit
        if code == 429:
            rate_limits.reset()
            for _attempt in range(5):
                client.post("/login", data={"email": "limited@example.org", "password": "a wrong guess!!"})
            return client.post("/login", data={"email": "limited@example.org", "password": PASSWORD}, headers=headers)
        if code == 500:
            return client.get("/", headers=headers)
        raise AssertionError(code)

    return cause


@pytest.mark.parametrize("code", [400, 403, 404, 405, 413, 429, 500])
def test_error_page_in_english(error_responses, code):
    response = error_responses(code, ENGLISH)

    page = response.get_data(as_text=True)
    assert response.status_code == code
    assert '<html lang="en">' in page
    assert f'id="error-{code}"' in page
    assert heading(page) == ENGLISH_TITLES[code]
    assert f"Error code: {code}" in page
    assert response.headers["Content-Type"].startswith("text/html")


@pytest.mark.parametrize("code", [400, 403, 404, 405, 413, 429, 500])
def test_error_page_in_chinese_by_default(compiled_catalogues, error_responses, code):
    response = error_responses(code, {})

    page = response.get_data(as_text=True)
    assert response.status_code == code
    assert '<html lang="zh-CN">' in page
    assert f'id="error-{code}"' in page
    title = heading(page)
    assert CJK.search(title), f"untranslated title: {title!r}"
    assert title != ENGLISH_TITLES[code]


@pytest.mark.parametrize("code", [400, 403, 404, 413, 422, 429, 500, 503])
def test_every_error_code_has_its_own_translated_page(app, compiled_catalogues, code):
    with app.test_request_context(headers=ENGLISH):
        english, status = render_error(code)
    with app.test_request_context():
        chinese, _status = render_error(code)

    assert status == code
    assert heading(english) == ENGLISH_TITLES[code]
    assert f'id="error-{code}"' in english
    assert CJK.search(heading(chinese))


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("address", ["/consultations/0/responses/1/report", "/consultations/1/responses/0/report"])
def test_an_impossible_number_where_get_and_post_are_two_routes_is_not_found(client, db, method, address):
    # The report's form (GET) and its sending (POST) are two routes at one address: werkzeug
    # matched the address's shape for the other method before reading its numbers, and said 405.
    response = client.open(address, method=method, headers=ENGLISH)

    assert response.status_code == 404
    assert heading(response.get_data(as_text=True)) == ENGLISH_TITLES[404]


def test_a_method_an_address_does_not_take_is_still_not_allowed(client, db):
    response = client.put("/consultations/1/responses/1/report", headers=ENGLISH)

    assert response.status_code == 405
    assert "POST" in response.headers["Allow"] and "GET" in response.headers["Allow"]


def test_unexpected_status_codes_fall_back_to_a_general_page(app):
    with app.test_request_context(headers=ENGLISH):
        server, server_status = render_error(502)
        client, client_status = render_error(418)

    assert (server_status, heading(server)) == (502, "Something went wrong")
    assert (client_status, heading(client)) == (418, "Bad request")


def test_htmx_gets_the_error_as_a_fragment(client, db):
    response = client.get("/no-such-page", headers=HTMX | ENGLISH)

    page = response.get_data(as_text=True)
    assert response.status_code == 404
    assert page.lstrip().startswith('<div class="error-page" id="error-404">')
    assert "<html" not in page


def test_error_in_the_middle_of_a_change_saves_nothing(
    client, db, make_user, login_as, monkeypatch, server_errors_become_pages
):
    user = login_as(make_user(display_name="原来的名字"))

    def half_done(person, *, display_name, language):
        person.display_name = display_name
        db.session.flush()
        raise RuntimeError("crashed half way")

    monkeypatch.setattr(account_services, "update_profile", half_done)

    response = client.post("/me/profile", data={"display_name": "新名字", "language": "zh"}, headers=ENGLISH)

    assert response.status_code == 500
    assert heading(response.get_data(as_text=True)) == "Something went wrong"
    assert db.session.get(User, user.id).display_name == "原来的名字"


# Health check


def not_queued() -> dict:
    """What /healthz says of the jobs this process could not queue."""
    from portal import jobs

    failures = jobs.enqueue_failures()
    return {
        "not_queued": failures["count"],
        "last_not_queued_at": (
            datetime.fromtimestamp(failures["last_at"], UTC).isoformat() if failures["last_at"] else None
        ),
        "last_not_queued_job": failures["last_job"],
    }


def limits_answer(app) -> dict:
    """What /healthz says of rate limits (shared through Redis in CI's second run, else per
    process) and of the job queue (the suite keeps it in memory; nothing waits; what could not be
    queued is counted since the process started, so by earlier tests too)."""
    queue = {"jobs": {"queue": "MemoryStorage", "oldest_waiting_seconds": None, **not_queued()}}
    if app.config.get("REDIS_URL"):
        return {"redis": "ok", "rate_limits": "shared", **queue}
    return {"rate_limits": "per-process", **queue}


def test_health_check_reports_ok_as_json(app, client, db):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.is_json
    assert response.get_json() == {"status": "ok", "database": "ok", **limits_answer(app)}
    assert response.headers["Cache-Control"] == "no-store"


def test_health_check_answers_503_when_the_database_is_unreachable(app, client, db, monkeypatch):
    def unreachable(*args, **kwargs):
        raise OperationalError("SELECT 1", {}, ConnectionRefusedError("database is down"))

    monkeypatch.setattr(db.session, "execute", unreachable)

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.is_json
    assert response.get_json() == {"status": "unavailable", "database": "unavailable", **limits_answer(app)}


def test_health_check_says_how_long_the_oldest_background_job_has_waited(app, client, db, monkeypatch):
    from portal import jobs

    @jobs.task()
    def waits():  # never run here: it only sits in the queue
        pass

    enqueued = 1_000_000.0
    monkeypatch.setattr(jobs.time, "time", lambda: enqueued)
    waits(enqueued_at=enqueued)
    monkeypatch.setattr(jobs.time, "time", lambda: enqueued + 95.25)
    try:
        answer = client.get("/healthz").get_json()
    finally:
        jobs.huey.flush()

    assert answer["status"] == "ok"
    assert answer["jobs"] == {"queue": "MemoryStorage", "oldest_waiting_seconds": 95.2, **not_queued()}


def test_health_check_needs_no_login_and_sets_no_session(client, db):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert not any(header.startswith("session=") for header in response.headers.getlist("Set-Cookie"))


# When the database or Redis cannot be reached.


@pytest.fixture
def database_down(app, db, server_errors_become_pages):
    """From now on every statement fails as it does when PostgreSQL is stopped."""
    from sqlalchemy import event

    def refuse(conn, cursor, statement, parameters, context, executemany):
        raise OperationalError(statement, parameters, ConnectionRefusedError("connection refused"))

    with app.app_context():
        engine = db.engine
    down = {"now": False}

    def maybe_refuse(*args):
        if down["now"]:
            refuse(*args)

    event.listen(engine, "before_cursor_execute", maybe_refuse)
    try:
        yield lambda: down.update(now=True)
    finally:
        event.remove(engine, "before_cursor_execute", maybe_refuse)


@pytest.mark.parametrize("path", ["/", "/schools", "/decisions", "/consultations/1"])
def test_pages_answer_503_with_the_unavailable_page_when_the_database_is_unreachable(client, database_down, path):
    database_down()

    response = client.get(path, headers=ENGLISH)

    assert response.status_code == 503 and response.headers["Retry-After"] == "30"
    assert heading(response.get_data(as_text=True)) == "Temporarily unavailable"
    assert "nothing was changed" in response.get_data(as_text=True)


def test_logged_in_people_get_the_unavailable_page_too_not_a_bare_error(client, make_user, login_as, database_down):
    login_as(make_user())
    database_down()

    response = client.get("/me", headers=ENGLISH)

    assert response.status_code == 503
    assert heading(response.get_data(as_text=True)) == "Temporarily unavailable"


def test_posting_while_the_database_is_unreachable_answers_503(client, make_user, login_as, database_down):
    login_as(make_user())
    database_down()

    response = client.post("/me/profile", data={"display_name": "新名字", "language": "zh"}, headers=ENGLISH)

    assert response.status_code == 503 and response.headers["Retry-After"] == "30"


def test_the_unavailable_page_is_translated(client, compiled_catalogues, database_down):
    database_down()

    page = client.get("/", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)

    assert CJK.search(heading(page))


def test_a_query_that_is_wrong_is_still_the_500_page(client, db, server_errors_become_pages, monkeypatch):
    from sqlalchemy.exc import IntegrityError

    def broken():
        raise IntegrityError("INSERT", {}, Exception("a bug, not an outage"))

    monkeypatch.setattr(school_services, "districts_overview", broken)

    assert client.get("/").status_code == 500


REDIS_DOWN = """
import json, os, tempfile
os.environ["PORTAL_SECRET_KEY"] = "x"
from argon2 import PasswordHasher
from flask_migrate import upgrade
from portal import create_app
from portal.accounts import services
from portal.extensions import db
services._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
services._DUMMY_HASH = services._hasher.hash("dummy")
with tempfile.TemporaryDirectory() as tmp:
    app = create_app({
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/down.db", "WTF_CSRF_ENABLED": False,
        "REDIS_URL": "redis://127.0.0.1:1/0", "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:1/0",
    })
    with app.app_context():
        upgrade(directory="migrations")
        services.register_user(email="p@example.org", display_name="P", password="correct horse battery", language="en")
        db.session.commit()
    client = app.test_client()
    statuses = [client.post("/login", data={"email": "p@example.org", "password": "a wrong guess!!"}).status_code
                for _ in range(6)]
    good = client.post("/login", data={"email": "p@example.org", "password": "correct horse battery"}).status_code
    health = client.get("/healthz").get_json()
    print(json.dumps({"statuses": statuses, "good": good, "health": health}))
"""


def test_with_redis_unreachable_logins_still_work_and_limits_count_in_memory():
    """A process of its own (the limiter is one per process), with Redis on a port nobody listens on."""
    import json
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    run = subprocess.run([sys.executable, "-c", REDIS_DOWN], cwd=root, capture_output=True, text=True, timeout=120)

    assert run.returncode == 0, run.stderr[-2000:]
    answer = json.loads(run.stdout.strip().splitlines()[-1])
    assert answer["statuses"][:5] == [422] * 5  # refused as wrong, never 500
    assert answer["statuses"][5] == 429  # the sixth within a minute: counted in memory meanwhile
    assert answer["good"] == 429  # still limited for that account, as with Redis
    assert answer["health"]["redis"] == "unavailable"
    assert answer["health"]["rate_limits"] == "per-process (Redis unreachable)"
    assert answer["health"]["database"] == "ok"
