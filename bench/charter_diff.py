"""Benchmark: the public charter diff on the pathological charter of issue 13.

    .venv/bin/python bench/charter_diff.py [--articles 800] [--runs 30] [--cold-runs 5]

Builds a throwaway SQLite database (or uses DATABASE_URL, which it fills: point it at an empty
database) with one school whose charter has seven adopted versions: five short ones, then
version 6 of `--articles` articles all reading "（删除）" and version 7 where every other one
reads "（保留）" instead. Then, as a visitor:

- the diff from 6 to 7 the first time it is asked for (worked out and stored), `--cold-runs`
  times, the stored comparison deleted before each;
- the same diff from storage, `--runs` times;
- the same diff for a browser that holds it (If-None-Match: 304);
- the page of version 7 (the same 800 articles, rendered), the baseline every figure is
  divided by, and the school's page.

Prints the median and 95th percentile time, the ratio of the median to the baseline's, and the
SQL queries per request. Results are kept in bench/results/.
"""

import argparse
import statistics
import sys
import time
from datetime import date
from pathlib import Path

from sqlalchemy import delete, event

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_app import city_and_district, migrated_app  # noqa: E402


def charter(texts: list[str]) -> str:
    from portal.charters.structure import chinese_numeral

    articles = "\n\n".join(f"**第{chinese_numeral(i + 1)}条** {text}" for i, text in enumerate(texts))
    return f"# 基准学校章程\n\n# 第一章 总则\n\n{articles}\n"


def build(app, articles: int) -> str:
    from portal.charters.models import CharterVersion
    from portal.extensions import db
    from portal.schools.models import School, SchoolType

    with app.app_context():
        _, district = city_and_district()
        school = School(
            slug="bench-charter",
            name_zh="基准章程学校",
            name_en="Bench Charter School",
            authority=district,
            type=SchoolType.PRIMARY,
        )
        db.session.add(school)
        db.session.flush()
        bodies = [charter([f"第{n}版的条文。"] * 5) for n in range(1, 6)]
        bodies.append(charter(["（删除）"] * articles))
        bodies.append(charter(["（删除）" if i % 2 == 0 else "（保留）" for i in range(articles)]))
        for number, body in enumerate(bodies, start=1):
            # Recorded as adopted directly (as versions adopted before the portal archived
            # charters are): the benchmark is about the diff, not about rendering PDFs.
            version = CharterVersion(school_id=school.id, number=number, body=body, change_note="")
            version.adopt(None, date(2020 + number, 1, 1), date(2020 + number, 1, 1))
            db.session.add(version)
        db.session.commit()
        return school.slug


def timed(client, path: str, queries: list, **headers) -> tuple[float, int, int]:
    queries.clear()
    started = time.perf_counter()
    response = client.get(path, headers=headers)
    elapsed = time.perf_counter() - started
    return elapsed, response.status_code, len(queries)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=800)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--cold-runs", type=int, default=5)
    args = parser.parse_args()

    from portal.charters.models import StoredCharterDiff
    from portal.charters.structure import parse
    from portal.extensions import db

    app = migrated_app()
    slug = build(app, args.articles)
    with app.app_context():
        engine = db.engine
    queries: list = []
    event.listen(engine, "before_cursor_execute", lambda *a, **k: queries.append(1))
    visitor = app.test_client()
    diff = f"/schools/{slug}/charter/diff?from=6&to=7"

    def forget_stored():
        with app.app_context():
            db.session.execute(delete(StoredCharterDiff))
            db.session.commit()
        parse.cache_clear()  # as a fresh worker would: nothing parsed yet

    rows = []

    def measure(label: str, path: str, runs: int, before=None, **headers):
        times, statuses, counts = [], set(), set()
        for _ in range(runs):
            if before:
                before()
            elapsed, status, count = timed(visitor, path, queries, **headers)
            times.append(elapsed)
            statuses.add(status)
            counts.add(count)
        rows.append((label, times, statuses, counts))

    visitor.get(f"/schools/{slug}")  # the session (and its CSRF token) every later request shares
    measure("version 7 (baseline)", f"/schools/{slug}/charter/versions/7", args.runs)
    measure("school page", f"/schools/{slug}", args.runs)
    measure("diff, first time", diff, args.cold_runs, before=forget_stored)
    measure("diff, stored", diff, args.runs)
    etag = visitor.get(diff).headers["ETag"]
    measure("diff, browser holds it", diff, args.runs, **{"If-None-Match": etag})

    baseline = statistics.median(rows[0][1])
    print(f"charter diff of {args.articles} articles, from 6 to 7 ({engine.dialect.name})")
    widths = (("request", "<24"), ("runs", ">5"), ("median ms", ">10"), ("p95 ms", ">8"), ("÷ baseline", ">10"))
    widths += (("status", ">7"), ("queries", ">8"))
    print(" ".join(f"{name:{width}}" for name, width in widths))
    for label, times, statuses, counts in rows:
        ordered = sorted(times)
        p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
        median = statistics.median(times)
        print(
            f"{label:<24} {len(times):>5} {median * 1000:>10.1f} {p95 * 1000:>8.1f} {median / baseline:>10.2f}"
            f" {'/'.join(map(str, sorted(statuses))):>7} {'/'.join(map(str, sorted(counts))):>8}"
        )


if __name__ == "__main__":
    main()
