"""The portal as production runs it: gunicorn with portal/gunicorn_conf.py and 2 workers, on
PostgreSQL and Redis. A visitor reads the public pages, a parent logs in and responds to a
consultation, a moderator publishes the response, and the visitor sees it on the next request;
the page cache and the rate limits are shared by the two workers (a page rendered by one is a
cache hit in the other; the 6th failed login for an account is refused whichever answers).

Runs only with DATABASE_URL on PostgreSQL and REDIS_URL set (.ci/run's last step); about 15 s."""

import os
import re
import socket
import subprocess
import sys
import time
import uuid
from contextlib import nullcontext
from http.cookiejar import CookieJar
from pathlib import Path
from urllib.error import HTTPError
from urllib.parse import urlencode
from urllib.request import HTTPCookieProcessor, Request, build_opener

import pytest
from flask_migrate import upgrade

ROOT = Path(__file__).resolve().parent.parent
DATABASE_URL = os.environ.get("DATABASE_URL", "")
REDIS_URL = os.environ.get("REDIS_URL", "")

pytestmark = [
    pytest.mark.production,
    pytest.mark.skipif(
        not (DATABASE_URL.startswith("postgresql") and REDIS_URL),
        reason="the production smoke test needs PostgreSQL (DATABASE_URL) and Redis (REDIS_URL)",
    ),
]

PASSWORD = "correct horse battery"
ENGLISH = {"Accept-Language": "en"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """A database of its own, migrated, with a school, an open consultation, a parent and a moderator."""
    from sqlalchemy.engine import make_url

    from portal import create_app
    from portal.extensions import db
    from tests.helpers import factories
    from tests.helpers.consultations import create_consultation
    from tests.helpers.databases import new_postgres_database
    from tests.helpers.decisions import insert_published

    name = f"{make_url(DATABASE_URL).database}_smoke_{os.getpid()}"
    with new_postgres_database(DATABASE_URL, name) as url:
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "PORTAL_PUBLIC_URL": "http://127.0.0.1", "REDIS_URL": ""})
        with app.app_context():
            upgrade(directory=str(ROOT / "migrations"))
            city = factories.authority(**factories.CITY)
            district = factories.authority(**factories.DISTRICT, parent=city)
            school = factories.school(district, **factories.SCHOOL)
            parent = factories.user(email="smoke-parent@example.org", role="parent", scope=school)
            factories.user(email="smoke-moderator@example.org", role="moderator", scope=district)
            factories.user(email="smoke-guessed@example.org")  # whose password someone guesses
            consultation = create_consultation(school)
            decision = insert_published(school)
            world = {
                "url": url,
                "slug": school.slug,
                "consultation": consultation.id,
                "decision": decision.id,
                "parent": parent.email,
            }
            db.session.remove()
            db.engine.dispose()
        yield world


@pytest.fixture(scope="module")
def server(world, tmp_path_factory):
    """gunicorn with the portal's settings and 2 workers; its access log names the worker (pid)
    and the X-Cache of each answer."""
    folder = tmp_path_factory.mktemp("gunicorn")
    port = free_port()
    prefix = f"portal-smoke-{uuid.uuid4().hex}"
    environment = {
        **{key: value for key, value in os.environ.items() if not key.startswith("PORTAL_")},
        "DATABASE_URL": world["url"],
        "REDIS_URL": REDIS_URL,
        "PORTAL_SECRET_KEY": "smoke-test-secret",
        "PORTAL_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "PORTAL_PAGE_CACHE_PREFIX": prefix,
        "PORTAL_RATELIMIT_KEY_PREFIX": prefix,
        "PORTAL_ACCESS_LOG": "0",
        "PORTAL_JOBS": "memory",
    }
    access_log = folder / "access.log"
    command = [
        str(Path(sys.executable).with_name("gunicorn")),
        *("-c", "python:portal.gunicorn_conf", "--workers", "2", "--bind", f"127.0.0.1:{port}"),
        *("--access-logfile", str(access_log), "--access-logformat", "%(p)s %(m)s %(U)s?%(q)s %(s)s %({x-cache}o)s"),
        "app:app",
    ]
    errors = open(folder / "error.log", "w")  # noqa: SIM115 - gunicorn writes into it until the end
    process = subprocess.Popen(command, cwd=ROOT, env=environment, stderr=errors)
    address = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError((folder / "error.log").read_text()) from None
                time.sleep(0.2)
        yield {"address": address, "access_log": access_log}
    finally:
        process.terminate()
        process.wait(timeout=30)
        errors.close()
        import redis

        with redis.Redis.from_url(REDIS_URL) as store:
            for key in store.scan_iter(f"*{prefix}*"):
                store.delete(key)


