"""Translated error pages, and the health check load balancers ask."""

import pytest
from sqlalchemy.exc import OperationalError

from portal.accounts import services as account_services
from portal.accounts.models import User
from portal.errors import render_error
from portal.schools import services as school_services
from tests.helpers.pages import CJK, ENGLISH, HTMX, PASSWORD, heading

ENGLISH_TITLES = {
    400: "Bad request",
    403: "Not allowed",
    404: "Page not found",
    405: "Not allowed",
    413: "Too large",
    422: "Could not process",
    429: "Too many attempts",
    500: "Something went wrong",
}


@pytest.fixture
def server_errors_become_pages(app, monkeypatch):
    """In testing Flask re-raises errors to the test; here we want the page a person would see."""
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)


@pytest.fixture
def broken_home_page(monkeypatch, server_errors_become_pages):
    def broken():
        raise RuntimeError("something unexpected")

    monkeypatch.setattr(school_services, "districts_overview", broken)


@pytest.fixture
def error_responses(app, client, make_user, login_as, school, broken_home_page, rate_limits):
    """A way to cause each error code, for a client sending `headers`."""
    parent = make_user(role="parent", scope=school)
    make_user(email="limited@example.org", password=PASSWORD)

    def cause(code, headers):
        if code == 400:
            app.config["WTF_CSRF_ENABLED"] = True
            try:
                return client.post("/language", data={"lang": "en"}, headers=headers)
            finally:
                app.config["WTF_CSRF_ENABLED"] = False
        if code == 403:
            login_as(parent)
            try:
                return client.get(f"/schools/{school.slug}/manage/invitations", headers=headers)
            finally:
                client.post("/logout")
        if code == 404:
            return client.get("/no-such-page", headers=headers)
        if code == 405:
            return client.get("/logout", headers=headers)
        if code == 413:
            limit = app.config["MAX_CONTENT_LENGTH"]
            app.config["MAX_CONTENT_LENGTH"] = 1024
            try:
                return client.post("/login", data={"email": "x" * 2048}, headers=headers)
            finally:
                app.config["MAX_CONTENT_LENGTH"] = limit
        if code == 429:
            rate_limits.reset()
            for _attempt in range(5):
                client.post("/login", data={"email": "limited@example.org", "password": "a wrong guess!!"})
            return client.post("/login", data={"email": "limited@example.org", "password": PASSWORD}, headers=headers)
        if code == 500:
            return client.get("/", headers=headers)
        raise AssertionError(code)

    return cause


@pytest.mark.parametrize("code", [400, 403, 404, 405, 413, 429, 500])
def test_error_page_in_english(error_responses, code):
    response = error_responses(code, ENGLISH)

    page = response.get_data(as_text=True)
    assert response.status_code == code
    assert '<html lang="en">' in page
    assert f'id="error-{code}"' in page
    assert heading(page) == ENGLISH_TITLES[code]
    assert f"Error code: {code}" in page
    assert response.headers["Content-Type"].startswith("text/html")


@pytest.mark.parametrize("code", [400, 403, 404, 405, 413, 429, 500])
def test_error_page_in_chinese_by_default(compiled_catalogues, error_responses, code):
    response = error_responses(code, {})

    page = response.get_data(as_text=True)
    assert response.status_code == code
    assert '<html lang="zh-CN">' in page
    assert f'id="error-{code}"' in page
    title = heading(page)
    assert CJK.search(title), f"untranslated title: {title!r}"
    assert title != ENGLISH_TITLES[code]


@pytest.mark.parametrize("code", [400, 403, 404, 413, 422, 429, 500])
def test_every_error_code_has_its_own_translated_page(app, compiled_catalogues, code):
    with app.test_request_context(headers=ENGLISH):
        english, status = render_error(code)
    with app.test_request_context():
        chinese, _status = render_error(code)

    assert status == code
    assert heading(english) == ENGLISH_TITLES[code]
    assert f'id="error-{code}"' in english
    assert CJK.search(heading(chinese))


def test_unexpected_status_codes_fall_back_to_a_general_page(app):
    with app.test_request_context(headers=ENGLISH):
        server, server_status = render_error(503)
        client, client_status = render_error(418)

    assert (server_status, heading(server)) == (503, "Something went wrong")
    assert (client_status, heading(client)) == (418, "Bad request")


def test_htmx_gets_the_error_as_a_fragment(client, db):
    response = client.get("/no-such-page", headers=HTMX | ENGLISH)

    page = response.get_data(as_text=True)
    assert response.status_code == 404
    assert page.lstrip().startswith('<div class="error-page" id="error-404">')
    assert "<html" not in page


def test_error_in_the_middle_of_a_change_saves_nothing(
    client, db, make_user, login_as, monkeypatch, server_errors_become_pages
):
    user = login_as(make_user(display_name="原来的名字"))

    def half_done(person, *, display_name, language):
        person.display_name = display_name
        db.session.flush()
        raise RuntimeError("crashed half way")

    monkeypatch.setattr(account_services, "update_profile", half_done)

    response = client.post("/me/profile", data={"display_name": "新名字", "language": "zh"}, headers=ENGLISH)

    assert response.status_code == 500
    assert heading(response.get_data(as_text=True)) == "Something went wrong"
    assert db.session.get(User, user.id).display_name == "原来的名字"


# Health check


def test_health_check_reports_ok_as_json(client, db):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.is_json
    assert response.get_json() == {"status": "ok", "database": "ok"}
    assert response.headers["Cache-Control"] == "no-store"


def test_health_check_answers_503_when_the_database_is_unreachable(client, db, monkeypatch):
    def unreachable(*args, **kwargs):
        raise OperationalError("SELECT 1", {}, ConnectionRefusedError("database is down"))

    monkeypatch.setattr(db.session, "execute", unreachable)

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.is_json
    assert response.get_json() == {"status": "unavailable", "database": "unavailable"}


def test_health_check_needs_no_login_and_sets_no_session(client, db):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert not any(header.startswith("session=") for header in response.headers.getlist("Set-Cookie"))
