"""Fixtures for the whole suite.

The database is built once per run by the real migrations (SQLite in a temporary folder, or
the PostgreSQL database in DATABASE_URL), and every test runs inside a transaction that is
rolled back afterwards, so tests never see each other's rows. The code under test commits as
usual: its commits only release savepoints inside that transaction. A module whose data is
expensive builds it once, in a transaction of its own, and runs each test in a savepoint of it
(`module_db`, `savepoint_db`).
"""

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from flask_migrate import upgrade
from sqlalchemy import select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import scoped_session, sessionmaker

os.environ.setdefault("PORTAL_SECRET_KEY", "tests-only-secret-key")
# Background jobs wait in this process's memory; tests run them with the `jobs` fixture.
os.environ["PORTAL_JOBS"] = "memory"

from portal import create_app, jobs  # noqa: E402
from portal.accounts import services as account_services  # noqa: E402
from portal.documents import signing  # noqa: E402
from portal.extensions import db as _db  # noqa: E402
from portal.extensions import limiter  # noqa: E402
from portal.schools.models import School  # noqa: E402
from portal.transparency import services as transparency  # noqa: E402
from tests.helpers import factories  # noqa: E402
from tests.helpers.databases import new_postgres_database  # noqa: E402
from tests.helpers.translations import compile_catalogues  # noqa: E402
from tests.helpers.tsa import make_tsa_keys  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


# Under pytest-xdist (`pytest -n 2`) each worker process runs a share of the tests: "gw0", "gw1", ...
WORKER = os.environ.get("PYTEST_XDIST_WORKER")


@contextmanager
def run_database(tmp_dir: str):
    """SQLite in the run's temporary folder (each worker has its own), or the PostgreSQL database
    in DATABASE_URL; under xdist a database of each worker's own beside it (<name>_gw0, ...),
    created empty and dropped at the end."""
    url = os.environ.get("DATABASE_URL")
    if not url:
        yield f"sqlite:///{tmp_dir}/tests.db"
    elif WORKER is None:
        yield url
    else:
        with new_postgres_database(url, f"{make_url(url).database}_{WORKER}") as worker_url:
            yield worker_url


def rate_limit_settings() -> dict:
    """Rate limits in memory, or in REDIS_URL's Redis (as CI runs the suite) under a key prefix of
    this process's own: workers (and runs) sharing a Redis count their requests apart, and
    limiter.reset() clears only their own keys."""
    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        return {"RATELIMIT_STORAGE_URI": "memory://"}
    return {
        "RATELIMIT_STORAGE_URI": redis_url,
        "RATELIMIT_STORAGE_OPTIONS": {"key_prefix": f"portal-tests-{os.getpid()}"},
    }


@pytest.fixture(scope="session")
def app():
    with tempfile.TemporaryDirectory() as tmp_dir, run_database(tmp_dir) as database_url:
        app = create_app(
            {
                "TESTING": True,
                "SQLALCHEMY_DATABASE_URI": database_url,
                "SERVER_NAME": "portal.test",
                # Absolute links are made from it, and only its host is answered (TRUSTED_HOSTS).
                "PORTAL_PUBLIC_URL": "https://portal.test",
                **rate_limit_settings(),
                # Off but in the tests about it (tests/test_page_cache.py turns it on): the suite's
                # rolled-back transactions change rows without a commit that would bump its version.
                "PORTAL_PAGE_CACHE": False,
                "PORTAL_PAGE_CACHE_VERSION_FILE": f"{tmp_dir}/page-cache-version",
                "PORTAL_PAGE_CACHE_PREFIX": f"portal-tests-{os.getpid()}:page-cache",
            }
        )
        # Publishing signs PDFs: a throwaway development key pair, never the repository's instance/.
        key, cert = signing.generate_development_keys(
            Path(tmp_dir) / "signing-key.pem", Path(tmp_dir) / "signing-cert.pem"
        )
        # The transparency log's key too (a checkpoint is signed at every publication).
        log_key = transparency.generate_log_key(Path(tmp_dir) / "log-key.txt", "portal.test/log")
        # Timestamps come from the local development TSA (its key beside the signing keys); the
        # tests of timestamping run a real RFC 3161 TSA over HTTP (tests/helpers/tsa.py).
        tsa_key, tsa_cert = make_tsa_keys(tmp_dir)
        app.config.update(
            PORTAL_LOG_KEY=str(log_key),
            PORTAL_DEMO_WITNESS_DIR=str(Path(tmp_dir) / "demo-witness"),
            PORTAL_SIGNING_KEY=str(key),
            PORTAL_SIGNING_CERT=str(cert),
            PORTAL_TSA_URL="",
            PORTAL_TSA_KEY=str(tsa_key),
            PORTAL_TSA_CERT=str(tsa_cert),
            # Each test process counts its own files being checked (/verify), not the machine's.
            PORTAL_VERIFY_SLOT_DIR=str(Path(tmp_dir) / "verify-slots"),
            # PDFs are written in the test process: a render child costs more to start than a
            # render (tests/documents/test_document_render_process.py tests the child).
            PORTAL_RENDERS_PER_PROCESS=0,
            # No mail server: mails are written into the run's own outbox (a test may set an SMTP URL).
            PORTAL_SMTP_URL="",
            PORTAL_OUTBOX_DIR=str(Path(tmp_dir) / "outbox"),
            PORTAL_EXPORTS_DIR=str(Path(tmp_dir) / "exports"),
        )
        with app.app_context():
            upgrade(directory=str(ROOT / "migrations"))
        yield app
        with app.app_context():
            _db.engine.dispose()


