"""The migrations build exactly the models' schema, and every revision downgrades cleanly,
on SQLite and (when DATABASE_URL points at it) on PostgreSQL."""

import os
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from portal import create_app
from portal.extensions import db
from tests.helpers.databases import new_postgres_database

MIGRATIONS = str(Path(__file__).resolve().parent.parent / "migrations")


@contextmanager
def empty_database(tmp_path):
    """A brand-new empty database of the kind this run uses."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgresql"):
        yield f"sqlite:///{tmp_path}/migrations.db"
        return
    with new_postgres_database(url, f"portal_migrations_{uuid.uuid4().hex[:8]}") as database_url:
        yield database_url


@pytest.fixture
def migration_app(tmp_path):
    with empty_database(tmp_path) as url:
        app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "RATELIMIT_ENABLED": False})
        with app.app_context():
            yield app
            db.engine.dispose()


def schema_differences():
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, db.metadata)


def user_tables():
    return sorted(set(inspect(db.engine).get_table_names()) - {"alembic_version"})


def test_upgrade_to_head_builds_exactly_the_models_schema(migration_app):
    upgrade(directory=MIGRATIONS)
    assert user_tables() == sorted(db.metadata.tables)
    assert schema_differences() == []


def test_every_revision_downgrades_to_an_empty_database(migration_app):
    upgrade(directory=MIGRATIONS)
    downgrade(directory=MIGRATIONS, revision="base")
    assert user_tables() == []
    upgrade(directory=MIGRATIONS)  # and the way back up works after a full downgrade
    assert schema_differences() == []


def test_revision_files_are_date_prefixed():
    names = [p.name for p in Path(MIGRATIONS, "versions").glob("*.py")]
    assert names, "no migrations found"
    assert all(name[:8].isdigit() and name[8] == "_" for name in names), names
