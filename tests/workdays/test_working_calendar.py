"""Working days on the official calendar: the State Council's 2026 holidays are days off, the
weekend days swapped for them (调休) are working days, and the commission's overrides win over
both. Every count of working days (feedback's answer day, how long an item waited, the
moderators' reminder) comes from portal.workdays."""

from datetime import date, timedelta

import pytest

from portal import workdays
from portal.audit import AuditEvent
from portal.domain import DomainError
from portal.workdays import WorkdayRefusal, WorkingCalendar, WorkingDayOverride

OFFICIAL = WorkingCalendar(overrides={})


def days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


# The State Council's notice for 2026 (国办发明电〔2025〕7号).
NATIONAL_DAY_2026 = days(date(2026, 10, 1), date(2026, 10, 7))
SPRING_FESTIVAL_2026 = days(date(2026, 2, 15), date(2026, 2, 23))
MAKE_UP_DAYS_2026 = [
    date(2026, 1, 4),  # Sunday, for New Year's Day
    date(2026, 2, 14),  # Saturday, for the Spring Festival
    date(2026, 2, 28),  # Saturday, for the Spring Festival
    date(2026, 5, 9),  # Saturday, for Labour Day
    date(2026, 9, 20),  # Sunday, for National Day
    date(2026, 10, 10),  # Saturday, for National Day
]


@pytest.mark.parametrize("day", NATIONAL_DAY_2026 + SPRING_FESTIVAL_2026, ids=str)
def test_the_2026_national_day_and_spring_festival_holidays_are_days_off(day):
    assert not OFFICIAL.is_working_day(day)


@pytest.mark.parametrize("day", MAKE_UP_DAYS_2026, ids=str)
def test_the_weekend_days_made_working_days_in_2026_are_working_days(day):
    assert day.weekday() >= 5
    assert OFFICIAL.is_working_day(day)


def test_the_day_after_national_day_2026_is_a_working_day_again():
    assert OFFICIAL.is_working_day(date(2026, 10, 8))


def test_ordinary_weekends_and_weekdays_count_as_usual():
    assert OFFICIAL.is_working_day(date(2026, 11, 2))  # a Monday
    assert not OFFICIAL.is_working_day(date(2026, 11, 7))  # a Saturday


def test_the_official_calendar_knows_2026():
    assert 2026 in workdays.official_years()


def test_a_year_not_yet_published_counts_monday_to_friday():
    """The 2027 notice is not in the package yet: weekdays work, weekends do not, until the
    commission enters the holidays as overrides."""
    assert 2027 not in workdays.official_years() or OFFICIAL.is_working_day(date(2027, 3, 3))
    assert not OFFICIAL.is_working_day(date(2027, 3, 6))  # a Saturday


# The State Council's notice for 2026 also makes Sept 25-27 the Mid-Autumn Festival's days off.
MID_AUTUMN_2026 = days(date(2026, 9, 25), date(2026, 9, 27))


@pytest.mark.parametrize(
    ("received", "due"),
    [
        # Received the Thursday before the Mid-Autumn Festival: Sept 25-27 and Oct 1-7 do not
        # count, the make-up Saturday of Oct 10 does.
        (date(2026, 9, 24), date(2026, 10, 22)),
        # Received on the make-up Sunday of Sept 20 (a working day): the count starts after it.
        (date(2026, 9, 20), date(2026, 10, 16)),
        # Received the Friday before the Spring Festival: the make-up Saturday Feb 14 counts,
        # Feb 15-23 do not, the make-up Saturday Feb 28 does.
        (date(2026, 2, 13), date(2026, 3, 12)),
        # Received during the Spring Festival: nothing counts until Feb 24.
        (date(2026, 2, 18), date(2026, 3, 13)),
        # An ordinary November: three weeks.
        (date(2026, 11, 2), date(2026, 11, 23)),
    ],
)
def test_fifteen_working_days_skip_the_holidays_and_count_the_make_up_days(received, due):
    assert OFFICIAL.after(received, 15) == due


@pytest.mark.parametrize("day", MID_AUTUMN_2026, ids=str)
def test_the_2026_mid_autumn_festival_is_days_off(day):
    assert not OFFICIAL.is_working_day(day)


def test_waiting_days_and_the_answer_day_agree():
    received = date(2026, 9, 24)
    due = OFFICIAL.after(received, 15)

    assert OFFICIAL.between(received, due) == 15
    assert OFFICIAL.between(received, due - timedelta(days=1)) == 14
    assert OFFICIAL.between(received, date(2026, 10, 7)) == 3  # Sept 28, 29 and 30: the rest are holidays
    assert OFFICIAL.between(received, received) == 0


