"""Benchmark: the portal under gunicorn against a hello-world Flask app under the same gunicorn.

    make bench-tools                      # installs wrk (Debian), once
    .venv/bin/python bench/http.py [--seconds 5] [--rounds 3] [--connections 16]

Builds a throwaway SQLite database with the demo data (or fills the empty database DATABASE_URL
names), then starts four servers with portal/gunicorn_conf.py and 2 sync workers each: a hello
world, the portal with its page cache, the portal without it (PORTAL_PAGE_CACHE=0), all sharing
Redis (REDIS_URL, else redis://127.0.0.1:6379/14) under prefixes of their own. For each page, in
each round, wrk (-t2 -cN) runs against the hello world and then the page, alternating, so that
both meet the same machine; prints req/s, p99 and the ratio to hello world (median over rounds).
Every request says it accepts gzip, as browsers do.

Goals (issue 16): every public page a visitor opens at >= 0.6 of hello world from the cache,
>= 0.25 rendered. Logged-in pages are printed for reference (their goal is server time:
bench/profile_page.py), and so is /terms rendered, a page of fixed text in the portal's layout: the
floor under every rendered page, what the stack costs before any data.
"""

import os
import sys

if __name__ == "http":
    # This file's name is the standard library's `http`: a script run from bench/ (whose folder
    # comes first on sys.path) that imports `http` (Flask does) finds this file. It then stands
    # aside: the standard library's package takes its place, and the import goes on with that.
    # (Not when it is run again as `__mp_main__` by the PDF render children's fork server: the
    # standard library's `http` is imported there already.)
    import importlib.util
    import sysconfig

    _package = os.path.join(sysconfig.get_paths()["stdlib"], "http")
    _spec = importlib.util.spec_from_file_location(
        "http", os.path.join(_package, "__init__.py"), submodule_search_locations=[_package]
    )
    _module = importlib.util.module_from_spec(_spec)
    sys.modules["http"] = _module
    _spec.loader.exec_module(_module)

import argparse  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import socket  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from http.cookiejar import CookieJar  # noqa: E402
from pathlib import Path  # noqa: E402
from urllib.parse import urlencode  # noqa: E402
from urllib.request import HTTPCookieProcessor, Request, build_opener  # noqa: E402

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))

from bench_app import save_results, stop_on_sigterm, verdict  # noqa: E402

