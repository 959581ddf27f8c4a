"""The city's commission keeps the working calendar at /oversight/working-days: it sees the
official holidays and make-up days, sets a day off or a working day (audited, counted at once),
and removes it again. Bad input is told beside its field and keeps what was typed."""

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from portal import workdays
from portal.audit import AuditEvent
from portal.oversight import manage_views
from portal.oversight import views as oversight_views
from portal.workdays import WorkingDayOverride
from tests.helpers.fuzz import FUZZ, assert_no_server_error, fields_of, post, referers
from tests.helpers.pages import ENGLISH, field_error, field_value, location_path, log_in

URL = "/oversight/working-days"


@pytest.fixture(autouse=True)
def frozen_today(monkeypatch):
    monkeypatch.setattr(manage_views, "today", lambda: date(2026, 12, 3))


@pytest.fixture
def city_admin(make_user, city):
    return make_user(role="commission_admin", scope=city, display_name="市教委管理员")


def overrides(db):
    return db.session.scalars(select(WorkingDayOverride).order_by(WorkingDayOverride.day)).all()


def test_the_page_shows_the_official_2026_holidays_and_says_2027_is_not_published_yet(client, city_admin, login_as):
    login_as(city_admin)

    page = client.get(URL, headers=ENGLISH).get_data(as_text=True)

    assert "National Day" in page and '<time datetime="2026-10-01">' in page and '<time datetime="2026-10-07">' in page
    assert '<time datetime="2026-10-10">' in page  # the make-up Saturday
    if 2027 not in workdays.official_years():
        assert "The State Council's notice for 2027 is not in the official calendar yet" in page


@pytest.fixture
def without_2027(monkeypatch):
    """The calendar package as installed (1.11.0, the latest on PyPI on 2026-12-04): 2004 to 2026."""
    monkeypatch.setattr(workdays, "official_years", lambda: list(range(2004, 2027)))


def test_commission_admins_are_told_at_the_top_that_2027_has_no_official_calendar_and_must_enter_it(
    client, city_admin, login_as, without_2027
):
    login_as(city_admin)

    page = client.get(URL, headers=ENGLISH).get_data(as_text=True)

    warning = page.index('id="no-official-calendar-2027"')
    assert warning < page.index('id="add-override-heading"')  # above the form, not at the bottom
    assert "2027 has no official calendar yet." in page
    assert "every Monday to Friday of 2027 counts as a working day" in page
    assert "0 days of 2027 are set so far." in page
    assert 'id="no-official-calendar-2026"' not in page


def test_the_warning_counts_the_days_of_2027_the_commission_has_set(client, db, city_admin, login_as, without_2027):
    login_as(city_admin)
    client.post(URL, data={"day": "2027-02-08", "kind": "off", "note": "春节"})

    page = client.get(URL, headers=ENGLISH).get_data(as_text=True)

    assert "1 day of 2027 is set so far." in page


def test_the_dashboard_tells_the_city_s_commission_that_2027_has_no_official_calendar(
    monkeypatch, client, city_admin, login_as, without_2027
):
    monkeypatch.setattr(oversight_views, "today", lambda: date(2026, 12, 3))
    login_as(city_admin)

    page = client.get("/oversight", headers=ENGLISH).get_data(as_text=True)

    assert 'id="no-official-calendar-2027"' in page
    assert f'href="{URL}#no-official-calendar-2027"' in page


def test_the_page_reads_in_chinese(client, city_admin, login_as, compiled_catalogues):
    login_as(city_admin)

    page = client.get(URL).get_data(as_text=True)

    assert "国庆节" in page and "春节" in page


def test_commission_sets_a_day_off_which_counts_at_once_and_is_audited(app, client, db, city, city_admin, login_as):
    login_as(city_admin)

    response = client.post(URL, data={"day": "2027-03-16", "kind": "off", "note": "全市中小学停课"}, headers=ENGLISH)

    assert response.status_code == 303 and location_path(response) == URL
    (override,) = overrides(db)
    assert (override.day, override.is_working_day, override.note) == (date(2027, 3, 16), False, "全市中小学停课")
    with app.test_request_context():
        assert not workdays.is_working_day(date(2027, 3, 16))
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "workday.override_add")).one()
    assert event.actor_id == city_admin.id and event.authority_id == city.id
    page = client.get(URL, headers=ENGLISH).get_data(as_text=True)
    assert "March 16, 2027 is now a day off." in page and "全市中小学停课" in page


