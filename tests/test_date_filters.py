"""Dates on pages (the `dateformat`, `datetimeformat` and `timeformat` filters) read exactly as
Flask-Babel writes them, in both languages and on the schools' clock, though they are formatted
without its lookups at each call."""

from datetime import UTC, date, datetime, time, timedelta, timezone

import flask_babel
import pytest

from portal import i18n

MOMENTS = [
    datetime(2026, 9, 1, 0, 30, tzinfo=UTC),  # 08:30 in Beijing, the same day
    datetime(2026, 12, 31, 17, 5, tzinfo=UTC),  # already 1 January in Beijing
    datetime(2026, 3, 8, 23, 59, 59, tzinfo=timezone(timedelta(hours=-5))),
    datetime(2026, 6, 1, 12, 0),  # no time zone: UTC, as Flask-Babel takes it
]
DAYS = [date(2026, 9, 1), date(2027, 1, 1)]
FORMATS = [None, "short", "medium", "long", "full"]


@pytest.fixture(params=["zh", "en"])
def page_language(app, request):
    with app.test_request_context("/", headers={"Accept-Language": request.param}):
        yield request.param


@pytest.mark.parametrize("format", [*FORMATS, "yyyy-MM-dd EEEE"])
@pytest.mark.parametrize("value", MOMENTS + DAYS)
def test_a_date_reads_as_flask_babel_writes_it(page_language, value, format):
    assert i18n.format_date(value, format) == flask_babel.format_date(value, format)


@pytest.mark.parametrize("format", [*FORMATS, "HH:mm zzzz"])
@pytest.mark.parametrize("value", MOMENTS)
def test_a_moment_reads_as_flask_babel_writes_it(page_language, value, format):
    assert i18n.format_datetime(value, format) == flask_babel.format_datetime(value, format)
    assert i18n.format_time(value, format) == flask_babel.format_time(value, format)


def test_a_time_of_day_reads_as_flask_babel_writes_it(page_language):
    assert i18n.format_time(time(14, 5), "short") == flask_babel.format_time(time(14, 5), "short")


def test_the_two_languages_read_differently(app):
    moment = datetime(2026, 9, 1, 0, 30, tzinfo=UTC)
    with app.test_request_context("/", headers={"Accept-Language": "zh"}):
        chinese = i18n.format_datetime(moment, "long")
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        english = i18n.format_datetime(moment, "long")

    assert "2026年9月1日" in chinese
    assert "September 1, 2026" in english


def test_a_forced_language_is_followed_as_flask_babel_follows_it(app):
    """A mail in the recipient's language, sent during someone else's request."""
    day = date(2026, 9, 1)
    with app.test_request_context("/", headers={"Accept-Language": "zh"}):
        assert i18n.format_date(day, "long") == "2026年9月1日"
        with flask_babel.force_locale("en"):
            assert i18n.format_date(day, "long") == "September 1, 2026"
        assert i18n.format_date(day, "long") == "2026年9月1日"


def test_the_templates_filters_are_these(app):
    assert app.jinja_env.filters["dateformat"] is i18n.format_date
    assert app.jinja_env.filters["datetimeformat"] is i18n.format_datetime
    assert app.jinja_env.filters["timeformat"] is i18n.format_time
