"""Benchmark: load without loss. 1,000 people respond to one consultation, 50 at a time, against
gunicorn (portal/gunicorn_conf.py, 2 workers): each logs in through the form, opens the
consultation and sends a response. Prints how many responses were lost (answered as saved but
not in the database, or never saved), how many requests answered 5xx, and the p95 of the
response POSTs and of the logins.

    .venv/bin/python bench/load.py [--responses 1000] [--clients 50] [--stress]      # SQLite (WAL)
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1/empty .venv/bin/python bench/load.py

Two models of the 50 clients:
- people (the default): 50 people at once, each taking the time a person takes: the first 50
  arrive over 8 s, typing the address and password takes 0.8-2.4 s after the login page opens,
  reading the consultation and writing a response 3.2-9.6 s after it opens; when one is done the
  next person takes their place. The goal's p95 applies to this model.
- --stress: 50 programs that send each request the moment the last one is answered, with no time
  between: the portal's throughput (people per second), and how long a queue grows when more is
  asked than 2 workers serve (its p95 is the queue's, not the goal's).

SQLite: a new database in a temporary folder. PostgreSQL: DATABASE_URL names an empty database,
which it fills. Rate limits are off (1,000 logins from one address would meet the per-address
limit); the page cache is on, in Redis when REDIS_URL is set, else per process.
Goal (issue 16): 0 lost, 0 5xx, p95 < 300 ms for the response POSTs.

Meanwhile a visitor reads the public pages over and over (the home page, the school's page, the
list of decisions and the consultation's page, a request every 50 ms): the share of them served
from the page cache while responses pour in. A response renews only the pages built from the
tables it changes (the consultation's page), so the others stay kept (portal/page_cache.py).
"""

import argparse
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from http.cookiejar import CookieJar  # noqa: E402
from urllib.error import HTTPError, URLError  # noqa: E402
from urllib.parse import urlencode  # noqa: E402
from urllib.request import HTTPCookieProcessor, Request, build_opener  # noqa: E402

from bench_app import percentile, save_results, stop_on_sigterm, verdict  # noqa: E402

PASSWORD = "load test passphrase 2035"
# How long a person takes (the default model; --stress takes none).
ARRIVALS_SECONDS = 8
TYPING_SECONDS = (0.8, 2.4)  # the address and password, once the login page is open
READING_SECONDS = (3.2, 9.6)  # the consultation read and a response written


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def build(folder: Path, people: int) -> tuple[str, int]:
    """A migrated database with a school, an open consultation (published at once) and `people` accounts."""
    os.environ.setdefault("PORTAL_SECRET_KEY", "bench")
    from flask_migrate import upgrade

    from portal import create_app
    from portal.accounts import services as accounts
    from portal.accounts.models import User
    from portal.clock import utcnow
    from portal.consultations import services as consultations
    from portal.extensions import db
    from portal.schools import services as schools

    url = os.environ.get("DATABASE_URL") or f"sqlite:///{folder / 'load.db'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": ""})
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        city = schools.create_authority(None, name_zh="负载市", name_en="Load City")
        district = schools.create_authority(None, name_zh="负载区", name_en="Load District", parent=city)
        school = schools.create_school(
            None, district, slug="load-school", name_zh="负载学校", name_en="Load School", type="primary", address=""
        )
        now = utcnow()
        consultation = consultations.create_consultation(
            None,
            school=school,
            data={
                "title": "负载测试意见征集",
                "summary": "负载测试。",
                "proposal": "负载测试。",
                "audience": "registered",
                "moderation": "post",
                "opens_at": now - timedelta(days=1),
                "closes_at": now + timedelta(days=10),
            },
        )
        consultations.submit(None, consultation, now=now - timedelta(days=2))
        consultations.approve(None, consultation, now=now - timedelta(days=2))
        password_hash = accounts.hash_password(PASSWORD)  # the same for all: hashing 1,000 takes a minute
        db.session.add_all(
            User(email=f"load{n}@example.org", display_name=f"负载家长{n}", password_hash=password_hash)
            for n in range(people)
        )
        db.session.commit()
        consultation_id = consultation.id
        db.session.remove()
        db.engine.dispose()
    return url, consultation_id


def count_responses(url: str, consultation_id: int) -> int:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as connection:
        count = connection.execute(
            text("SELECT count(*) FROM consultation_response WHERE consultation_id = :id"), {"id": consultation_id}
        ).scalar_one()
    engine.dispose()
    return count


class Person:
    def __init__(self, address: str, number: int, consultation_id: int, record, think: bool, clients: int):
        self.address, self.number, self.consultation_id, self.record = address, number, consultation_id, record
        self.opener = build_opener(HTTPCookieProcessor(CookieJar()))
        self.chance = random.Random(number)
        self.think, self.clients = think, clients

    def pause(self, low: float, high: float) -> None:
        if self.think:
            time.sleep(self.chance.uniform(low, high))

    def send(self, kind: str, path: str, data: dict | None = None) -> tuple[int, str]:
        body = urlencode(data).encode() if data is not None else None
        started = time.perf_counter()
        try:
            with self.opener.open(Request(self.address + path, data=body), timeout=60) as answer:
                status, page = answer.status, answer.read().decode()
        except HTTPError as error:
            status, page = error.code, error.read().decode(errors="replace")
        except (URLError, OSError):
            status, page = 0, ""
        self.record(kind, status, (time.perf_counter() - started) * 1000)
        return status, page

    def respond(self) -> bool:
        """True when the portal said the response was saved."""
        if self.number < self.clients:
            self.pause(0, ARRIVALS_SECONDS)  # the first people arrive over a few seconds, not at once
        _, page = self.send("page", "/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page)
        if not token:
            return False
        self.pause(*TYPING_SECONDS)
        form = {"email": f"load{self.number}@example.org", "password": PASSWORD, "csrf_token": token.group(1)}
        status, _ = self.send("login", "/login", form)
        if status != 200:
            return False
        path = f"/consultations/{self.consultation_id}"
        status, page = self.send("page", path)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page)
        if status != 200 or not token:
            return False
        self.pause(*READING_SECONDS)
        form = {"stance": "support", "body": f"第{self.number}位家长的意见。", "csrf_token": token.group(1)}
        status, _ = self.send("response", f"{path}/response", form)
        return status == 200


