"""Benchmark: where a page's time goes, in one process (no server, no network).

    .venv/bin/python bench/profile_page.py [--runs 100] [--top 20] [--page /consultations/1 ...]

Builds a throwaway SQLite database with the demo data (or fills the empty database DATABASE_URL
names), then for each page, as a visitor (rendered: the page cache is off here) and as the demo
parent: the median time of `--runs` requests and the SQL queries of one, then a cProfile of
`--runs` more, its top functions by own time. Goal (issue 16): logged-in pages <= 10 ms median.
"""

import argparse
import cProfile
import io
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import event, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_app import migrated_app, save_results, verdict  # noqa: E402

LOGGED_IN_GOAL_MS = 10.0


def demo_app():
    from portal.documents import signing

    folder = Path(tempfile.mkdtemp(prefix="portal-profile-"))
    key, cert = signing.generate_development_keys(folder / "key.pem", folder / "cert.pem")
    app = migrated_app(
        PORTAL_SIGNING_KEY=str(key),
        PORTAL_SIGNING_CERT=str(cert),
        PORTAL_OUTBOX_DIR=str(folder / "outbox"),
        PORTAL_PAGE_CACHE=False,
        REDIS_URL="",
        SERVER_NAME="portal.bench",
    )
    from portal.cli import seed_demo
    from portal.extensions import db

    with app.app_context():
        seed_demo()
        db.session.commit()
    return app


def default_pages(app) -> list[str]:
    from portal.consultations.models import Consultation
    from portal.decisions.models import Decision, DecisionStatus
    from portal.extensions import db

    with app.app_context():
        consultation = db.session.scalar(select(Consultation.id).order_by(Consultation.id))
        decision = db.session.scalar(
            select(Decision.id).where(Decision.status == DecisionStatus.PUBLISHED).order_by(Decision.id)
        )
    return ["/", "/schools/jiefang-road-primary", f"/consultations/{consultation}", f"/decisions/{decision}", "/me"]


def logged_in_client(app):
    from portal.accounts import services
    from portal.extensions import db

    client = app.test_client()
    with app.app_context():
        user = services.find_user_by_email("parent@example.org")
        services.start_session(user, user_agent="bench")
        db.session.commit()
        session_id = user.get_id()
    with client.session_transaction() as session:
        session["_user_id"] = session_id
        session["_fresh"] = True
    return client


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--top", type=int, default=20)
    parser.add_argument("--page", action="append", help="an address to profile (repeatable)")
    args = parser.parse_args()

    print("building the demo database ...", flush=True)
    app = demo_app()
    pages = args.page or default_pages(app)
    with app.app_context():
        from portal.extensions import db

        engine = db.engine
    queries: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *a, **k: queries.append(a[2]))
    clients = {"visitor": app.test_client(), "parent": logged_in_client(app)}
    lines = [f"{'page':<40} {'who':<8} {'median ms':>9} {'queries':>8}  goal"]
    profiles = []
    for path in pages:
        for who, client in clients.items():
            if path == "/me" and who == "visitor":
                continue
            for _ in range(5):
                assert client.get(path).status_code == 200, (path, who)
            times = []
            for _ in range(args.runs):
                started = time.perf_counter()
                client.get(path)
                times.append((time.perf_counter() - started) * 1000)
            queries.clear()
            client.get(path)
            median = statistics.median(times)
            goal = f"{LOGGED_IN_GOAL_MS:.0f} ms {verdict(median <= LOGGED_IN_GOAL_MS)}" if who == "parent" else "-"
            lines.append(f"{path:<40} {who:<8} {median:>9.2f} {len(queries):>8}  {goal}")
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(args.runs):
                client.get(path)
            profiler.disable()
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(args.top)
            title = f"== {path} as {who}: top {args.top} by own time, {args.runs} requests =="
            profiles.append(f"{title}\n{out.getvalue()}")
    print("\n".join(profiles))
    print("\n".join(lines))
    save_results(lines, "profile-page")


if __name__ == "__main__":
    main()
