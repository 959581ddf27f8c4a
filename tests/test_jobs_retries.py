"""A job that fails is tried again, RETRIES more times, RETRY_DELAY_SECONDS apart, and each
failure is logged with its error; after the last one it is not tried again. The test plays the
worker's part with huey's own machinery and moves its clock on, rather than waiting 30 s."""

import logging
from datetime import timedelta

from portal import jobs

attempts: list[int] = []


@jobs.task()
def refusing_job(feedback_id: int) -> None:
    attempts.append(feedback_id)
    raise RuntimeError("the mail server said no")


@jobs.task()
def job_that_works_the_second_time(feedback_id: int) -> None:
    attempts.append(feedback_id)
    if len(attempts) == 1:
        raise RuntimeError("the database was busy")


def test_a_failing_job_is_retried_five_times_thirty_seconds_apart_and_then_only_logged(app, caplog):
    attempts.clear()
    refusing_job(7)
    task = jobs.huey.dequeue()
    delays = []
    with app.app_context(), caplog.at_level(logging.ERROR, logger="huey"):
        at = None  # now, the first time; then the moment each retry is due, as the worker's clock says
        for _attempt in range(10):  # never more: a test that loops forever tells nothing
            ran_at = jobs.huey._get_timestamp()
            jobs.huey.execute(task, timestamp=at)
            waiting = jobs.huey.scheduled()
            if not waiting:
                break
            (retry,) = waiting
            delays.append((retry.eta - ran_at).total_seconds())
            # Not before its time; then the worker's scheduler takes it, as at that moment.
            assert jobs.huey.read_schedule(retry.eta - timedelta(seconds=1)) == []
            (task,) = jobs.huey.read_schedule(retry.eta)
            at = retry.eta

    assert attempts == [7] * (1 + jobs.RETRIES) == [7] * 6
    assert len(delays) == 5 and all(30 <= delay < 32 for delay in delays)
    assert jobs.huey.scheduled() == [] and jobs.huey.pending() == []
    failures = [record for record in caplog.records if "Unhandled exception in task" in record.getMessage()]
    assert len(failures) == 6
    assert all("the mail server said no" in str(record.exc_info[1]) for record in failures)


def test_a_job_that_fails_once_runs_again_and_is_done(app):
    attempts.clear()
    job_that_works_the_second_time(8)
    first = jobs.huey.dequeue()
    with app.app_context():
        jobs.huey.execute(first)
        (waiting,) = jobs.huey.scheduled()
        (retry,) = jobs.huey.read_schedule(waiting.eta)
        assert retry.retries == jobs.RETRIES - 1
        jobs.huey.execute(retry, timestamp=retry.eta)

    assert attempts == [8, 8]
    assert jobs.huey.scheduled() == []
