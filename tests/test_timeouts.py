"""Bounded time for web requests: PostgreSQL cancels a web request's statement after
PORTAL_STATEMENT_TIMEOUT_MS (never a job's or a command's), and a request slower than
PORTAL_SLOW_REQUEST_MS is logged with its method, path and duration."""

import itertools
import logging
import os
import uuid

import pytest
from sqlalchemy import create_engine, event, text
from sqlalchemy.exc import OperationalError

from portal import create_app, timeouts
from portal.extensions import db as _db
from portal.extensions import web_statement_timeout_ms
from tests.helpers.databases import new_postgres_database

POSTGRES = os.environ.get("DATABASE_URL", "")
if not POSTGRES.startswith("postgresql"):
    POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def postgres_reachable() -> bool:
    engine = create_engine(POSTGRES)
    try:
        with engine.connect():
            return True
    except OperationalError:
        return False
    finally:
        engine.dispose()


needs_postgres = pytest.mark.skipif(not postgres_reachable(), reason="no PostgreSQL server to test against")


@pytest.fixture
def seconds_per_request(monkeypatch):
    """set(seconds): every request seems to take that long (the clock moves on by it while it runs)."""

    def set_duration(seconds):
        ticks = itertools.count(step=seconds)
        monkeypatch.setattr(timeouts, "clock", lambda: next(ticks))

    return set_duration


def test_a_slow_request_is_logged_with_its_method_path_and_duration(client, caplog, seconds_per_request):
    seconds_per_request(1.5)

    with caplog.at_level(logging.WARNING):
        client.get("/schools?q=秘密的搜索")

    (record,) = [r for r in caplog.records if r.getMessage().startswith("slow request")]
    assert record.getMessage() == "slow request: GET /schools took 1500 ms"  # never the query string


def test_a_request_within_the_limit_is_not_logged(client, caplog, seconds_per_request):
    seconds_per_request(0.2)

    with caplog.at_level(logging.WARNING):
        client.get("/schools")

    assert not [r for r in caplog.records if r.getMessage().startswith("slow request")]


def test_the_slow_request_threshold_is_a_setting(app, client, caplog, seconds_per_request, monkeypatch):
    monkeypatch.setitem(app.config, "PORTAL_SLOW_REQUEST_MS", 100)
    seconds_per_request(0.2)

    with caplog.at_level(logging.WARNING):
        client.post("/login", data={})

    assert [r.getMessage() for r in caplog.records if r.getMessage().startswith("slow request")] == [
        "slow request: POST /login took 200 ms"
    ]


@pytest.fixture(scope="module")
def postgres_app():
    with new_postgres_database(POSTGRES, f"portal_timeouts_{uuid.uuid4().hex[:8]}") as url:
        app = create_app(
            {
                "TESTING": True,
                "SQLALCHEMY_DATABASE_URI": url,
                "PORTAL_PUBLIC_URL": "http://localhost",
                "PORTAL_STATEMENT_TIMEOUT_MS": 50,
                "RATELIMIT_ENABLED": False,
                "RATELIMIT_STORAGE_URI": "memory://",
            }
        )
        yield app
        with app.app_context():
            _db.engine.dispose()


@needs_postgres
def test_a_web_request_s_transactions_carry_the_statement_timeout(postgres_app):
    statements = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    with postgres_app.app_context():
        engine = _db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        response = postgres_app.test_client().get("/healthz")
    finally:
        event.remove(engine, "before_cursor_execute", record)

    assert response.status_code == 200
    assert "SET LOCAL statement_timeout = 50" in statements
    assert statements.index("SET LOCAL statement_timeout = 50") < statements.index("SELECT 1")


@needs_postgres
def test_a_statement_of_a_web_request_running_too_long_is_cancelled(postgres_app):
    # An OperationalError: the error pages answer it with 503 "temporarily unavailable" (errors.py).
    token = web_statement_timeout_ms.set(50)
    try:
        with postgres_app.app_context(), pytest.raises(OperationalError, match="statement timeout"):
            _db.session.execute(text("SELECT pg_sleep(2)"))
    finally:
        web_statement_timeout_ms.reset(token)
        with postgres_app.app_context():
            _db.session.rollback()


@needs_postgres
def test_jobs_and_commands_have_no_statement_timeout(postgres_app):
    with postgres_app.app_context():
        assert _db.session.scalar(text("SHOW statement_timeout")) == "0"
        _db.session.rollback()