HELLO = """
from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello():
    return "Hello, World!"
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(port: int, process: subprocess.Popen, path: str = "/") -> None:
    """Until the server answers a request (both workers booted take a few seconds more)."""
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server on port {port} stopped")
        try:
            with build_opener().open(f"http://127.0.0.1:{port}{path}", timeout=5):
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"no answer on port {port}")


def gunicorn(app_spec: str, port: int, environment: dict, cwd: Path) -> subprocess.Popen:
    command = [
        str(Path(sys.executable).with_name("gunicorn")),
        *("-c", "python:portal.gunicorn_conf", "--workers", "2", "--bind", f"127.0.0.1:{port}"),
        app_spec,
    ]
    return subprocess.Popen(command, cwd=cwd, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


BROWSER_ENCODINGS = "Accept-Encoding: gzip, deflate, br"


def wrk(url: str, seconds: int, connections: int, cookie: str | None = None) -> tuple[float, float]:
    """(requests per second, p99 in ms) of `url`; non-2xx/3xx answers make it fail loudly."""
    # As a browser asks: every browser accepts gzip (the page cache keeps a gzipped copy).
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-H", BROWSER_ENCODINGS, url]
    if cookie:
        command[1:1] = ["-H", f"Cookie: {cookie}"]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    if "Non-2xx or 3xx responses" in output:
        raise RuntimeError(f"{url} answered errors:\n{output}")
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    value, unit = re.search(r"\s99%\s+([\d.]+)(us|ms|s)", output).groups()
    p99 = float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    return rate, p99


def build_database(folder: Path) -> tuple[str, dict]:
    """The demo data in a migrated database; returns its URL and the addresses to measure."""
    os.environ.setdefault("PORTAL_SECRET_KEY", "bench")
    from flask_migrate import upgrade
    from sqlalchemy import select

    from portal import create_app
    from portal.cli import seed_demo
    from portal.consultations.models import Consultation
    from portal.decisions.models import Decision, DecisionStatus
    from portal.documents import signing
    from portal.extensions import db

    url = os.environ.get("DATABASE_URL") or f"sqlite:///{folder / 'bench.db'}"
    key, cert = signing.generate_development_keys(folder / "key.pem", folder / "cert.pem")
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "REDIS_URL": "",
            "PORTAL_SIGNING_KEY": str(key),
            "PORTAL_SIGNING_CERT": str(cert),
            "PORTAL_OUTBOX_DIR": str(folder / "outbox"),
        }
    )
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        seed_demo()
        db.session.commit()
        consultation = db.session.scalar(select(Consultation).order_by(Consultation.id))
        decision = db.session.scalar(
            select(Decision).where(Decision.status == DecisionStatus.PUBLISHED).order_by(Decision.id)
        )
        pages = {
            "/": "/",
            "/schools/<slug>": "/schools/jiefang-road-primary",
            "/consultations/<id>": f"/consultations/{consultation.id}",
            "/decisions/<id>": f"/decisions/{decision.id}",
        }
        db.session.remove()
        db.engine.dispose()
    return url, pages


def session_cookie(port: int, email: str, password: str) -> str:
    """Log in through the form, as a browser does; the session cookie it gets."""
    jar = CookieJar()
    opener = build_opener(HTTPCookieProcessor(jar))
    page = opener.open(f"http://127.0.0.1:{port}/login").read().decode()
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    data = urlencode({"email": email, "password": password, "csrf_token": token}).encode()
    opener.open(Request(f"http://127.0.0.1:{port}/login", data=data))
    return "; ".join(f"{cookie.name}={cookie.value}" for cookie in jar)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: `make bench-tools` installs it (Debian's package)")

    folder = Path(tempfile.mkdtemp(prefix="portal-http-"))
    (folder / "hello_app.py").write_text(HELLO)
    print("building the demo database ...", flush=True)
    database_url, pages = build_database(folder)
    redis_url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/14"
    prefix = f"portal-bench-{uuid.uuid4().hex}"
    common = {
        **{key: value for key, value in os.environ.items() if not key.startswith("PORTAL_")},
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "PORTAL_SECRET_KEY": "bench",
        "PORTAL_ACCESS_LOG": "0",
        "PORTAL_RATELIMIT": "0",
        "PORTAL_PAGE_CACHE_PREFIX": prefix,
        "PORTAL_OUTBOX_DIR": str(folder / "outbox"),
        "PORTAL_JOBS": "memory",
    }
    ports = {name: free_port() for name in ("hello", "cached", "rendered")}
    servers = {
        "hello": gunicorn("hello_app:app", ports["hello"], common, folder),
        "cached": gunicorn(
            "app:app", ports["cached"], {**common, "PORTAL_PUBLIC_URL": f"http://127.0.0.1:{ports['cached']}"}, ROOT
        ),
        "rendered": gunicorn(
            "app:app",
            ports["rendered"],
            {**common, "PORTAL_PUBLIC_URL": f"http://127.0.0.1:{ports['rendered']}", "PORTAL_PAGE_CACHE": "0"},
            ROOT,
        ),
    }
    stop_on_sigterm(*servers.values())
    try:
        for name, process in servers.items():
            wait_for(ports[name], process)
        logged_in = session_cookie(ports["rendered"], "parent@example.org", "demo-pass-2035")
        runs = [(f"{page} (visitor, cached)", "cached", path, None) for page, path in pages.items()]
        runs += [(f"{page} (visitor, rendered)", "rendered", path, None) for page, path in pages.items()]
        # For reference, what this stack costs before any data: a page of fixed text in the
        # portal's layout, rendered (the floor under every rendered page above).
        runs += [("/terms (visitor, rendered, no data)", "rendered", "/terms", None)]
        runs += [
            ("/me (parent)", "rendered", "/me", logged_in),
            (f"{'/consultations/<id>'} (parent)", "rendered", pages["/consultations/<id>"], logged_in),
            ("/schools/<slug> (parent)", "rendered", pages["/schools/<slug>"], logged_in),
        ]
        for _name, server, path, cookie in runs:  # warm: templates compiled, the cache filled
            for _ in range(3):
                request = Request(f"http://127.0.0.1:{ports[server]}{path}", headers={"Cookie": cookie or ""})
                build_opener().open(request).read()
        results: dict[str, list[tuple[float, float, float]]] = {name: [] for name, *_ in runs}
        hello_rates = []
        for round_number in range(1, args.rounds + 1):
            print(f"round {round_number}/{args.rounds}", flush=True)
            for name, server, path, cookie in runs:
                hello, _ = wrk(f"http://127.0.0.1:{ports['hello']}/", args.seconds, args.connections)
                rate, p99 = wrk(f"http://127.0.0.1:{ports[server]}{path}", args.seconds, args.connections, cookie)
                hello_rates.append(hello)
                results[name].append((rate, p99, rate / hello))
    finally:
        for process in servers.values():
            process.terminate()
        for process in servers.values():
            process.wait(timeout=30)
        import redis

        with redis.Redis.from_url(redis_url) as store:
            for key in store.scan_iter(f"{prefix}*"):
                store.delete(key)

    engine = "PostgreSQL" if database_url.startswith("postgresql") else "SQLite"
    lines = [
        f"gunicorn, 2 sync workers each, wrk -t2 -c{args.connections} {args.seconds} s, {args.rounds} rounds, "
        f"{engine}, Redis; hello world median {statistics.median(hello_rates):.0f} req/s",
        f"{'page':<38} {'req/s':>8} {'p99 ms':>8} {'ratio':>6}  goal",
    ]
    for name, measured in results.items():
        rate = statistics.median(r for r, _, _ in measured)
        p99 = statistics.median(p for _, p, _ in measured)
        ratio = statistics.median(x for _, _, x in measured)
        goal = 0.6 if "cached" in name else 0.25 if "visitor" in name and "no data" not in name else None
        judged = f"{goal:.2f} {verdict(ratio >= goal)}" if goal else "-"
        lines.append(f"{name:<38} {rate:>8.0f} {p99:>8.1f} {ratio:>6.2f}  {judged}")
    print("\n".join(lines))
    save_results(lines, f"http-{engine.lower()}")


if __name__ == "__main__":
    main()
