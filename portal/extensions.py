"""The extensions, created unbound here and bound to the app in create_app()."""

from contextvars import ContextVar
from datetime import UTC, datetime

from flask import current_app
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import DateTime, MetaData, TypeDecorator, event, literal, select
from sqlalchemy import Enum as SAEnum
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, registry

# Stable constraint names, so that Alembic can find and alter them on every database.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator):
    """A timestamp stored in UTC and always read back timezone-aware (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None:
            if value.tzinfo is None:
                raise ValueError("naive datetime given to a UTC column")
            value = value.astimezone(UTC)
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UTCDateTime()},
    )


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()


def client_address() -> str:
    return get_remote_address() or "unknown"


limiter = Limiter(key_func=client_address)


def rate_limit_health() -> dict:
    """Where rate limits are counted now, and whether Redis answers (for /healthz). With REDIS_URL
    the limits are shared by every process; while Redis is unreachable Flask-Limiter counts them
    in this process's memory (RATELIMIT_IN_MEMORY_FALLBACK_ENABLED) and goes back once it answers."""
    if not current_app.config.get("REDIS_URL"):
        return {"rate_limits": "per-process"}
    try:
        reachable = bool(limiter.storage.check())
    except Exception:  # noqa: BLE001 - any failure to reach Redis is "unavailable", never a 500
        reachable = False
    return {
        "redis": "ok" if reachable else "unavailable",
        "rate_limits": "shared" if reachable else "per-process (Redis unreachable)",
    }


@event.listens_for(Engine, "connect")
def _sqlite_on_connect(dbapi_connection, connection_record):
    """SQLite: enforce foreign keys, use WAL so readers never wait for the writer, and let
    SQLAlchemy (not the driver) emit BEGIN, so that savepoints work (SQLAlchemy's documented recipe).
    How long a writer waits for the lock is the driver's `timeout` (PORTAL_SQLITE_BUSY_SECONDS,
    passed by create_app), which sets SQLite's busy timeout."""
    if type(dbapi_connection).__module__ != "sqlite3":
        return
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


# Set while a request that writes is handled (web.register): its transactions take SQLite's write
# lock at BEGIN, waiting (busy timeout) for the writer before to finish, so that what it reads is
# what that one committed, and its writes cannot fail for having read too early.
sqlite_write_transaction: ContextVar[bool] = ContextVar("sqlite_write_transaction", default=False)


# Set for the length of a web request (portal/timeouts.py): PostgreSQL cancels any statement of
# its transactions that runs longer, so one slow query cannot hold a web worker (and a connection)
# until gunicorn kills it. Jobs and commands run outside requests and are not limited.
web_statement_timeout_ms: ContextVar[int] = ContextVar("web_statement_timeout_ms", default=0)


@event.listens_for(Engine, "begin")
def _on_begin(conn):
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE" if sqlite_write_transaction.get() else "BEGIN")
    elif conn.dialect.name == "postgresql" and (timeout := web_statement_timeout_ms.get()) > 0:
        # LOCAL: for this transaction only, so a pooled connection never carries it to a job.
        conn.exec_driver_sql(f"SET LOCAL statement_timeout = {int(timeout)}")


def str_enum(enum_class) -> SAEnum:
    """A StrEnum column stored as its value in a VARCHAR, the same on SQLite and PostgreSQL."""
    return SAEnum(
        enum_class,
        native_enum=False,
        length=30,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


def insert_if_absent(session: Session, table, values: dict, keys: list[str]) -> None:
    """The row `values` is in `table` once this returns, made unless one with the same `keys` was
    there: INSERT … ON CONFLICT (keys) DO NOTHING, so that two transactions making it at once
    both go on (one of them inserts it) on PostgreSQL and SQLite. On another database, added in
    a savepoint when it is not found (not race-free there)."""
    dialect = session.get_bind().dialect.name
    if dialect in ("postgresql", "sqlite"):
        insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
        session.execute(insert(table).values(**values).on_conflict_do_nothing(index_elements=keys))
        return
    found = select(literal(1)).select_from(table).where(*(table.c[key] == values[key] for key in keys))
    if session.execute(found).first() is None:
        with session.begin_nested():
            session.execute(table.insert().values(**values))


class AppendOnlyError(Exception):
    """Somebody tried to change or delete a row of an append-only table."""


class AppendOnly:
    """Mixin for tables whose rows are written once and never changed or deleted through the ORM
    (the audit log, archived documents, the publication log). `append_only_error` names the
    exception each table raises, so callers can tell which record refused."""

    append_only_error: type[AppendOnlyError] = AppendOnlyError


@event.listens_for(Session, "before_flush")
def _refuse_changes_to_append_only_rows(session, flush_context, instances):
    for obj in session.dirty:
        if isinstance(obj, AppendOnly) and session.is_modified(obj):
            raise obj.append_only_error(f"{type(obj).__name__} rows cannot be changed")
    for obj in session.deleted:
        if isinstance(obj, AppendOnly):
            raise obj.append_only_error(f"{type(obj).__name__} rows cannot be deleted")


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_changes_to_append_only_rows(orm_execute_state):
    if orm_execute_state.is_update or orm_execute_state.is_delete:
        mapper = orm_execute_state.bind_mapper
        if mapper is None:
            # update(AuditEvent.__table__) names the table, not the class: it is refused all the same.
            mapper = _mapper_of_table(getattr(orm_execute_state.statement, "table", None))
        if mapper is not None and issubclass(mapper.class_, AppendOnly):
            raise mapper.class_.append_only_error(f"{mapper.class_.__name__} rows cannot be changed or deleted")


def _mapper_of_table(table):
    if table is None:
        return None
    return next((mapper for mapper in Base.registry.mappers if mapper.local_table is table), None)