class Browser:
    """A browser of its own: its cookies, no JavaScript."""

    def __init__(self, address):
        self.address = address
        self.opener = build_opener(HTTPCookieProcessor(CookieJar()))

    def get(self, path, **headers):
        return self._send(Request(self.address + path, headers={**ENGLISH, **headers}))

    def post(self, path, data):
        body = urlencode(data, doseq=True).encode()
        return self._send(Request(self.address + path, data=body, headers=ENGLISH))

    def _send(self, request):
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, dict(response.headers), response.read().decode()
        except HTTPError as error:
            return error.code, dict(error.headers), error.read().decode()

    def token(self, path):
        status, _, page = self.get(path)
        assert status == 200, (path, status)
        return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1), page

    def log_in(self, email, password=PASSWORD):
        token, _ = self.token("/login")
        return self.post("/login", {"email": email, "password": password, "csrf_token": token})


def served(access_log: Path) -> list[tuple[str, str, str, str, str]]:
    """(worker pid, method, path, status, x-cache) of each answer so far."""
    return [tuple(line.split(" ", 4)) for line in access_log.read_text().splitlines() if line.count(" ") >= 4]


def test_visitor_pages_answer(server, world):
    visitor = Browser(server["address"])
    for path in (
        "/",
        f"/schools/{world['slug']}",
        f"/consultations/{world['consultation']}",
        f"/decisions/{world['decision']}",
        "/healthz",
    ):
        status, _, _ = visitor.get(path)
        assert status == 200, path


def stalled_worker(address):
    """A connection that holds one worker (a request whose body never comes): the next requests
    go to the other worker."""
    host, port = address.removeprefix("http://").split(":")
    connection = socket.create_connection((host, int(port)))
    connection.sendall(f"POST /login HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Length: 100\r\n\r\n".encode())
    time.sleep(0.3)  # a worker has taken it, and waits for the body
    return connection


def test_a_page_rendered_by_one_worker_is_a_cache_hit_in_the_other(server, world):
    # A page no earlier request built: the directory searched for a word nobody else asks for (a
    # made-up argument would not do: a page takes only its own, page_cache.PageCache.taken_query).
    marker = uuid.uuid4().hex
    path = f"/schools?q={marker}"
    answers = []
    # Which worker the kernel hands a connection to is its choice (it kept handing a held one to
    # the same worker), so each is held in turn: one held, the other renders the page and is then
    # held too; the first, let go, is the only one free for the second request.
    first = stalled_worker(server["address"])
    answers.append(Browser(server["address"]).get(path))
    second = stalled_worker(server["address"])
    first.close()
    time.sleep(0.3)  # it answers the broken request, and waits for the next
    answers.append(Browser(server["address"]).get(path))
    second.close()
    time.sleep(0.3)  # the access log is written after the answer
    log = [entry for entry in served(server["access_log"]) if marker in entry[2]]

    assert all(status == 200 for status, _, _ in answers)
    caches = [(pid, cache.strip()) for pid, _, _, _, cache in log]
    assert len(caches) == 2 and caches[0][0] != caches[1][0], server["access_log"].read_text()[-3000:]
    assert [cache for _, cache in caches] == ["miss", "hit"], log  # rendered by one, kept for the other


def test_the_sixth_failed_login_is_refused_whichever_worker_answers(server, world):
    email = "smoke-guessed@example.org"
    statuses = []
    for attempt in range(7):
        # Every other attempt while a worker is held: the attempts are answered by both workers.
        with stalled_worker(server["address"]) if attempt % 2 else nullcontext():
            statuses.append(Browser(server["address"]).log_in(email, "a wrong guess!!")[0])

    assert statuses == [422] * 5 + [429] * 2
    time.sleep(0.3)
    logins = [(pid, status) for pid, method, path, status, _ in served(server["access_log"]) if path == "/login?"]
    assert len({pid for pid, status in logins if status in ("422", "429")}) == 2, logins


def test_a_response_published_by_a_moderator_shows_to_the_visitor_at_once(server, world):
    from tests.helpers.pages import forms_on

    consultation = f"/consultations/{world['consultation']}"
    visitor = Browser(server["address"])
    visitor.get(consultation)
    assert visitor.get(consultation)[1].get("X-Cache") == "hit"

    parent = Browser(server["address"])
    assert parent.log_in(world["parent"])[0] == 200  # followed the 303 to /me
    token, page = parent.token(consultation)
    action = f"{consultation}/response"
    fields = forms_on(page)[action]
    fields.update({"stance": ["support"], "body": ["冒烟测试：同意调整到17:30。"], "csrf_token": [token]})
    status, _, _ = parent.post(action, fields)
    assert status == 200

    moderator = Browser(server["address"])
    assert moderator.log_in("smoke-moderator@example.org")[0] == 200
    token, queue = moderator.token("/moderation")
    # The queue's item: one form to publish, one to reject (the same address, told apart by `action`).
    item = next(action for action, fields in forms_on(queue, "/moderation/responses/").items() if "expected" in fields)
    status, _, _ = moderator.post(item, {"action": "publish", "expected": "pending", "csrf_token": token})
    assert status == 200

    status, headers, page = visitor.get(consultation)
    assert status == 200
    assert "冒烟测试：同意调整到17:30。" in page