@pytest.mark.parametrize("working_days", [0, 1, 5, 15])
@pytest.mark.parametrize(
    "calendar",
    [OFFICIAL, WorkingCalendar(overrides={date(2026, 10, 8): False, date(2026, 10, 10): True})],
    ids=["official", "with overrides"],
)
def test_latest_start_is_the_last_day_that_has_waited_long_enough(calendar, working_days):
    for today in days(date(2026, 9, 1), date(2026, 11, 1)):
        start = calendar.latest_start(working_days, today)
        assert calendar.after(start, working_days) <= today
        assert calendar.after(start + timedelta(days=1), working_days) > today


def test_an_override_wins_over_the_official_calendar():
    calendar = WorkingCalendar(overrides={date(2026, 11, 2): False, date(2026, 11, 7): True})

    assert not calendar.is_working_day(date(2026, 11, 2))
    assert calendar.is_working_day(date(2026, 11, 7))
    assert calendar.after(date(2026, 10, 30), 1) == date(2026, 11, 3)


# --- the overrides in the database --------------------------------------------------------------


@pytest.fixture
def city_admin(make_user, city):
    return make_user(role="commission_admin", scope=city)


def test_an_override_entered_by_the_commission_counts_at_once_and_is_audited(app, db, city, city_admin):
    with app.test_request_context():
        assert workdays.is_working_day(date(2027, 3, 16))
        workdays.add_override(
            city_admin, city, {"day": date(2027, 3, 16), "is_working_day": False, "note": "全市中小学停课"}
        )
        assert not workdays.is_working_day(date(2027, 3, 16))
        db.session.commit()

    event = db.session.query(AuditEvent).filter_by(action="workday.override_add").one()
    assert event.actor_id == city_admin.id and event.authority_id == city.id
    assert event.data == {"day": "2027-03-16", "is_working_day": False, "note": "全市中小学停课"}


def test_removing_an_override_brings_back_the_official_day(app, db, city, city_admin):
    with app.test_request_context():
        override = workdays.add_override(
            city_admin, city, {"day": date(2026, 11, 2), "is_working_day": False, "note": "全市停课"}
        )
        assert not workdays.is_working_day(date(2026, 11, 2))
        workdays.remove_override(city_admin, city, override)
        assert workdays.is_working_day(date(2026, 11, 2))
    assert db.session.query(WorkingDayOverride).count() == 0


def test_a_second_override_for_the_same_day_is_refused(app, db, city, city_admin):
    with app.test_request_context():
        workdays.add_override(city_admin, city, {"day": date(2026, 11, 2), "is_working_day": False, "note": "停课"})
        with pytest.raises(DomainError) as refused:
            workdays.add_override(city_admin, city, {"day": date(2026, 11, 2), "is_working_day": True, "note": "复课"})
    assert refused.value.reason == WorkdayRefusal.ALREADY_SET
    assert refused.value.field == "day"


@pytest.mark.parametrize(
    ("day", "working"),
    [(date(2026, 10, 1), False), (date(2026, 10, 10), True), (date(2026, 11, 2), True)],
    ids=["holiday-as-day-off", "make-up-day-as-working-day", "weekday-as-working-day"],
)
def test_an_override_that_changes_nothing_is_refused(app, db, city, city_admin, day, working):
    with app.test_request_context(), pytest.raises(DomainError) as refused:
        workdays.add_override(city_admin, city, {"day": day, "is_working_day": working, "note": "无变化"})
    assert refused.value.reason == WorkdayRefusal.SAME_AS_OFFICIAL


KNOWN_UP_TO_2026 = list(range(2004, 2027))


@pytest.mark.parametrize(
    "today, unknown",
    [
        (date(2026, 10, 31), []),  # next year's notice is not due yet: no warning
        (date(2026, 11, 1), [2027]),  # from November, deadlines soon reach into 2027
        (date(2026, 12, 31), [2027]),
        (date(2027, 1, 1), [2027]),  # this year itself counted Monday to Friday
        (date(2027, 11, 1), [2027, 2028]),
    ],
    ids=str,
)
def test_the_years_without_an_official_calendar_are_this_year_and_from_november_next_year(monkeypatch, today, unknown):
    monkeypatch.setattr(workdays, "official_years", lambda: KNOWN_UP_TO_2026)

    assert workdays.years_without_official_calendar(today) == unknown


def test_no_year_is_missing_once_the_package_publishes_it(monkeypatch):
    monkeypatch.setattr(workdays, "official_years", lambda: [*KNOWN_UP_TO_2026, 2027])

    assert workdays.years_without_official_calendar(date(2026, 12, 3)) == []
