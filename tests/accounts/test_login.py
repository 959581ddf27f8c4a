"""Logging in and out, where login leads, and the throttle on failed attempts."""

import pytest

from tests.helpers.pages import ENGLISH, PASSWORD, field_error, location_path

EMAIL = "parent@example.org"


@pytest.fixture
def parent(make_user, school):
    return make_user(email=EMAIL, password=PASSWORD, role="parent", scope=school)


def log_in(client, email=EMAIL, password=PASSWORD, **extra):
    return client.post("/login", data={"email": email, "password": password, **extra}, headers=ENGLISH)


def test_visitor_sees_the_login_form_with_email_and_password_fields(client, db):
    response = client.get("/login", headers=ENGLISH)

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'name="email"' in page
    assert 'name="password"' in page


def test_logging_in_leads_to_my_account(client, parent):
    response = log_in(client)

    assert response.status_code == 303
    assert location_path(response) == "/me"
    assert client.get("/me").status_code == 200


def test_email_is_matched_in_any_case_at_login(client, parent):
    response = log_in(client, email="  Parent@EXAMPLE.org ")

    assert response.status_code == 303
    assert client.get("/me").status_code == 200


def test_logging_in_leads_to_the_local_page_asked_for(client, parent):
    response = log_in(client, next="/me?tab=roles")

    assert response.status_code == 303
    assert location_path(response) == "/me?tab=roles"


def test_login_page_carries_next_into_the_form(client, db):
    page = client.get("/login?next=/me").get_data(as_text=True)

    assert 'name="next" value="/me"' in page


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example",
        "//evil.example/me",
        "https://evil.example",
        "https://evil.example/me",
        "http:evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        " //evil.example",
        "javascript:alert(1)",
        "/me\r\nSet-Cookie: x=1",
        "evil.example",
    ],
)
def test_login_never_leads_to_another_site(client, parent, target):
    response = log_in(client, next=target)

    assert response.status_code == 303
    assert location_path(response) == "/me"
    assert "evil" not in response.headers["Location"]


def test_login_regenerates_the_session(client, parent):
    with client.session_transaction() as session:
        session["planted_before_login"] = "attacker's value"

    log_in(client)

    with client.session_transaction() as session:
        assert "planted_before_login" not in session
        assert session.get("_user_id")


def test_wrong_password_and_unknown_email_give_the_same_message(client, parent):
    wrong_password = log_in(client, password="not the right password")
    unknown_email = log_in(client, email="nobody@example.org")

    assert wrong_password.status_code == unknown_email.status_code == 422
    message_wrong = field_error(wrong_password.get_data(as_text=True), "password")
    message_unknown = field_error(unknown_email.get_data(as_text=True), "password")
    assert message_wrong
    assert message_wrong == message_unknown
    assert field_error(wrong_password.get_data(as_text=True), "email") is None
    assert field_error(unknown_email.get_data(as_text=True), "email") is None
    with client.session_transaction() as session:
        assert "_user_id" not in session


def test_failed_login_keeps_the_email_but_not_the_password(client, parent):
    page = log_in(client, password="not the right password").get_data(as_text=True)

    assert f'value="{EMAIL}"' in page
    assert "not the right password" not in page


def test_inactive_account_cannot_log_in(client, make_user):
    make_user(email="blocked@example.org", password=PASSWORD, active=False)

    response = log_in(client, email="blocked@example.org")

    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "password")
    assert client.get("/me").status_code == 302


def test_inactive_account_is_logged_out_of_an_existing_session(client, db, make_user, login_as):
    from portal.accounts.models import User

    user = login_as(make_user())
    assert client.get("/me").status_code == 200
    db.session.get(User, user.id).active = False
    db.session.commit()

    assert client.get("/me").status_code == 302


def test_empty_login_form_is_refused_with_messages(client, db):
    response = client.post("/login", data={}, headers=ENGLISH)

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert field_error(page, "email")
    assert field_error(page, "password")


def test_logged_in_person_opening_login_goes_on_to_my_account(client, parent, login_as):
    login_as(parent)

    response = client.get("/login")

    assert response.status_code == 302
    assert location_path(response) == "/me"


