"""Time as the portal keeps it: instants in UTC, dates on the schools' calendar.

Every instant is stored and compared in UTC (`utcnow`). What people type and read — a meeting's
date, a consultation's closing day, "today" — is on the schools' clock (Beijing time, the one
Flask-Babel shows times in, so that what is typed and what is shown agree). Working days, with
the official holidays and the commission's overrides, are counted in portal/workdays.py.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

DEFAULT_TIMEZONE = "Asia/Shanghai"


# The moment the portal's clock is set to, if any (see `set_to`); a context variable, so that a
# thread or task that did not set it reads the real time.
_set_moment: ContextVar[datetime | None] = ContextVar("portal_clock_set_moment", default=None)


def utcnow() -> datetime:
    return _set_moment.get() or datetime.now(UTC)


@contextmanager
def set_to(moment: datetime) -> Iterator[datetime]:
    """Within the block, it is `moment` for everything that reads the portal's clock (utcnow,
    today). The demo seeding publishes its back-dated records this way, so that the record, its
    PDF and its transparency log leaf carry the same moment."""
    if moment.tzinfo is None:
        raise ValueError("the portal's clock is set to an aware UTC moment")
    token = _set_moment.set(moment.astimezone(UTC))
    try:
        yield moment
    finally:
        _set_moment.reset(token)


def school_timezone() -> ZoneInfo:
    """Where the schools are (PORTAL_TIMEZONE, Beijing time unless configured otherwise)."""
    name = current_app.config.get("BABEL_DEFAULT_TIMEZONE") if has_app_context() else None
    return ZoneInfo(name or DEFAULT_TIMEZONE)


def local_to_utc(day: date, at: time) -> datetime:
    """The UTC instant of a date and time on the schools' clocks."""
    return datetime.combine(day, at, tzinfo=school_timezone()).astimezone(UTC)


def local_date(moment: datetime) -> date:
    """The date on the schools' calendar at that instant."""
    return moment.astimezone(school_timezone()).date()


def local_time(moment: datetime) -> time:
    """The time of day on the schools' clocks at that instant, to the minute."""
    return moment.astimezone(school_timezone()).time().replace(second=0, microsecond=0)


def today() -> date:
    """Today's date on the schools' calendar."""
    return local_date(utcnow())
