"""Working days: the one place that says whether a date is a working day, and counts them.

A working day is a day the schools' offices work on the mainland's official calendar: Monday to
Friday, except the public holidays the State Council announces each year, plus the weekend days
it makes working days in exchange (调休). The official calendar comes from the `chinesecalendar`
package, which follows the State Council's yearly notice; a year it does not know yet (the notice
comes out in the late autumn before) counts Monday to Friday. The city's commission adds or
removes a day with an override (WorkingDayOverride, managed under /oversight/working-days): an
override always wins, so a year the package does not know yet, a local change (a day the city
closes its schools) or a correction can be entered the day it is announced.

Everything that counts working days goes through here: the answer deadline of feedback and how
long an item has waited, the oversight dashboard's "answered within 15 working days", the
reminders to staff and moderators.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from chinese_calendar import constants as official
from flask import g, has_app_context, has_request_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import Date, ForeignKey, String, func, select
from sqlalchemy.orm import Mapped, joinedload, mapped_column, relationship

from portal import audit
from portal.clock import utcnow
from portal.domain import DomainError, Reason
from portal.extensions import db

NOTE_MAX = 200
# The longest run of days off the calendar can have (the Spring Festival: 9 days, weekends around
# it): a search for a working day further than this gives up rather than loop.
LONGEST_SEARCH = 366


class WorkingDayOverride(db.Model):
    """A day the commission declares a working day (is_working_day) or a day off, whatever the
    official calendar says, with a note saying why."""

    __tablename__ = "working_day_override"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, unique=True)
    is_working_day: Mapped[bool]
    note: Mapped[str] = mapped_column(String(NOTE_MAX))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    created_by = relationship("User")

    def __repr__(self):
        return f"<WorkingDayOverride {self.day} {'working' if self.is_working_day else 'off'}>"


def official_years() -> list[int]:
    """The years whose holidays and make-up working days the official calendar knows."""
    return sorted({day.year for day in official.holidays} | {day.year for day in official.workdays})


# The State Council publishes next year's holidays in November or early December (the 2026 notice:
# 4 November 2025). From then on, deadlines counted in late December reach into next year, so a
# year the calendar does not know is a warning from this month of the year before.
NEXT_YEAR_WARNED_FROM_MONTH = 11


def years_without_official_calendar(today: date) -> list[int]:
    """This year and, from November, next year, when the official calendar does not know them:
    working days there count Monday to Friday (the Spring Festival and National Day included)
    until the commission sets the holidays as overrides."""
    years = [today.year] + ([today.year + 1] if today.month >= NEXT_YEAR_WARNED_FROM_MONTH else [])
    known = set(official_years())
    return [year for year in years if year not in known]


def overrides_in_year(year: int) -> int:
    """How many days of `year` the commission has set."""
    return db.session.scalar(
        select(func.count(WorkingDayOverride.id)).where(
            WorkingDayOverride.day >= date(year, 1, 1), WorkingDayOverride.day <= date(year, 12, 31)
        )
    )


@dataclass(frozen=True)
class OfficialHoliday:
    """A run of days off for one public holiday (weekend days inside it included), or a make-up
    working day (first == last) given for it, named in both languages."""

    name_en: str
    name_zh: str
    first: date
    last: date

    def name(self, language: str) -> str:
        return self.name_en if language == "en" else self.name_zh


def _names(english: str) -> tuple[str, str]:
    """The holiday's names in English and Chinese (the calendar keys its days by the English one)."""
    try:
        return english, official.Holiday(english).chinese
    except ValueError:
        return english, english


def _runs(days: dict) -> list[OfficialHoliday]:
    runs: list[OfficialHoliday] = []
    for day in sorted(days):
        previous = runs[-1] if runs else None
        if previous and previous.name_en == days[day] and previous.last == day - timedelta(days=1):
            runs[-1] = OfficialHoliday(previous.name_en, previous.name_zh, previous.first, day)
        else:
            runs.append(OfficialHoliday(*_names(days[day]), day, day))
    return runs


def official_year(year: int) -> tuple[list[OfficialHoliday], list[OfficialHoliday]]:
    """The public holidays of `year` (runs of days off) and its make-up working days, as the
    official calendar has them; two empty lists for a year it does not know."""
    holidays = {day: holiday for day, holiday in official.holidays.items() if day.year == year}
    make_up = {day: holiday for day, holiday in official.workdays.items() if day.year == year}
    return _runs(holidays), [OfficialHoliday(*_names(name), day, day) for day, name in sorted(make_up.items())]


def official_is_working_day(day: date) -> bool:
    """Whether `day` is a working day on the State Council's calendar (Monday to Friday for a
    year it has not published)."""
    if day in official.workdays:
        return True
    if day in official.holidays:
        return False
    return day.weekday() < 5


