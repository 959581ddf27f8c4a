"""Background jobs: work that can be slow or large (publishing a decision's PDF, mail, fan-out to
thousands, digests) runs in a worker process, never in a request.

The queue is huey's: with nothing set it keeps its queue in a SQLite file in instance/ (one web
process and one worker: `make run` starts both); with REDIS_URL set it keeps it in Redis, shared
by any number of web processes and workers on any number of machines. `flask portal worker`
runs a worker.

Rules for every job: it takes ids and plain values, never ORM objects (the worker has its own
database session); it can run twice without harm (a retry after a crash, a second worker); it is
enqueued only when the transaction that asked for it commits (`after_commit`), so it never reads
rows that are not there yet and never runs for a change that was rolled back.
"""

import functools
import logging
import os
import time
from pathlib import Path

from flask import Flask, current_app, has_app_context
from huey import MemoryHuey, RedisHuey, SqliteHuey, crontab
from sqlalchemy import event
from sqlalchemy.orm import Session

from portal.extensions import sqlite_write_transaction

log = logging.getLogger(__name__)

INSTANCE = Path(__file__).resolve().parent.parent / "instance"
RETRIES = 5
RETRY_DELAY_SECONDS = 30


def _make_queue():
    """Redis with REDIS_URL; else a SQLite file (PORTAL_JOBS_DB, instance/jobs.db by default);
    PORTAL_JOBS=memory keeps it in this process (the test suite runs the jobs itself)."""
    if os.environ.get("PORTAL_JOBS") == "memory":
        return MemoryHuey("portal", results=False, utc=True)
    redis_url = os.environ.get("REDIS_URL", "")
    if redis_url:
        return RedisHuey("portal", url=redis_url, results=False, utc=True)
    path = Path(os.environ.get("PORTAL_JOBS_DB") or INSTANCE / "jobs.db")
    path.parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey("portal", filename=str(path), results=False, utc=True)


huey = _make_queue()
_app: Flask | None = None


def describe_queue() -> str:
    """Where the queue is kept, for the worker's first words and /healthz."""
    storage = type(huey.storage).__name__
    if "Redis" in storage:
        return "Redis (REDIS_URL)"
    if "Sqlite" in storage:
        return f"SQLite ({huey.storage.filename})"
    return storage


__all__ = [
    "after_commit",
    "crontab",
    "describe_queue",
    "enqueue",
    "enqueue_failures",
    "huey",
    "periodic",
    "task",
    "use_app",
]


def use_app(app: Flask) -> None:
    """The application the worker runs jobs in (set by `flask portal worker`)."""
    global _app
    _app = app


def _in_app_context(function):
    @functools.wraps(function)
    def run(*args, **kwargs):
        kwargs.pop("enqueued_at", None)  # for the queue's health (oldest_waiting_seconds), not the job
        if has_app_context():  # run at once (tests, or immediate mode)
            return function(*args, **kwargs)
        if _app is None:
            raise RuntimeError("a job ran without an application: start workers with `flask portal worker`")
        # Jobs write: on SQLite their transactions take the write lock at BEGIN (waiting the busy
        # timeout for a web request's), as web requests that write do, so a job never fails for
        # having read before somebody else wrote.
        token = sqlite_write_transaction.set(True)
        try:
            with _app.app_context():
                return function(*args, **kwargs)
        finally:
            sqlite_write_transaction.reset(token)

    return run


def task(**options):
    """A job: `@jobs.task()` on a function of ids and plain values. Retried RETRIES times with a
    delay when it raises; then logged."""
    options.setdefault("retries", RETRIES)
    options.setdefault("retry_delay", RETRY_DELAY_SECONDS)

    def decorate(function):
        return huey.task(**options)(_in_app_context(function))

    return decorate


def periodic(schedule, **options):
    """A job huey's scheduler runs by itself (`schedule` is a huey crontab, in UTC)."""

    def decorate(function):
        return huey.periodic_task(schedule, **options)(_in_app_context(function))

    return decorate


# --- enqueue on commit --------------------------------------------------------------------


def after_commit(session: Session, job, *args, **kwargs) -> None:
    """Enqueue `job(*args, **kwargs)` once `session`'s transaction commits (dropped on rollback)."""
    session.info.setdefault("jobs_after_commit", []).append((job, args, {**kwargs, "enqueued_at": time.time()}))


# Jobs this process could not queue (the queue unreachable): how many since it started, and the
# last, for /healthz. The change that asked for them is committed; what it asked for is carried
# out later where the feature provides for it (a publication: decisions/tasks.py's sweep).
_failures = {"count": 0, "last_at": None, "last_job": None}


def enqueue(job, *args, **kwargs) -> bool:
    """Queue `job(*args, **kwargs)` now: False (logged, and counted for /healthz) when the queue
    cannot take it, never an exception."""
    try:
        job(*args, **kwargs)
    except Exception:  # noqa: BLE001 - the caller's change stands; a job not queued is reported, never a 500
        (current_app.logger if has_app_context() else log).exception("could not enqueue %s", job)
        _failures["count"] += 1
        _failures["last_at"] = time.time()
        _failures["last_job"] = _name_of(job)
        return False
    return True


def _name_of(job) -> str:
    """A job's module and function (a huey TaskWrapper wraps the function; tests pass plain ones)."""
    function = getattr(job, "func", job)
    return f"{getattr(function, '__module__', '')}.{getattr(function, '__name__', repr(function))}"


def enqueue_failures() -> dict:
    """How many jobs this process could not queue since it started, and when the last was (a
    Unix time) and which job, for /healthz."""
    return dict(_failures)


@event.listens_for(Session, "after_commit")
def _enqueue_committed(session):
    if session.in_nested_transaction():  # a savepoint released: nothing is committed yet
        return
    pending = session.info.pop("jobs_after_commit", [])
    for job, args, kwargs in pending:
        enqueue(job, *args, **kwargs)


@event.listens_for(Session, "after_soft_rollback")
def _forget_rolled_back(session, previous_transaction):
    # "soft": also when the transaction had not yet sent anything to the database.
    if previous_transaction.nested:  # only a savepoint rolled back: the transaction goes on
        return
    session.info.pop("jobs_after_commit", None)


# --- health -------------------------------------------------------------------------------


def oldest_waiting_seconds(look_at: int = 1000) -> float | None:
    """How long the oldest job still waiting in the queue has waited (None: nothing waits, or the
    queue cannot tell). Jobs enqueued through after_commit carry their enqueueing time; the first
    `look_at` waiting jobs are read (the storages differ in which end is the oldest)."""
    try:
        pending = huey.pending(limit=look_at)
    except Exception:  # noqa: BLE001 - an unreachable queue is reported by the caller, never a 500
        return None
    moments = [task.kwargs.get("enqueued_at") for task in pending if task.kwargs]
    moments = [moment for moment in moments if isinstance(moment, int | float)]
    return max(time.time() - min(moments), 0.0) if moments else None