@pytest.fixture(scope="session")
def pdf_fork_server():
    """The fork server that the PDF checks' children come from (/verify, a disclosure PDF
    uploaded) starts now, as in a serving process (gunicorn's post_worker_init), and loads its
    libraries while the tests set up: the time limit of a check counts its start, which on a
    busy machine can take most of it."""
    from portal.documents import checking

    checking.start_fork_server()


@pytest.fixture(scope="session", autouse=True)
def fast_password_hashing():
    """Argon2 with its production cost makes every factory user take ~80 ms; tests need speed, not strength."""
    account_services._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    yield


@pytest.fixture(scope="session", autouse=True)
def fast_dummy_password_hash(fast_password_hashing):
    """A login for an unknown email is checked against a dummy hash (so that it takes as long as
    for a real account); with the cheap test hasher that dummy must be cheap too, or every such
    attempt costs half a second."""
    account_services._DUMMY_HASH = account_services._hasher.hash("not a real password, only for timing")
    yield


@pytest.fixture(autouse=True)
def no_rate_limits():
    """Rate limits are off except in the tests that are about them (they use `rate_limits`)."""
    limiter.enabled = False
    yield
    limiter.enabled = False


@pytest.fixture
def rate_limits(app):
    limiter.enabled = True
    limiter.reset()
    yield limiter
    limiter.reset()


@contextmanager
def _rolled_back_transaction(app):
    """A connection of its own in a transaction that is rolled back at the end."""
    with app.app_context():
        connection = _db.engine.connect()
    transaction = connection.begin()
    try:
        yield connection
    finally:
        transaction.rollback()
        connection.close()