def test_logout_is_not_possible_with_get(client, parent, login_as):
    login_as(parent)

    response = client.get("/logout")

    assert response.status_code == 405
    assert client.get("/me").status_code == 200  # still logged in


def test_logout_ends_the_session(client, parent):
    log_in(client)
    assert client.get("/me").status_code == 200

    response = client.post("/logout", headers=ENGLISH)

    assert response.status_code == 303
    assert location_path(response) == "/"
    assert client.get("/me").status_code == 302
    with client.session_transaction() as session:
        assert "_user_id" not in session


# Throttling: a wrong guess costs, a right answer does not.


def test_sixth_failed_login_for_one_account_in_a_minute_gets_the_429_page_even_with_the_right_password(
    client, parent, rate_limits
):
    for _attempt in range(5):
        assert log_in(client, password="a wrong guess!!").status_code == 422

    response = log_in(client)

    assert response.status_code == 429
    page = response.get_data(as_text=True)
    assert 'id="error-429"' in page
    assert "Too many attempts" in page
    assert client.get("/me").status_code == 302  # not logged in


def test_failed_logins_for_one_account_do_not_lock_out_another_account(client, parent, make_user, rate_limits):
    make_user(email="neighbour@example.org", password=PASSWORD)
    for _attempt in range(5):
        log_in(client, password="a wrong guess!!")

    response = log_in(client, email="neighbour@example.org")

    assert response.status_code == 303


def test_account_limit_counts_the_email_in_any_case(client, parent, rate_limits):
    for attempt in range(5):
        email = EMAIL.upper() if attempt % 2 else EMAIL
        assert log_in(client, email=email, password="a wrong guess!!").status_code == 422

    assert log_in(client, email="Parent@Example.org").status_code == 429


def test_twenty_failed_logins_from_one_address_across_accounts_get_the_429_page(client, parent, rate_limits):
    for attempt in range(20):
        response = log_in(client, email=f"guess{attempt}@example.org", password="a wrong guess!!")
        assert response.status_code == 422

    response = log_in(client)

    assert response.status_code == 429
    assert 'id="error-429"' in response.get_data(as_text=True)


def test_successful_logins_do_not_count_against_the_limits(client, parent, rate_limits):
    for _attempt in range(25):
        assert log_in(client).status_code == 303
        client.post("/logout")

    for _attempt in range(4):
        assert log_in(client, password="a wrong guess!!").status_code == 422
    assert log_in(client).status_code == 303


def test_logout_also_forgets_the_remember_me_cookie(client, parent):
    log_in(client, remember="y")
    assert client.get_cookie("remember_token", domain="portal.test") is not None

    client.post("/logout")

    assert client.get_cookie("remember_token", domain="portal.test") is None
    assert client.get("/me").status_code == 302


def test_remember_me_keeps_me_logged_in_after_the_browser_forgets_the_session(client, parent):
    log_in(client, remember="y")
    assert client.get_cookie("session", domain="portal.test") is not None

    client.delete_cookie("session", domain="portal.test")
    assert client.get_cookie("session", domain="portal.test") is None

    assert client.get("/me").status_code == 200


def test_with_htmx_a_successful_login_tells_the_browser_where_to_go(client, parent):
    response = client.post(
        "/login", data={"email": EMAIL, "password": PASSWORD, "next": "/me?tab=roles"}, headers={"HX-Request": "true"}
    )

    assert response.status_code == 204
    assert response.headers["HX-Redirect"] == "/me?tab=roles"


def test_the_privacy_notice_names_every_cookie_the_portal_sets_and_how_long_it_lasts(client, parent):
    client.get("/?lang=en")  # choosing a language
    log_in(client, remember="y")  # logging in, staying logged in
    set_here = {cookie.key for cookie in client._cookies.values()}

    notice = client.get("/privacy", headers=ENGLISH).text

    assert set_here == {"session", "remember_token", "lang"}
    for name in set_here:
        assert f"<code>{name}</code>" in notice
    assert "at most three cookies" in notice and "for at most 365 days" in notice
    assert "The only cookie" not in notice
