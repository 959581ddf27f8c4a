"""Security headers, CSRF, size limits, redirects that stay on the site, cookie flags."""

import re

import pytest
from sqlalchemy import func, select

from portal import config as portal_config
from portal.accounts import services
from portal.accounts.models import User
from portal.notifications.models import Mail
from tests.helpers.pages import ENGLISH, PASSWORD, csrf_token_from, location_path


def cookie(response, name):
    """The Set-Cookie header for `name`, or None."""
    for header in response.headers.getlist("Set-Cookie"):
        if header.startswith(f"{name}="):
            return header
    return None


def attributes(set_cookie: str) -> set[str]:
    return {part.strip().split("=")[0].lower() for part in set_cookie.split(";")[1:]}


# Headers


@pytest.fixture
def pages(client, make_user, login_as, school):
    """A sample of what the portal answers: pages, a redirect, errors, a fragment, JSON."""
    admin = make_user(role="school_admin", scope=school)
    parent = make_user(role="parent", scope=school)

    def fetch():
        answers = {
            "home": client.get("/"),
            "login": client.get("/login"),
            "register": client.get("/register"),
            "not found": client.get("/no-such-page"),
            "method not allowed": client.get("/logout"),
            "redirect to log in": client.get("/me"),
            "fragment": client.post("/register/email", data={"email": "x@example.org"}, headers={"HX-Request": "true"}),
            "health": client.get("/healthz"),
        }
        login_as(admin)
        answers["my account"] = client.get("/me")
        answers["invitation codes"] = client.get(f"/schools/{school.slug}/manage/invitations")
        login_as(parent)
        answers["forbidden"] = client.get(f"/schools/{school.slug}/manage/invitations")
        assert answers["forbidden"].status_code == 403
        return answers

    return fetch


def test_every_answer_carries_the_security_headers(pages):
    for name, response in pages().items():
        headers = response.headers
        assert headers.get("X-Content-Type-Options") == "nosniff", name
        assert headers.get("X-Frame-Options") == "DENY", name
        assert headers.get("Referrer-Policy") == "strict-origin-when-cross-origin", name
        policy = headers.get("Content-Security-Policy", "")
        assert "frame-ancestors 'none'" in policy, name
        assert "default-src 'self'" in policy, name


def test_content_security_policy_allows_no_inline_script_or_style(client, db):
    policy = client.get("/").headers["Content-Security-Policy"]
    directives = dict((part.strip().split(" ", 1) + [""])[:2] for part in policy.split(";") if part.strip())

    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy
    assert directives["object-src"] == "'none'"


def test_pages_have_no_inline_scripts_styles_or_event_handlers(pages):
    for name, response in pages().items():
        if response.mimetype != "text/html":
            continue
        page = response.get_data(as_text=True)
        for script in re.findall(r"<script\b[^>]*>", page):
            assert "src=" in script, f"{name}: inline script {script}"
        assert not re.search(r"<style\b", page), name
        assert not re.search(r"\sstyle=", page), name
        assert not re.search(r"\son[a-z]+=", page), name


def test_logged_in_pages_are_not_stored_by_caches(client, make_user, login_as):
    login_as(make_user())

    assert client.get("/me").headers["Cache-Control"] == "no-store"
    assert "Cookie" in client.get("/").headers.get("Vary", "")


def test_strict_transport_security_only_over_https(app, client, db, monkeypatch):
    assert "Strict-Transport-Security" not in client.get("/").headers

    monkeypatch.setitem(app.config, "PORTAL_HTTPS", True)

    assert client.get("/").headers["Strict-Transport-Security"].startswith("max-age=")


# Cookies


def test_session_cookie_is_http_only_and_same_site_lax(client, make_user):
    make_user(email="cookie@example.org", password=PASSWORD)

    response = client.post("/login", data={"email": "cookie@example.org", "password": PASSWORD})

    session_cookie = cookie(response, "session")
    assert session_cookie is not None
    assert "httponly" in attributes(session_cookie)
    assert "SameSite=Lax" in session_cookie
    assert "secure" not in attributes(session_cookie)  # plain HTTP in tests: PORTAL_HTTPS is off


def test_remember_me_cookie_is_http_only_and_same_site_lax(client, make_user):
    make_user(email="cookie@example.org", password=PASSWORD)

    response = client.post("/login", data={"email": "cookie@example.org", "password": PASSWORD, "remember": "y"})

    remember = cookie(response, "remember_token")
    assert remember is not None
    assert "httponly" in attributes(remember)
    assert "SameSite=Lax" in remember


