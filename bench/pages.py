"""Benchmark: how the public pages and /me behave as data grows.

    .venv/bin/python bench/pages.py [--schools 2000] [--runs 50]

Builds a throwaway SQLite database (or uses DATABASE_URL, which it fills: point it at an empty
database), adds the given number of schools across 40 districts, then requests each page
`--runs` times and prints the median and 95th percentile time and the number of SQL queries
per request. Results are kept in bench/results/.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import event

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--schools", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()

    tmp = tempfile.mkdtemp(prefix="portal-bench-")
    os.environ.setdefault("PORTAL_SECRET_KEY", "bench")
    # The demo's jobs wait in this process (not in the developer's instance/jobs.db, which /healthz
    # would then read, 1,000 jobs at most: 1.6 → 4 ms after a few runs).
    os.environ.setdefault("PORTAL_JOBS", "memory")
    from flask_migrate import upgrade

    from portal import create_app
    from portal.accounts import services as account_services
    from portal.accounts.models import Role
    from portal.cli import seed_demo
    from portal.extensions import db
    from portal.schools.models import Authority, School, SchoolType

    url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp}/bench.db"
    app = create_app(
        # Without the page cache: this times what the pages cost to build (bench/http.py times the cache).
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "RATELIMIT_ENABLED": False,
            "WTF_CSRF_ENABLED": False,
            "PORTAL_PAGE_CACHE": False,
        }
    )
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        seed_demo()
        city = db.session.query(Authority).filter(Authority.parent_id.is_(None)).one()
        districts = []
        for d in range(40):
            authority = Authority(name_zh=f"基准区{d}", name_en=f"Bench District {d}", parent=city)
            db.session.add(authority)
            db.session.flush()
            authority.path = f"{city.path}{authority.id}/"
            districts.append(authority)
        types = list(SchoolType)
        db.session.add_all(
            School(
                slug=f"bench-{n}",
                name_zh=f"基准第{n}学校",
                name_en=f"Bench School {n}",
                authority=districts[n % len(districts)],
                type=types[n % len(types)],
                address=f"基准路 {n} 号",
            )
            for n in range(args.schools)
        )
        user = account_services.find_user_by_email("admin@example.org")
        for school in db.session.query(School).limit(50):
            account_services.grant_membership(None, user, Role.SCHOOL_ADMIN, school)
        db.session.commit()
        engine = db.engine

    queries = []
    event.listen(engine, "before_cursor_execute", lambda *a, **k: queries.append(1))
    visitor = app.test_client()
    member = app.test_client()
    member.post("/login", data={"email": "admin@example.org", "password": "demo-pass-2035"})
    print(f"{args.schools} schools, {args.runs} runs each ({engine.dialect.name})")
    print(f"{'page':<22} {'median ms':>10} {'p95 ms':>8} {'queries':>8}")
    for path, client in [("/", visitor), ("/", member), ("/login", visitor), ("/me", member), ("/healthz", visitor)]:
        times, counts = [], []
        for _ in range(args.runs):
            queries.clear()
            start = time.perf_counter()
            response = client.get(path)
            times.append((time.perf_counter() - start) * 1000)
            counts.append(len(queries))
            assert response.status_code == 200, (path, response.status_code)
        p95 = sorted(times)[int(len(times) * 0.95) - 1]
        who = "visitor" if client is visitor else "logged in"
        print(f"{path + ' (' + who + ')':<22} {statistics.median(times):>10.1f} {p95:>8.1f} {max(counts):>8}")


if __name__ == "__main__":
    main()
