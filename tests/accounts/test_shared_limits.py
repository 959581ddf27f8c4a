"""Rate limits are shared by every web process when REDIS_URL is set: two processes of the
portal (each its own Flask app and its own limiter, as two gunicorn workers are) against one
Redis refuse the 6th failed login for an account within a minute, whichever process answers.

These tests start real processes (about two seconds each): in one process a second app would
share the first one's limiter, and prove nothing. The last test shows why Redis is needed: with
counters in each process's memory, the same six attempts all get through.
"""

import os
import subprocess
import sys
import uuid
from contextlib import contextmanager
from pathlib import Path
from urllib.error import HTTPError
from urllib.parse import urlencode
from urllib.request import Request, urlopen

import pytest
from flask_migrate import upgrade

from portal import UnsharedLimitsError, create_app
from portal.accounts import services
from portal.extensions import db as _db

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
EMAIL, PASSWORD = "parent@example.org", "correct horse battery"


def redis_reachable() -> bool:
    import redis

    try:
        with redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1) as store:
            return bool(store.ping())
    except redis.RedisError:
        return False


@pytest.fixture(scope="module")
def database_url(tmp_path_factory):
    """A SQLite file both processes use, with one parent's account."""
    url = f"sqlite:///{tmp_path_factory.mktemp('shared-limits') / 'portal.db'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "PORTAL_PUBLIC_URL": "http://127.0.0.1"})
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        services.register_user(email=EMAIL, display_name="家长", password=PASSWORD, language="zh")
        _db.session.commit()
        _db.engine.dispose()
    return url


def start_web_process(database_url: str, storage_uri: str, key_prefix: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.helpers.limits_server", database_url, storage_uri, key_prefix],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )


@contextmanager
def two_processes(database_url: str, storage_uri: str):
    """The addresses of two web processes sharing `storage_uri` (under a key prefix of their own),
    started side by side (each takes a few seconds to import the portal)."""
    key_prefix = f"portal-shared-limits-{uuid.uuid4().hex}"
    processes = [start_web_process(database_url, storage_uri, key_prefix) for _ in range(2)]
    try:
        yield [f"http://127.0.0.1:{int(process.stdout.readline())}" for process in processes]
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=10)
            process.stdout.close()
        if storage_uri.startswith("redis"):
            import redis

            with redis.Redis.from_url(storage_uri) as store:
                for key in store.scan_iter(f"{key_prefix}*"):
                    store.delete(key)


def log_in(address: str, password: str) -> int:
    data = urlencode({"email": EMAIL, "password": password}).encode()
    request = Request(f"{address}/login", data=data, headers={"Accept-Language": "en"})
    try:
        with urlopen(request, timeout=10) as response:
            return response.status
    except HTTPError as error:
        return error.code


def alternate_failed_logins(addresses: list[str], count: int) -> list[int]:
    return [log_in(addresses[attempt % 2], "a wrong guess!!") for attempt in range(count)]


@pytest.mark.skipif(not redis_reachable(), reason="no Redis to share the limits in")
def test_with_redis_the_sixth_failed_login_is_refused_whichever_process_answers(database_url):
    with two_processes(database_url, REDIS_URL) as addresses:
        statuses = alternate_failed_logins(addresses, 5)
        sixth_here, sixth_there = log_in(addresses[1], PASSWORD), log_in(addresses[0], PASSWORD)

    assert statuses == [422] * 5
    assert sixth_here == sixth_there == 429  # even with the right password, until the minute is over


def test_without_a_shared_store_each_process_counts_apart(database_url):
    """Why several processes need REDIS_URL (and refuse to start without it, below)."""
    with two_processes(database_url, "memory://") as addresses:
        statuses = alternate_failed_logins(addresses, 6)

    assert statuses == [422] * 6


def test_several_workers_without_redis_refuse_to_start():
    with pytest.raises(UnsharedLimitsError, match="REDIS_URL"):
        create_app({"PORTAL_WORKERS": 2, "REDIS_URL": ""})


# A Redis where nothing answers at once (a port nobody listens on), never a host name to look up:
# until it is collected, each app made here has its page cache renewed after the commits of later
# tests outside an app context, and a name with no name service to answer waited 5 s each time.
NOBODY_LISTENS = "redis://127.0.0.1:1/0"


@pytest.mark.parametrize(
    "settings",
    [
        {"PORTAL_WORKERS": 1, "REDIS_URL": ""},
        {"PORTAL_WORKERS": 4, "REDIS_URL": NOBODY_LISTENS},
        {"PORTAL_WORKERS": 4, "REDIS_URL": "", "RATELIMIT_ENABLED": False},
    ],
)
def test_one_worker_or_several_with_redis_start(settings):
    assert create_app(settings).config["PORTAL_WORKERS"] == settings["PORTAL_WORKERS"]


def test_gunicorn_with_two_workers_and_no_redis_refuses_to_start_and_says_why(tmp_path):
    environment = {key: value for key, value in os.environ.items() if key not in {"REDIS_URL", "PORTAL_WORKERS"}}
    run = subprocess.run(
        [
            str(Path(sys.executable).with_name("gunicorn")),
            *("-c", "python:portal.gunicorn_conf", "--workers", "2", "--bind", "127.0.0.1:0", "app:app"),
        ],
        cwd=ROOT,
        env={**environment, "PORTAL_SECRET_KEY": "x", "DATABASE_URL": f"sqlite:///{tmp_path}/portal.db"},
        capture_output=True,
        text=True,
        timeout=30,
    )

    assert run.returncode != 0
    assert "2 workers but REDIS_URL is not set" in run.stderr


def test_gunicorn_settings_tell_the_app_how_many_workers_serve(monkeypatch):
    import runpy
    from types import SimpleNamespace

    monkeypatch.setenv("REDIS_URL", NOBODY_LISTENS)
    # The hook below writes PORTAL_WORKERS into os.environ: set first, so that monkeypatch puts
    # the environment back as it was (else the next tests of this process inherit 3 workers).
    monkeypatch.setenv("PORTAL_WORKERS", "1")
    monkeypatch.delenv("PORTAL_WORKERS")
    settings = runpy.run_path(str(ROOT / "portal" / "gunicorn_conf.py"))

    settings["on_starting"](SimpleNamespace(cfg=SimpleNamespace(workers=3)))

    assert os.environ["PORTAL_WORKERS"] == "3"
    assert settings["timeout"] == 30