@contextmanager
def _session_on(connection):
    """`db.session`, for the time being, a session on `connection` whose commits only release
    savepoints inside the connection's transaction."""
    original_session = _db.session
    # expire_on_commit=False: objects a test made stay readable after a request commits and
    # closes the session; a test that needs fresh state loads it again with db.session.get().
    _db.session = scoped_session(
        sessionmaker(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    )
    try:
        yield _db
    finally:
        _db.session.remove()
        _db.session = original_session


@pytest.fixture
def db(app, request):
    with _rolled_back_transaction(app) as connection, _session_on(connection):
        if "pdfs_rendered_once_per_run" in request.fixturenames:
            # Its rows get the same ids in every test, as on SQLite, and so its PDFs the same contexts.
            _restart_sequences_after_the_highest_ids(_db)
        yield _db


@pytest.fixture(scope="module")
def module_db(app):
    """For a module that builds its expensive data once: one transaction for the whole module,
    rolled back after its last test. Its module-scoped fixtures build with this `db` (and commit,
    as the code under test does); the module then asks for its tests' `db` to be `savepoint_db`:

        @pytest.fixture
        def db(world, savepoint_db):
            return savepoint_db
    """
    with _rolled_back_transaction(app) as connection, _session_on(connection):
        yield _db


@pytest.fixture
def savepoint_db(module_db):
    """Each test of a module with data built once (`module_db`) in a savepoint of the module's
    transaction, rolled back after it: the tests see the module's data and never each other's
    rows. Objects the module's fixtures made are detached, as a request leaves them."""
    connection = module_db.session.get_bind()
    module_db.session.remove()
    savepoint = connection.begin_nested()
    try:
        with _session_on(connection):
            yield _db
    finally:
        savepoint.rollback()


def _restart_sequences_after_the_highest_ids(database) -> None:
    """PostgreSQL: every id sequence restarts just after the highest id the transaction sees, as
    SQLite's ids do after a rollback. A rolled-back transaction leaves PostgreSQL's sequences
    where it took them, so each module's demo would otherwise get other ids, and its PDFs (which
    show their own addresses) other contexts: each rendered afresh instead of once per run.
    setval is not undone by the rollback, which is harmless: the rows above the highest id are
    gone with it."""
    if database.session.get_bind().dialect.name != "postgresql":
        return
    global _sequence_columns
    if _sequence_columns is None:
        _sequence_columns = _id_sequences(database)
    if _sequence_columns:
        database.session.execute(text(_sequence_columns))


_sequence_columns: str | None = None


def _id_sequences(database) -> str:
    """One statement that restarts every sequence after the highest value of the column it feeds."""
    columns = database.session.execute(
        text(
            "SELECT s.oid::regclass::text, t.oid::regclass::text, a.attname FROM pg_class s"
            " JOIN pg_depend d ON d.objid = s.oid AND d.classid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')"
            " JOIN pg_class t ON t.oid = d.refobjid"
            " JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid"
            " WHERE s.relkind = 'S'"
        )
    ).all()
    if not columns:
        return ""
    return "SELECT " + ", ".join(
        f"setval('{sequence}', COALESCE((SELECT max({column}) FROM {table}), 0) + 1, false)"
        for sequence, table, column in columns
    )


@pytest.fixture(scope="module")
def seed_demo(app, module_db):
    """seed_demo() runs `flask portal seed-demo` in the module's transaction. Its 26 PDFs are the
    same in every module: rendered once per run (~13 s the first time, ~2 s after)."""

    def seed():
        _restart_sequences_after_the_highest_ids(module_db)
        with _pdfs_rendered_once():
            result = app.test_cli_runner().invoke(args=["portal", "seed-demo"])
        assert result.exit_code == 0, result.output
        return result

    return seed


@pytest.fixture(scope="module")
def demo_world(seed_demo, module_db):
    """The demo world, seeded once for the module: {slug: school}. A module that reads it runs
    its tests in savepoints:

        @pytest.fixture
        def db(demo_world, savepoint_db):
            return savepoint_db
    """
    seed_demo()
    return {school.slug: school for school in module_db.session.scalars(select(School))}


@pytest.fixture
def client(app, db):
    return app.test_client()


@pytest.fixture
def with_app(app, db):
    """`with with_app(): ...` runs services that need the application from a test or a fixture:
    adopting a charter, approving minutes or publishing a decision renders and signs a PDF with
    the app's templates and keys. Leaving a plain `app.app_context()` closes the test's session
    (Flask-SQLAlchemy's teardown) and detaches every object the test holds; this puts them back
    into the session, so the test goes on as if no context had been pushed. Commit inside."""

    @contextmanager
    def context():
        with app.app_context():
            yield
            held = list(db.session.identity_map.values())
        for obj in held:
            db.session.add(obj)

    return context


_rendered_pdfs: dict = {}
RENDERED_PDFS_KEPT = 200


@contextmanager
def _pdfs_rendered_once():
    """While inside: each distinct PDF (template and context) is rendered once per run, and the
    bytes reused; see `pdfs_rendered_once_per_run`."""
    from portal.documents import render

    render_for_real = render.render_pdf

    def render_once(template_name, context, **options):
        key = (template_name, repr(sorted(context.items())))
        if key in _rendered_pdfs:
            return _rendered_pdfs[key]
        pdf = render_for_real(template_name, context, **options)
        if len(_rendered_pdfs) < RENDERED_PDFS_KEPT:
            _rendered_pdfs[key] = pdf
        return pdf

    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setattr(render, "render_pdf", render_once)
        yield


@pytest.fixture
def pdfs_rendered_once_per_run():
    """Fixtures adopt the same charter versions and approve the same minutes in test after test;
    rendering their PDF (about 0.25 s each, the fonts) is done once per run for each distinct
    context, and the bytes reused. Signing and archiving still happen for real every time, and
    the bytes are exactly what rendering that context gives."""
    with _pdfs_rendered_once():
        yield


@pytest.fixture
def make_authority(db):
    return factories.authority


@pytest.fixture
def city(make_authority):
    return make_authority(**factories.CITY)


@pytest.fixture
def district(make_authority, city):
    return make_authority(**factories.DISTRICT, parent=city)


@pytest.fixture
def other_district(make_authority, city):
    return make_authority(**factories.OTHER_DISTRICT, parent=city)


@pytest.fixture
def make_school(db, district):
    """make_school(authority=district, slug=..., ...) -> a school, in `district` unless told."""

    def make(authority=None, **details):
        return factories.school(authority or district, **details)

    return make


@pytest.fixture
def school(make_school):
    return make_school(**factories.SCHOOL)


@pytest.fixture
def other_school(make_school, other_district):
    return make_school(authority=other_district, **factories.OTHER_SCHOOL)


@pytest.fixture
def make_user(db):
    """make_user(role=Role.PARENT, scope=school) -> a user holding that role there (or no role)."""
    return factories.user


# The people that most features' tests need, defined here once: the staff and a parent of
# `school`, and the moderators of its district and of the other district.
@pytest.fixture
def school_admin(make_user, school):
    return make_user(role="school_admin", scope=school, display_name="学校管理员 陈静")


@pytest.fixture
def board_member(make_user, school):
    return make_user(role="board_member", scope=school, display_name="校务委员 刘洋")


@pytest.fixture
def parent(make_user, school):
    """A verified parent of the school (a parent membership, as an invitation code gives)."""
    return make_user(role="parent", scope=school, display_name="家长 张伟")


@pytest.fixture
def moderator(make_user, district):
    return make_user(role="moderator", scope=district, display_name="区审核员")


@pytest.fixture
def other_moderator(make_user, other_district):
    return make_user(role="moderator", scope=other_district, display_name="他区审核员")


@pytest.fixture
def nothing_made_once():
    """web.made_once keeps nothing from before the test, nor after it (tests that count what is
    made, or look at what a first visit made)."""
    from portal import web

    web.made_once_kept.clear()
    yield
    web.made_once_kept.clear()


@pytest.fixture
def login_as(client):
    """Log the test client in as `user` without going through the login form."""

    def login(user):
        from tests.helpers.pages import session_id

        logged_in = session_id(user)  # before the session transaction, whose end closes the database session
        with client.session_transaction() as session:
            session["_user_id"] = logged_in
            session["_fresh"] = True
        return user

    return login


@pytest.fixture
def csrf_client(app, db):
    """A client for tests that check CSRF protection itself: tokens are required."""
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        yield app.test_client()
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


@pytest.fixture(autouse=True)
def csrf_off_by_default(app):
    """Most tests post forms directly; the CSRF tests switch protection on with `csrf_client`."""
    app.config["WTF_CSRF_ENABLED"] = False
    yield


@pytest.fixture(scope="session")
def _catalogues_compiled_once(tmp_path_factory):
    return compile_catalogues(tmp_path_factory.mktemp("translations"))


@pytest.fixture
def compiled_catalogues(app, _catalogues_compiled_once, monkeypatch):
    """The translations, compiled from the .po files now in the tree into a temporary folder, so
    that tests about Chinese pages do not depend on `make translations` having run first."""
    babel_config = app.extensions["babel"]
    monkeypatch.setattr(babel_config, "translation_directories", [str(_catalogues_compiled_once)])
    with app.app_context():
        domain = babel_config.instance.domain_instance
    monkeypatch.setattr(domain, "cache", {})  # forget catalogues loaded before
    return _catalogues_compiled_once


@pytest.fixture
def count_queries(app, db):
    """`with count_queries() as queries: ...` collects the SQL statements run inside the block."""
    from sqlalchemy import event

    @contextmanager
    def counting():
        statements = []

        def record(conn, cursor, statement, parameters, context, executemany):
            if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK TO")):
                statements.append(statement)

        with app.app_context():
            engine = _db.engine
        event.listen(engine, "before_cursor_execute", record)
        try:
            yield statements
        finally:
            event.remove(engine, "before_cursor_execute", record)

    return counting


@pytest.fixture(autouse=True)
def no_jobs_left_over():
    """Jobs a test enqueued and did not run are dropped: the next test starts with an empty queue."""
    yield
    jobs.huey.flush()


@pytest.fixture
def run_jobs(app):
    """run_jobs() runs every job waiting in the queue, as a worker would, until none is left
    (jobs may enqueue more); an error in a job fails the test. Returns how many ran."""

    def run(most: int = 1000) -> int:
        ran = 0
        with app.app_context():
            while (task := jobs.huey.dequeue()) is not None:
                task.execute()
                ran += 1
                assert ran < most, "jobs keep enqueueing jobs"
        return ran

    return run
