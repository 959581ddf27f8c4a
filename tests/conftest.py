"""Fixtures for the whole suite.

The database is built once per run by the real migrations (SQLite in a temporary folder, or
the PostgreSQL database in DATABASE_URL), and every test runs inside a transaction that is
rolled back afterwards, so tests never see each other's rows. The code under test commits as
usual: its commits only release savepoints inside that transaction.
"""

import itertools
import os
import tempfile
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from flask_migrate import upgrade
from sqlalchemy.orm import scoped_session, sessionmaker

os.environ.setdefault("PORTAL_SECRET_KEY", "tests-only-secret-key")

from portal import create_app  # noqa: E402
from portal.accounts import services as account_services  # noqa: E402
from portal.accounts.models import Role  # noqa: E402
from portal.documents import signing  # noqa: E402
from portal.extensions import db as _db  # noqa: E402
from portal.extensions import limiter  # noqa: E402
from portal.schools import services as school_services  # noqa: E402
from portal.schools.models import SchoolType  # noqa: E402
from tests.helpers.pages import PASSWORD  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def database_url(tmp_dir: str) -> str:
    return os.environ.get("DATABASE_URL") or f"sqlite:///{tmp_dir}/tests.db"


@pytest.fixture(scope="session")
def app():
    with tempfile.TemporaryDirectory() as tmp_dir:
        app = create_app(
            {
                "TESTING": True,
                "SQLALCHEMY_DATABASE_URI": database_url(tmp_dir),
                "SERVER_NAME": "portal.test",
                "RATELIMIT_STORAGE_URI": os.environ.get("REDIS_URL") or "memory://",
            }
        )
        # Publishing signs PDFs: a throwaway development key pair, never the repository's instance/.
        key, cert = signing.generate_development_keys(
            Path(tmp_dir) / "signing-key.pem", Path(tmp_dir) / "signing-cert.pem"
        )
        app.config.update(
            PORTAL_SIGNING_KEY=str(key), PORTAL_SIGNING_CERT=str(cert), PORTAL_PUBLIC_URL="https://portal.test"
        )
        with app.app_context():
            upgrade(directory=str(ROOT / "migrations"))
        yield app
        with app.app_context():
            _db.engine.dispose()


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


@pytest.fixture
def db(app):
    with app.app_context():
        connection = _db.engine.connect()
    transaction = connection.begin()
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
        transaction.rollback()
        connection.close()
        _db.session = original_session


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
    from contextlib import contextmanager

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


@pytest.fixture
def pdfs_rendered_once_per_run(monkeypatch):
    """Fixtures adopt the same charter versions and approve the same minutes in test after test;
    rendering their PDF (about 0.25 s each, the fonts) is done once per run for each distinct
    context, and the bytes reused. Signing and archiving still happen for real every time, and
    the bytes are exactly what rendering that context gives."""
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

    monkeypatch.setattr(render, "render_pdf", render_once)


_sequence = itertools.count(1)


@pytest.fixture
def make_authority(db):
    def make(name_zh=None, name_en=None, parent=None):
        n = next(_sequence)
        authority = school_services.create_authority(
            None, name_zh=name_zh or f"测试区教育委员会{n}", name_en=name_en or f"Test District {n}", parent=parent
        )
        db.session.commit()
        return authority

    return make


@pytest.fixture
def city(make_authority):
    return make_authority("测试市教育委员会", "Test City Education Commission")


@pytest.fixture
def district(make_authority, city):
    return make_authority("测试甲区教育委员会", "Test District A", parent=city)


@pytest.fixture
def other_district(make_authority, city):
    return make_authority("测试乙区教育委员会", "Test District B", parent=city)


@pytest.fixture
def make_school(db, district):
    def make(authority=None, slug=None, name_zh=None, name_en=None, type=SchoolType.PRIMARY):
        n = next(_sequence)
        school = school_services.create_school(
            None,
            authority or district,
            slug=slug or f"test-school-{n}",
            name_zh=name_zh or f"测试第{n}小学",
            name_en=name_en or f"Test Primary School No. {n}",
            type=type,
            address=f"测试路 {n} 号",
        )
        db.session.commit()
        return school

    return make


@pytest.fixture
def school(make_school):
    return make_school(slug="first-school", name_zh="测试第一小学", name_en="First Test Primary School")


@pytest.fixture
def other_school(make_school, other_district):
    return make_school(
        authority=other_district, slug="other-school", name_zh="测试第二中学", name_en="Second Test Middle School"
    )


@pytest.fixture
def make_user(db):
    """make_user(role=Role.PARENT, scope=school) -> a user holding that role there (or no role)."""

    def make(email=None, display_name=None, password=PASSWORD, role=None, scope=None, active=True, language=None):
        n = next(_sequence)
        user = account_services.register_user(
            email=email or f"person{n}@example.org",
            display_name=display_name or f"测试用户{n}",
            password=password,
            language=language,
        )
        user.active = active
        if role is not None:
            account_services.grant_membership(None, user, Role(role), scope)
        db.session.commit()
        return user

    return make


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
def login_as(client):
    """Log the test client in as `user` without going through the login form."""

    def login(user):
        with client.session_transaction() as session:
            session["_user_id"] = user.get_id()
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


@pytest.fixture
def compiled_catalogues(app, tmp_path_factory, monkeypatch):
    """The translations, compiled from the .po files now in the tree into a temporary folder, so
    that tests about Chinese pages do not depend on `make translations` having run first."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    source = Path(app.root_path) / "translations"
    target = tmp_path_factory.mktemp("translations")
    for po_path in source.glob("*/LC_MESSAGES/messages.po"):
        language = po_path.parent.parent.name
        with po_path.open("rb") as po_file:
            catalogue = read_po(po_file, locale=language)
        mo_path = target / language / "LC_MESSAGES" / "messages.mo"
        mo_path.parent.mkdir(parents=True)
        with mo_path.open("wb") as mo_file:
            write_mo(mo_file, catalogue, use_fuzzy=True)
    babel_config = app.extensions["babel"]
    monkeypatch.setattr(babel_config, "translation_directories", [str(target)])
    with app.app_context():
        domain = babel_config.instance.domain_instance
    monkeypatch.setattr(domain, "cache", {})  # forget catalogues loaded before
    return target


@pytest.fixture
def count_queries(app, db):
    """`with count_queries() as queries: ...` collects the SQL statements run inside the block."""
    from contextlib import contextmanager

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
