"""The child process that reads an unknown PDF for /verify really is bounded: its memory limit
ends it (the verdict is "not checked", never a crash of the web process or a hang), and the
wall-clock limit counts from before the child is started, so a slow start (the fork server
starting on a busy machine) is inside the visitor's wait, not added to it.

These call portal.documents.checking.check_signature as /verify does; each case starts a real
child process from the fork server (the first case of a run also starts the fork server)."""

import time

import pytest

from portal.documents import checking, services
from tests.helpers.crafted_pdfs import whitespace_bomb


@pytest.fixture(scope="module", autouse=True)
def fork_server_started(app):
    """The fork server started and ready, as in a serving process (gunicorn's post_worker_init):
    a first check waits for it, without a time limit (some 2 s, once for the module)."""
    checking.start_fork_server()
    allowed = app.config["PORTAL_VERIFY_SECONDS"]
    app.config["PORTAL_VERIFY_SECONDS"] = 60
    try:
        check(app, b"%PDF-1.7 nothing")
    finally:
        app.config["PORTAL_VERIFY_SECONDS"] = allowed


@pytest.fixture
def limits(app):
    """The app's /verify limits, changed by a test and put back afterwards."""
    names = ("PORTAL_VERIFY_SECONDS", "PORTAL_VERIFY_CPU_SECONDS", "PORTAL_VERIFY_MEMORY_MB")
    before = {name: app.config[name] for name in names}
    yield app.config
    app.config.update(before)


def check(app, pdf: bytes) -> tuple[str, float]:
    """check_signature's outcome for `pdf` and the seconds it took."""
    started = time.monotonic()
    with app.app_context():
        outcome = checking.check_signature(pdf, certificates=services.certificate_ders())
    return outcome, time.monotonic() - started


def test_an_ordinary_file_is_read_within_the_usual_limits(app, limits, sample_pdf):
    # The control for the cases below: with the usual limits this file is read to a verdict.
    assert check(app, sample_pdf)[0] == "unsigned"


def test_a_file_that_needs_more_memory_than_allowed_is_not_checked(app, limits, sample_pdf):
    limits["PORTAL_VERIFY_MEMORY_MB"] = 1  # less than any Python process already holds

    outcome, seconds = check(app, sample_pdf)

    assert outcome == "unchecked"
    assert seconds < limits["PORTAL_VERIFY_SECONDS"]  # ended by the memory limit, not by the clock


def test_a_slow_start_of_the_child_counts_within_the_time_limit(app, limits, monkeypatch):
    # About 1 s: the start is made to take 0.8 s of the 1 s allowed.
    limits["PORTAL_VERIFY_SECONDS"] = 1
    limits["PORTAL_VERIFY_CPU_SECONDS"] = 30  # only the clock may end this one
    real_process = checking._processes.Process

    def slow_start(process):
        time.sleep(0.8)  # as the fork server takes to start on a busy machine
        real_start(process)

    real_start = real_process.start
    monkeypatch.setattr(real_process, "start", slow_start)

    outcome, seconds = check(app, whitespace_bomb())

    assert outcome == "unchecked"
    # Counted from before the start: 1 s in all (and the child's end). Counted from after it, as
    # before, the visitor waited 0.8 s more than the limit.
    assert seconds < 1.6


def test_a_serving_process_starts_the_fork_server_when_the_application_is_made(monkeypatch):
    from portal import create_app

    started = []
    monkeypatch.setattr(checking, "start_fork_server", lambda: started.append(True))

    create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert started == []  # not in tests and commands
    create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "PORTAL_START_FORK_SERVER": True})
    assert started == [True]


def test_gunicorn_workers_start_the_fork_server_when_they_start(monkeypatch):
    from portal import gunicorn_conf

    started = []
    monkeypatch.setattr(checking, "start_fork_server", lambda: started.append(True))

    gunicorn_conf.post_worker_init(worker=None)

    assert started == [True]
