"""PostgreSQL databases of the tests' own: one per xdist worker (tests/conftest.py), and the empty
ones the migration tests build from nothing (tests/test_migrations.py)."""

from contextlib import contextmanager

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


@contextmanager
def new_postgres_database(url: str, name: str):
    """A new, empty database `name` on the server of `url`, dropped afterwards (with whatever
    connections are left): yields its URL."""
    server = make_url(url)
    admin = create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    drop = text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    with admin.connect() as connection:
        connection.execute(drop)  # left behind by a run that was killed
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(drop)
        admin.dispose()
