"""gunicorn's settings for the portal: `gunicorn -c python:portal.gunicorn_conf app:app` (the
top level of the repository holds only app.py), or `flask portal serve`, which starts gunicorn
so and the job worker beside it. Command-line options (`--workers 4`) still win.

- bind: PORTAL_BIND (127.0.0.1:8000); put a reverse proxy (nginx) in front, which buffers slow
  clients for the synchronous workers.
- workers: PORTAL_WORKERS (or WEB_CONCURRENCY); else two per core with REDIS_URL (the portal is
  CPU-bound: rendering; a worker waiting on the database leaves the core to the other), one without.
- worker_class: sync. Each request holds its worker from start to end, which the portal's
  per-request transaction and statement timeout assume.
- timeout: PORTAL_WORKER_TIMEOUT seconds (30): a worker silent for longer is killed and replaced;
  PostgreSQL cancels a web request's statement well before that (PORTAL_STATEMENT_TIMEOUT_MS).
  graceful_timeout the same: on SIGTERM or SIGHUP (a new release) workers finish what they serve.
- max_requests: each worker is replaced after PORTAL_MAX_REQUESTS requests (50,000, with jitter so
  that workers are not all replaced at once), so no slow leak grows for ever. Not fewer: a new
  worker costs about 4 s of CPU to load the portal and 2 s more for its fork server, and a worker
  serving cached pages answers 400 and more a second, so at 2,000 it spent about half its time
  starting (bench/http.py measured cached pages at 840 req/s, 1,150 at 50,000).
- access log to stdout with each request's time in milliseconds (%(M)s).
- post_worker_init: each worker starts its fork server for /verify's parser and the PDF renderer
  when it starts, not at its first upload.
- More than one worker without REDIS_URL: gunicorn refuses to start (each worker would count
  rate limits apart, so 5 failed logins per account would become 5 per worker).
"""

import os


def _default_workers() -> int:
    if os.environ.get("REDIS_URL"):
        return 2 * (os.cpu_count() or 1)
    return 1


bind = os.environ.get("PORTAL_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("PORTAL_WORKERS") or os.environ.get("WEB_CONCURRENCY") or _default_workers())
worker_class = "sync"
timeout = int(os.environ.get("PORTAL_WORKER_TIMEOUT", 30))
graceful_timeout = timeout
keepalive = 2
max_requests = int(os.environ.get("PORTAL_MAX_REQUESTS", 50_000))
max_requests_jitter = max_requests // 10
accesslog = "-" if os.environ.get("PORTAL_ACCESS_LOG", "1") != "0" else None
access_log_format = '%(h)s "%(r)s" %(s)s %(B)s %(M)sms "%(a)s"'


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


def post_worker_init(worker):
    """In each worker, once the application is loaded: start its fork server (the PDF parser's and
    renderer's children come from it), so that the first file sent to /verify does not wait the
    seconds a fork server takes to start (portal/documents/checking.py)."""
    # Deferred: gunicorn's master reads this file before any worker exists, and must not import
    # the portal (each worker imports it after the fork).
    from portal.documents.checking import start_fork_server

    start_fork_server()
