"""Passwords as NIST SP 800-63B asks: long enough, not among the commonly used or breached ones
(a list of more than four million, checked offline), not built from the person's own email or
name. The form says why beside the field and keeps what else was typed."""

import pytest
from sqlalchemy import select

from portal.accounts import services
from portal.accounts.models import User
from tests.helpers.pages import ENGLISH, field_error, field_value


def registration(password, **overrides):
    return {"display_name": "家长 张伟", "password": password, "confirm": password, **overrides}


@pytest.fixture
def register_link(with_app):
    """The link mailed to zhang.wei@example.org, which opens the form for a name and a password."""
    with with_app():
        return "/register/complete/" + services.registration_token("zhang.wei@example.org")


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("aaaaaaaaaaaa", "repeats too few characters"),
        ("123456789012", "most commonly used or leaked"),
        ("password1234", "most commonly used or leaked"),
        ("Password1234", "most commonly used or leaked"),
        ("iloveyou1234", "most commonly used or leaked"),
        ("zhangwei2026", "built from your email address or your name"),
        ("zhang.wei@example.org", "built from your email address or your name"),
        ("家长张伟家长张伟12", "built from your email address or your name"),
    ],
)
def test_a_password_easy_to_guess_is_refused_at_registration_and_says_why(client, db, register_link, password, why):
    response = client.post(register_link, data=registration(password), headers=ENGLISH)

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert why in field_error(page, "password")
    assert field_value(page, "display_name") == "家长 张伟"  # what was typed stays
    assert db.session.scalar(select(User).where(User.email == "zhang.wei@example.org")) is None


def test_a_few_unrelated_words_are_accepted(client, db, register_link):
    response = client.post(register_link, data=registration("茶杯 steady 南山 lantern"))

    assert response.status_code == 303


def test_the_new_password_of_a_password_change_follows_the_same_rules(client, db, make_user, login_as):
    MINE = "li.na.2026.12"  # noqa: N806 - her email with a date
    login_as(make_user(email="li.na@example.org", display_name="李娜", password="the old passphrase here"))

    response = client.post(
        "/me/password",
        data={"current_password": "the old passphrase here", "new_password": MINE, "confirm": MINE},
        headers=ENGLISH,
    )

    assert response.status_code == 422
    assert "built from your email address or your name" in field_error(response.get_data(as_text=True), "new_password")
