"""What the benchmarks start from: the portal on a fresh, migrated database (SQLite in a new
temporary folder, or the PostgreSQL database in DATABASE_URL), with rate limits and CSRF off,
and a city with one district in it. Imported by the scripts beside it (`python bench/<x>.py`)."""

import os
import signal
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# A benchmark's jobs wait in its own process, not in the developer's instance/jobs.db (which /healthz
# reads, and `make run`'s worker would run): the queue is chosen when the portal is first imported,
# so this comes before. A benchmark that runs a worker beside it names its own (PORTAL_JOBS_DB, as
# bench/pdf_render.py does) or uses Redis.
if not os.environ.get("PORTAL_JOBS_DB") and not os.environ.get("REDIS_URL"):
    os.environ.setdefault("PORTAL_JOBS", "memory")


def migrated_app(**config):
    """A new app on a new database, migrated to the latest revision. Without the page cache unless
    `PORTAL_PAGE_CACHE=True` is given: these benchmarks time what a page costs to build (a visitor's
    second request would otherwise be the cache's, bench/http.py measures that)."""
    os.environ.setdefault("PORTAL_SECRET_KEY", "bench")
    config.setdefault("PORTAL_PAGE_CACHE", False)
    from flask_migrate import upgrade

    from portal import create_app

    if "SERVER_NAME" in config:  # the portal answers only its public address's host (TRUSTED_HOSTS)
        config.setdefault("PORTAL_PUBLIC_URL", f"https://{config['SERVER_NAME']}")
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{tempfile.mkdtemp(prefix='portal-bench-')}/bench.db"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "RATELIMIT_ENABLED": False, "WTF_CSRF_ENABLED": False, **config})
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
    return app


def city_and_district():
    """The authorities a benchmark's schools belong to (call inside an app context)."""
    from portal.schools import services as school_services

    city = school_services.create_authority(None, name_zh="基准市教委", name_en="Bench City")
    district = school_services.create_authority(None, name_zh="基准区教委", name_en="Bench District", parent=city)
    return city, district


def stop_on_sigterm(*processes) -> None:
    """When this benchmark is told to stop (SIGTERM: `kill`, a CI timeout), the servers it started
    stop first, then the benchmark, through its `finally`s: without this, Python dies at once and
    leaves its gunicorns serving."""

    def stop(signum, _frame):
        for process in processes:
            process.terminate()
        sys.exit(128 + signum)

    signal.signal(signal.SIGTERM, stop)


def percentile(values: list[float], fraction: float) -> float:
    """The value below which `fraction` of `values` lie (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


def verdict(ok: bool) -> str:
    return "ok" if ok else "OVER THE GOAL"


def save_results(lines: list[str], name: str) -> None:
    """Keep a run's figures in bench/results/<date>-<name>.txt, and say where."""
    results = ROOT / "bench" / "results"
    results.mkdir(exist_ok=True)
    out = results / f"{time.strftime('%Y-%m-%d')}-{name}.txt"
    out.write_text("\n".join(lines) + "\n")
    print(f"saved to {out.relative_to(ROOT)}")