VISITORS_PAGES = ("/", "/schools/load-school", "/decisions", "/consultations/{id}")


class Visitor(threading.Thread):
    """Reads the public pages in turn, without cookies, until told to stop; counts for each page
    how many were served from the cache (X-Cache: hit) and how many were built afresh."""

    def __init__(self, address: str, consultation_id: int):
        super().__init__(daemon=True)
        self.address, self.consultation_id = address, consultation_id
        self.stopped = threading.Event()
        self.counts = {path: {"hit": 0, "miss": 0, "other": 0} for path in VISITORS_PAGES}

    def run(self):
        opener = build_opener()
        while not self.stopped.is_set():
            for path in VISITORS_PAGES:
                request = Request(self.address + path.format(id=self.consultation_id))
                request.add_header("Accept-Language", "zh-CN,zh;q=0.9")
                try:
                    with opener.open(request, timeout=30) as answer:
                        answer.read()
                        cache = answer.headers.get("X-Cache", "other")
                except (URLError, OSError):
                    cache = "other"
                self.counts[path][cache if cache in ("hit", "miss") else "other"] += 1
                self.stopped.wait(0.05)


def share_kept(counts: dict[str, int]) -> str:
    seen = sum(counts.values())
    return f"{100 * counts['hit'] / max(1, seen):.0f} % of {seen}"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--responses", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--stress", action="store_true", help="no time between requests (throughput)")
    args = parser.parse_args()
    think = not args.stress

    folder = Path(tempfile.mkdtemp(prefix="portal-load-"))
    print("building the database ...", flush=True)
    url, consultation_id = build(folder, args.responses)
    port = free_port()
    environment = {
        **{key: value for key, value in os.environ.items() if not key.startswith("PORTAL_")},
        "DATABASE_URL": url,
        "PORTAL_SECRET_KEY": "bench",
        "PORTAL_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "PORTAL_ACCESS_LOG": "0",
        "PORTAL_RATELIMIT": "0",
        "PORTAL_JOBS": "memory",
        "PORTAL_OUTBOX_DIR": str(folder / "outbox"),
        "PORTAL_PAGE_CACHE_VERSION_FILE": str(folder / "page-cache-version"),
    }
    command = [
        str(Path(sys.executable).with_name("gunicorn")),
        *("-c", "python:portal.gunicorn_conf", "--workers", "2", "--bind", f"127.0.0.1:{port}", "app:app"),
    ]
    server = subprocess.Popen(command, cwd=ROOT, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    stop_on_sigterm(server)
    address = f"http://127.0.0.1:{port}"
    timings: dict[str, list[float]] = {"login": [], "page": [], "response": []}
    statuses: list[int] = []
    lock = threading.Lock()

    def record(kind, status, milliseconds):
        with lock:
            timings[kind].append(milliseconds)
            statuses.append(status)

    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                build_opener().open(address + "/healthz", timeout=5).read()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("gunicorn did not answer") from None
                time.sleep(0.3)
        print(f"{args.responses} responses from {args.clients} clients ...", flush=True)
        visitor = Visitor(address, consultation_id)
        visitor.start()
        started = time.perf_counter()
        with ThreadPoolExecutor(args.clients) as pool:
            saved = list(
                pool.map(
                    lambda n: Person(address, n, consultation_id, record, think, args.clients).respond(),
                    range(args.responses),
                )
            )
        elapsed = time.perf_counter() - started
        visitor.stopped.set()
        visitor.join(timeout=60)
    finally:
        server.terminate()
        server.wait(timeout=30)
    stored = count_responses(url, consultation_id)
    engine = "PostgreSQL" if url.startswith("postgresql") else "SQLite (WAL)"
    lost = args.responses - stored
    errors = sum(1 for status in statuses if status >= 500 or status == 0)
    p95 = percentile(timings["response"], 0.95) if timings["response"] else float("nan")
    model = "stress: no time between requests" if args.stress else "people: arriving over 8 s, typing, reading"
    goal = verdict(p95 < 300) if think else "(a queue's wait: the goal is for people)"
    lines = [
        f"{engine}: {args.responses} responses from {args.clients} clients ({model}), gunicorn 2 workers, "
        f"{elapsed:.0f} s, {args.responses / elapsed:.1f} people a second, load average {os.getloadavg()[0]:.1f}",
        f"said saved {sum(saved)}, in the database {stored}, lost {lost} {verdict(lost == 0)}",
        f"5xx or no answer: {errors} {verdict(errors == 0)}",
        f"response POST p95 {p95:.0f} ms {goal} (median {statistics.median(timings['response']):.0f} ms)",
        f"login POST p95 {percentile(timings['login'], 0.95):.0f} ms, "
        f"page GET p95 {percentile(timings['page'], 0.95):.0f} ms",
        "a visitor reading meanwhile, served from the page cache: "
        + ", ".join(f"{path.format(id='<id>')} {share_kept(counts)}" for path, counts in visitor.counts.items()),
    ]
    print("\n".join(lines))
    name = f"load-{'stress-' if args.stress else ''}{'postgresql' if url.startswith('postgresql') else 'sqlite'}"
    save_results(lines, name)


if __name__ == "__main__":
    main()
