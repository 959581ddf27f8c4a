"""gunicorn's settings for the portal: `gunicorn -c python:portal.gunicorn_conf app:app` (the
top level of the repository holds only app.py). Command-line options (`--workers 4`) still win.

- workers: PORTAL_WORKERS (or WEB_CONCURRENCY), 1 by default.
- timeout: PORTAL_WORKER_TIMEOUT seconds (30): a worker silent for longer is killed and replaced;
  PostgreSQL cancels a web request's statement well before that (PORTAL_STATEMENT_TIMEOUT_MS).
- More than one worker without REDIS_URL: gunicorn refuses to start (each worker would count
  rate limits apart, so 5 failed logins per account would become 5 per worker).
"""

import os

workers = int(os.environ.get("PORTAL_WORKERS") or os.environ.get("WEB_CONCURRENCY") or 1)
timeout = int(os.environ.get("PORTAL_WORKER_TIMEOUT", 30))
graceful_timeout = timeout


def rate_limits_are_on() -> bool:
    return os.environ.get("PORTAL_RATELIMIT", "1").strip().lower() in {"1", "true", "yes", "on"}


def on_starting(server):
    """Before any worker starts: refuse several workers without a shared store for rate limits,
    and tell the application how many serve (create_app checks it again, in each worker)."""
    count = int(server.cfg.workers)
    if count > 1 and not os.environ.get("REDIS_URL") and rate_limits_are_on():
        # gunicorn prints a RuntimeError raised here as "Error: ..." and exits with status 1.
        raise RuntimeError(
            f"{count} workers but REDIS_URL is not set: each worker would count rate limits apart. "
            "Set REDIS_URL (shared by every worker), or run one worker."
        )
    os.environ["PORTAL_WORKERS"] = str(count)