@dataclass(frozen=True)
class WorkingCalendar:
    """The official calendar with the commission's overrides: {day: is_working_day}."""

    overrides: dict[date, bool]

    def is_working_day(self, day: date) -> bool:
        if day in self.overrides:
            return self.overrides[day]
        return official_is_working_day(day)

    def after(self, day: date, working_days: int) -> date:
        """The date `working_days` working days after `day` (`day` itself not counted): feedback
        received on `day` is due by the end of that date."""
        current, left = day, working_days
        for _ in range(working_days + LONGEST_SEARCH):
            if not left:
                return current
            current += timedelta(days=1)
            if self.is_working_day(current):
                left -= 1
        raise ValueError("no working day within a year: check the working-day overrides")

    def between(self, start: date, end: date) -> int:
        """How many working days come after `start` up to and including `end` (0 when `end` is
        not after `start`): how long something received on `start` has waited by `end`."""
        count, current = 0, start
        while current < end:
            current += timedelta(days=1)
            if self.is_working_day(current):
                count += 1
        return count

    def latest_start(self, working_days: int, today: date) -> date:
        """The latest day D with after(D, working_days) <= today: whatever arrived on D or
        before has waited at least `working_days` working days by `today` (a bound that list
        queries compare dates with)."""
        # Walking back from today, counting the working days after each day up to today: the first
        # day with `working_days` of them is D (after() grows with the day; one walk, not one per day).
        day, counted = today, 0
        for _ in range(working_days + LONGEST_SEARCH):
            if counted >= working_days:
                return day
            if self.is_working_day(day):
                counted += 1
            day -= timedelta(days=1)
        raise ValueError("no working day within a year: check the working-day overrides")


def _load() -> WorkingCalendar:
    rows = db.session.execute(select(WorkingDayOverride.day, WorkingDayOverride.is_working_day))
    return WorkingCalendar(overrides=dict(rows.all()))


def calendar() -> WorkingCalendar:
    """The working calendar now: one query, once per request (a job or the CLI loads it at each
    call, so that a day the commission changes counts at once). Outside the application there
    is no database: the official calendar alone."""
    if not has_app_context():
        return WorkingCalendar(overrides={})
    if not has_request_context():
        return _load()
    if "working_calendar" not in g:
        g.working_calendar = _load()
    return g.working_calendar


def _forget() -> None:
    if has_request_context():
        g.pop("working_calendar", None)


def is_working_day(day: date) -> bool:
    return calendar().is_working_day(day)


def working_days_after(day: date, working_days: int) -> date:
    """The date `working_days` working days after `day`."""
    return calendar().after(day, working_days)


def working_days_between(start: date, end: date) -> int:
    """How many working days after `start`, up to and including `end`."""
    return calendar().between(start, end)


def latest_start(working_days: int, today: date) -> date:
    """The latest day from which `working_days` working days have passed by `today`."""
    return calendar().latest_start(working_days, today)


# --- the commission's overrides -----------------------------------------------------------------


class WorkdayRefusal(Reason):
    """Why an override was not saved or removed; nothing was changed."""

    ALREADY_SET = (
        "already_set",
        _l("This day already has an override. Remove it first to change it."),
        "day",
    )
    SAME_AS_OFFICIAL = (
        "same_as_official",
        _l("The official calendar already says the same about this day: an override would change nothing."),
        "kind",
    )
    GONE = "gone", _l("This override was already removed.")


def overrides(*, since: date | None = None) -> list[WorkingDayOverride]:
    """The overrides from `since` on (all when None), by date, with who entered them."""
    query = select(WorkingDayOverride).order_by(WorkingDayOverride.day)
    if since is not None:
        query = query.where(WorkingDayOverride.day >= since)
    return list(db.session.scalars(query.options(joinedload(WorkingDayOverride.created_by))))


def add_override(actor, authority, data: dict) -> WorkingDayOverride:
    """Declare `data["day"]` a working day or a day off (`data["is_working_day"]`), with
    `data["note"]`; audited under `authority` (the city's commission). Refuses a day that has an
    override already (WorkdayRefusal.ALREADY_SET) and one that would change nothing
    (SAME_AS_OFFICIAL)."""
    day, working = data["day"], bool(data["is_working_day"])
    if db.session.scalar(select(WorkingDayOverride.id).where(WorkingDayOverride.day == day)) is not None:
        raise DomainError(WorkdayRefusal.ALREADY_SET)
    if official_is_working_day(day) == working:
        raise DomainError(WorkdayRefusal.SAME_AS_OFFICIAL)
    override = WorkingDayOverride(
        day=day, is_working_day=working, note=data["note"], created_by_id=getattr(actor, "id", None)
    )
    db.session.add(override)
    db.session.flush()
    audit.record(
        actor,
        "workday.override_add",
        override,
        authority_id=authority.id,
        day=day.isoformat(),
        is_working_day=working,
        note=data["note"],
    )
    _forget()
    return override


def remove_override(actor, authority, override: WorkingDayOverride) -> None:
    """The day counts as the official calendar says again; audited with what was removed."""
    audit.record(
        actor,
        "workday.override_remove",
        override,
        authority_id=authority.id,
        day=override.day.isoformat(),
        is_working_day=override.is_working_day,
        note=override.note,
    )
    db.session.delete(override)
    db.session.flush()
    _forget()