def test_commission_makes_a_saturday_a_working_day(app, client, db, city_admin, login_as):
    login_as(city_admin)

    response = client.post(URL, data={"day": "2027-03-13", "kind": "working", "note": "全市中小学补课"})

    assert response.status_code == 303
    with app.test_request_context():
        assert workdays.is_working_day(date(2027, 3, 13))


def test_removing_a_day_brings_back_the_official_calendar_and_a_second_click_changes_nothing(
    client, db, city_admin, login_as
):
    login_as(city_admin)
    client.post(URL, data={"day": "2026-12-31", "kind": "off", "note": "全市停课"})
    (override,) = overrides(db)

    first = client.post(f"{URL}/{override.id}/remove", headers=ENGLISH)
    second = client.post(f"{URL}/{override.id}/remove", headers=ENGLISH, follow_redirects=True)

    assert first.status_code == 303
    assert overrides(db) == []
    assert "This override was already removed." in second.get_data(as_text=True)
    removed = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "workday.override_remove")).all()
    assert len(removed) == 1 and removed[0].data["day"] == "2026-12-31"


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"day": "", "kind": "off", "note": "停课"}, "day", "Enter the date."),
        ({"day": "2027-02-30", "kind": "off", "note": "停课"}, "day", "Enter a date such as 2026-09-01."),
        ({"day": "3000-01-01", "kind": "off", "note": "停课"}, "day", "Enter a date between the years 1990 and 2100."),
        ({"day": "2027-03-16", "kind": "", "note": "停课"}, "kind", "Choose whether the day is a working day"),
        ({"day": "2027-03-16", "kind": "maybe", "note": "停课"}, "kind", "Choose whether the day is a working day"),
        ({"day": "2027-03-16", "kind": "off", "note": ""}, "note", "Say why"),
        ({"day": "2027-03-16", "kind": "off", "note": "长" * 201}, "note", "200"),
        ({"day": "2026-10-01", "kind": "off", "note": "国庆"}, "kind", "The official calendar already says the same"),
        (
            {"day": "2026-11-02", "kind": "working", "note": "上班"},
            "kind",
            "The official calendar already says the same",
        ),
    ],
    ids=[
        "no-date",
        "not-a-date",
        "far-future",
        "no-kind",
        "forged-kind",
        "no-note",
        "note-too-long",
        "same-1",
        "same-2",
    ],
)
def test_bad_input_is_told_beside_its_field_keeps_what_was_typed_and_saves_nothing(
    client, db, city_admin, login_as, data, field, message
):
    login_as(city_admin)

    response = client.post(URL, data=data, headers=ENGLISH)

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in (field_error(page, field) or ""), field_error(page, field)
    if data["note"] and len(data["note"]) <= 200:
        assert field_value(page, "note") == data["note"]
    assert 'class="error-summary"' in page
    assert overrides(db) == []


def test_a_day_already_set_is_refused_beside_the_date(client, db, city_admin, login_as):
    login_as(city_admin)
    client.post(URL, data={"day": "2026-12-31", "kind": "off", "note": "全市停课"})

    response = client.post(URL, data={"day": "2026-12-31", "kind": "off", "note": "再次"}, headers=ENGLISH)

    assert response.status_code == 422
    assert "already has an override" in field_error(response.get_data(as_text=True), "day")
    assert len(overrides(db)) == 1


def test_a_district_s_commission_admin_may_not_change_the_city_s_calendar(client, db, district, make_user, login_as):
    login_as(make_user(role="commission_admin", scope=district))

    assert client.get(URL).status_code == 403
    assert client.post(URL, data={"day": "2027-03-16", "kind": "off", "note": "停课"}).status_code == 403
    assert overrides(db) == []


def test_the_dashboard_links_the_city_s_commission_to_the_calendar(client, city_admin, login_as):
    login_as(city_admin)

    page = client.get("/oversight", headers=ENGLISH).get_data(as_text=True)

    assert f'href="{URL}"' in page


def test_posting_anything_to_the_calendar_form_never_gets_a_server_error(app, db, city_admin):
    """Hostile text, lone surrogates, huge values in any field: a message, never a 5xx (and a valid
    day off may be saved, which the next example finds already set: a message again). Thirty
    examples, as tests/test_forms_fuzz.py has for every form: slow (~10 s) for that reason."""
    valid = {"day": "2027-03-17", "kind": "off", "note": "停课"}

    @FUZZ
    @given(fields=fields_of(valid), htmx=st.booleans(), referer=referers)
    def check(fields, htmx, referer):
        response = post(log_in(app.test_client(), city_admin), URL, fields, htmx, referer)
        assert_no_server_error(response, fields)

    check()