def test_cookies_are_secure_when_portal_https_is_set(monkeypatch):
    monkeypatch.setenv("PORTAL_HTTPS", "1")

    settings = portal_config.load()

    assert settings["SESSION_COOKIE_SECURE"] is True
    assert settings["REMEMBER_COOKIE_SECURE"] is True
    assert settings["SESSION_COOKIE_HTTPONLY"] is True
    assert settings["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_cookies_are_not_marked_secure_without_portal_https(monkeypatch):
    monkeypatch.delenv("PORTAL_HTTPS", raising=False)

    assert portal_config.load()["SESSION_COOKIE_SECURE"] is False


def test_session_cookie_carries_secure_flag_over_https(app, client, make_user, monkeypatch):
    monkeypatch.setitem(app.config, "SESSION_COOKIE_SECURE", True)
    make_user(email="cookie@example.org", password=PASSWORD)

    response = client.post(
        "/login", data={"email": "cookie@example.org", "password": PASSWORD}, base_url="https://portal.test"
    )

    assert "secure" in attributes(cookie(response, "session"))


def test_language_cookie_is_http_only_same_site_lax_and_secure_over_https(app, client, db, monkeypatch):
    plain = cookie(client.post("/language", data={"lang": "en"}), "lang")
    assert "httponly" in attributes(plain)
    assert "SameSite=Lax" in plain
    assert "secure" not in attributes(plain)

    monkeypatch.setitem(app.config, "PORTAL_HTTPS", True)
    secure = cookie(client.post("/language", data={"lang": "en"}), "lang")
    assert "secure" in attributes(secure)


# CSRF


def test_login_without_csrf_token_gets_the_400_page(csrf_client, make_user):
    make_user(email="csrf@example.org", password=PASSWORD)

    response = csrf_client.post("/login", data={"email": "csrf@example.org", "password": PASSWORD}, headers=ENGLISH)

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'id="error-400"' in page
    assert "Bad request" in page
    assert csrf_client.get("/me").status_code == 302


def test_login_with_the_csrf_token_from_the_form_works(csrf_client, make_user):
    make_user(email="csrf@example.org", password=PASSWORD)
    token = csrf_token_from(csrf_client.get("/login").get_data(as_text=True))

    response = csrf_client.post("/login", data={"email": "csrf@example.org", "password": PASSWORD, "csrf_token": token})

    assert response.status_code == 303


def test_wrong_csrf_token_gets_the_400_page(csrf_client, make_user):
    make_user(email="csrf@example.org", password=PASSWORD)
    csrf_client.get("/login")

    response = csrf_client.post(
        "/login", data={"email": "csrf@example.org", "password": PASSWORD, "csrf_token": "forged-token"}
    )

    assert response.status_code == 400


def test_registration_without_csrf_token_sends_no_mail(csrf_client, db):
    response = csrf_client.post("/register", data={"email": "csrf@example.org"})

    assert response.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(Mail).where(Mail.to_address == "csrf@example.org")) == 0


def test_finishing_registration_without_csrf_token_saves_nothing(csrf_client, db, with_app):
    with with_app():
        link = "/register/complete/" + services.registration_token("csrf@example.org")

    response = csrf_client.post(
        link, data={"display_name": "某人", "password": "long enough pass", "confirm": "long enough pass"}
    )

    assert response.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(User).where(User.email == "csrf@example.org")) == 0


def test_password_reset_without_csrf_token_changes_nothing(csrf_client, db, make_user, with_app):
    user = make_user(email="csrf@example.org", password=PASSWORD)
    with with_app():
        link = "/password/reset/" + services.reset_token(user)
    user_id, before = user.id, user.password_hash

    answers = [
        csrf_client.post("/password/reset", data={"email": "csrf@example.org"}).status_code,
        csrf_client.post(link, data={"new_password": "long enough pass", "confirm": "long enough pass"}).status_code,
    ]

    assert answers == [400, 400]
    assert db.session.scalar(select(User.password_hash).where(User.id == user_id)) == before


