"""A fixed clock for tests about where records stand on a given day: every clock the portal
reads (portal.clock.utcnow, and the modules that imported it by name) says the same moment."""

import sys
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from portal import clock

BEIJING = ZoneInfo("Asia/Shanghai")


def beijing(*args) -> datetime:
    """A moment given on the schools' clock, in UTC as the portal keeps it."""
    return datetime(*args, tzinfo=BEIJING).astimezone(UTC)


def freeze(monkeypatch, moment: datetime) -> None:
    """From now until the test ends, it is `moment` for the portal (clock.today() follows)."""
    real = clock.utcnow
    frozen = lambda: moment  # noqa: E731
    monkeypatch.setattr(clock, "utcnow", frozen)
    for name, module in list(sys.modules.items()):
        if name.startswith("portal.") and getattr(module, "utcnow", None) is real:
            monkeypatch.setattr(module, "utcnow", frozen)