def test_logout_without_csrf_token_does_not_log_out(csrf_client, make_user):
    make_user(email="csrf@example.org", password=PASSWORD)
    token = csrf_token_from(csrf_client.get("/login").get_data(as_text=True))
    csrf_client.post("/login", data={"email": "csrf@example.org", "password": PASSWORD, "csrf_token": token})

    assert csrf_client.post("/logout").status_code == 400
    assert csrf_client.get("/me").status_code == 200


def test_htmx_requests_carry_the_csrf_token_in_a_header(csrf_client, db):
    page = csrf_client.get("/register").get_data(as_text=True)
    token = re.search(r'hx-headers=\'\{"X-CSRFToken": "([^"]+)"\}\'', page).group(1)

    without = csrf_client.post("/register/email", data={"email": "free@example.org"}, headers={"HX-Request": "true"})
    with_token = csrf_client.post(
        "/register/email", data={"email": "free@example.org"}, headers={"HX-Request": "true", "X-CSRFToken": token}
    )

    assert without.status_code == 400
    assert with_token.status_code == 200


def test_language_switch_without_csrf_token_is_refused_for_someone_logged_in(csrf_client, parent):
    from tests.helpers.pages import log_in

    log_in(csrf_client, parent)
    response = csrf_client.post("/language", data={"lang": "en"})

    assert response.status_code == 400
    assert cookie(response, "lang") is None


def test_a_visitors_language_switch_needs_no_token(csrf_client, db):
    # Visitors' pages are kept for everybody in the page cache, without a token; for a visitor the
    # switch only sets the cookie, as any link to ?lang=en does.
    response = csrf_client.post("/language", data={"lang": "en"})

    assert response.status_code == 303
    assert cookie(response, "lang").startswith("lang=en;")


# Size limit


def test_body_over_the_size_limit_gets_the_413_page(app, client, db):
    limit = app.config["MAX_CONTENT_LENGTH"]

    response = client.post("/login", data={"email": "x@example.org", "password": "p" * limit}, headers=ENGLISH)

    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert 'id="error-413"' in page
    assert "Too large" in page


def test_body_at_a_small_limit_is_accepted_and_one_byte_more_is_refused(app, client, db, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 2048)

    def login_body(size):
        start = b"email=x%40example.org&password="
        return start + b"p" * (size - len(start))

    def post(body):
        assert len(body) in (2048, 2049)
        return client.post("/login", data=body, content_type="application/x-www-form-urlencoded")

    assert post(login_body(2048)).status_code == 422  # read and answered by the form itself
    assert post(login_body(2049)).status_code == 413


# Redirects stay on this site


@pytest.mark.parametrize("target", ["//evil.example", "https://evil.example", "/\\evil.example", "\t//evil.example"])
def test_language_switch_never_leads_to_another_site(client, db, target):
    response = client.post("/language", data={"lang": "en", "next": target})

    assert response.status_code == 303
    assert location_path(response) == "/"
    assert "evil" not in response.headers["Location"]


def test_language_switch_leads_back_to_the_local_page(client, db):
    response = client.post("/language", data={"lang": "en", "next": "/register?x=1"})

    assert location_path(response) == "/register?x=1"


@pytest.mark.parametrize("target", ["//evil.example", "https://evil.example", "/\\evil.example"])
def test_logged_in_person_opening_login_with_a_foreign_next_stays_on_the_site(client, make_user, login_as, target):
    login_as(make_user())

    response = client.get("/login", query_string={"next": target})

    assert response.status_code == 302
    assert location_path(response) == "/me"


@pytest.mark.parametrize("target", ["//[", "https://[evil", "http://[::1", "//[::1]:99999"])
def test_next_that_is_not_even_a_valid_address_is_ignored(client, make_user, target):
    make_user(email="odd@example.org", password=PASSWORD)

    switched = client.post("/language", data={"lang": "en", "next": target})
    shown = client.get("/login", query_string={"next": target})
    logged_in = client.post("/login", data={"email": "odd@example.org", "password": PASSWORD, "next": target})

    assert (switched.status_code, location_path(switched)) == (303, "/")
    assert shown.status_code == 200
    assert (logged_in.status_code, location_path(logged_in)) == (303, "/me")


@pytest.mark.parametrize("referrer", ["http://[", "http://portal.test:99999/x", "//[", "\x00"])
def test_a_broken_referer_header_does_not_break_a_form_page(client, db, referrer):
    response = client.post(
        "/login", data={"email": "x@example.org", "password": "wrong"}, headers={"Referer": referrer}
    )

    assert response.status_code == 422
