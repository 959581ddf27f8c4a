"""A forgotten password: /password/reset mails a link (an hour, once, bound to the password it
replaces) to an address with an account; the page says the same words for every address. The
new password follows the usual rules; afterwards every session of the account has ended."""

import pytest
from itsdangerous import TimestampSigner
from sqlalchemy import func, select

from portal.accounts import services
from portal.accounts.models import AccountSession, User
from portal.audit import AuditEvent
from tests.helpers.account_mail import last_link_to, mails_to
from tests.helpers.pages import (
    ENGLISH,
    HTMX,
    PASSWORD,
    field_error,
    field_value,
    location_path,
    log_in,
    without_form_tokens,
)
from tests.helpers.tokens import with_signature_changed

NEW_PASSWORD = "a brand new passphrase"
EMAIL = "forgetful@example.org"


@pytest.fixture
def person(make_user):
    return make_user(email=EMAIL, display_name="健忘的家长", password=PASSWORD, language="en")


@pytest.fixture
def reset_link(with_app):
    def link(user) -> str:
        with with_app():
            return "/password/reset/" + services.reset_token(user)

    return link


@pytest.fixture
def hours_later(monkeypatch):
    def move(hours):
        real = TimestampSigner.get_timestamp
        monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: real(self) + int(hours * 3600))

    return move


def new_password(password=NEW_PASSWORD, confirm=None):
    return {"new_password": password, "confirm": password if confirm is None else confirm}


def sessions_of(db, user):
    return db.session.scalar(select(func.count()).where(AccountSession.user_id == user.id))


def can_log_in(app, email, password) -> bool:
    return app.test_client().post("/login", data={"email": email, "password": password}).status_code == 303


def test_the_login_page_offers_a_way_back_in(client):
    page = client.get("/login", headers=ENGLISH).get_data(as_text=True)

    assert 'href="/password/reset"' in page and "Forgot your password?" in page


def test_the_reset_page_asks_for_the_email_address(client):
    response = client.get("/password/reset", headers=ENGLISH)

    assert response.status_code == 200
    assert 'name="email"' in response.get_data(as_text=True)


def test_a_known_address_gets_a_link_in_its_own_language(client, db, person):
    response = client.post("/password/reset", data={"email": " Forgetful@Example.org "})

    assert response.status_code == 303 and location_path(response) == "/password/reset/sent"
    (mail,) = mails_to(db, EMAIL)
    assert mail.subject == "Choose a new password"  # she chose English; the page was in Chinese
    assert "健忘的家长" in mail.text_body and "one hour" in mail.text_body
    assert last_link_to(db, EMAIL).startswith("/password/reset/")
    assert mail.headers == {}  # no unsubscribe link: she asked for this very mail


def test_known_and_unknown_addresses_get_the_same_answer_with_or_without_htmx(client, db, person):
    for headers in (ENGLISH, HTMX | ENGLISH):
        known = client.post("/password/reset", data={"email": EMAIL}, headers=headers)
        known_page = client.get("/password/reset/sent", headers=ENGLISH).get_data(as_text=True)
        unknown = client.post("/password/reset", data={"email": "stranger@example.org"}, headers=headers)
        unknown_page = client.get("/password/reset/sent", headers=ENGLISH).get_data(as_text=True)

        assert known.status_code == unknown.status_code
        assert known.headers.get("Location") == unknown.headers.get("Location")
        assert known.headers.get("HX-Redirect") == unknown.headers.get("HX-Redirect")
        # The same page but for the address, and the form token, which carries the second it was made.
        assert without_form_tokens(known_page.replace(EMAIL, "X")) == without_form_tokens(
            unknown_page.replace("stranger@example.org", "X")
        )
    assert mails_to(db, "stranger@example.org") == []  # nobody to reset: nothing is sent
    assert len(mails_to(db, EMAIL)) == 2


def test_a_closed_account_gets_no_link(client, db, make_user):
    make_user(email="closed@example.org", active=False)

    assert client.post("/password/reset", data={"email": "closed@example.org"}).status_code == 303
    assert mails_to(db, "closed@example.org") == []


@pytest.mark.parametrize("email, message", [("", "enter your email"), ("nobody@", "valid email address")])
def test_a_missing_or_wrong_address_is_refused_beside_the_field(client, db, email, message):
    response = client.post("/password/reset", data={"email": email}, headers=ENGLISH)

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in field_error(page, "email") and field_value(page, "email") == email


def test_the_link_opens_the_new_password_form(client, db, person):
    client.post("/password/reset", data={"email": EMAIL})

    response = client.get(last_link_to(db, EMAIL), headers=ENGLISH)

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'name="new_password"' in page and 'name="confirm"' in page


def test_a_new_password_ends_every_session_and_logs_in_here(app, client, db, person):
    phone, laptop = log_in(app.test_client(), person), log_in(app.test_client(), person)
    assert phone.get("/me").status_code == 200
    client.post("/password/reset", data={"email": EMAIL})
    link = last_link_to(db, EMAIL)

    response = client.post(link, data=new_password(), headers=ENGLISH)

    assert response.status_code == 303 and location_path(response) == "/me"
    assert client.get("/me").status_code == 200  # logged in afresh here
    assert phone.get("/me").status_code == 302 and laptop.get("/me").status_code == 302
    assert sessions_of(db, person) == 1
    assert not can_log_in(app, EMAIL, PASSWORD)  # the old password fails
    assert can_log_in(app, EMAIL, NEW_PASSWORD)
    (event,) = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "user.password_reset")).all()
    assert event.object_id == person.id and event.data["sessions"] == 2


def test_the_link_works_once(app, client, db, person, reset_link):
    link = reset_link(person)
    assert client.post(link, data=new_password()).status_code == 303
    other = app.test_client()

    shown = other.get(link, headers=ENGLISH)
    posted = other.post(link, data=new_password("yet another passphrase"), headers=ENGLISH)

    assert shown.status_code == posted.status_code == 410
    assert "already been used" in shown.get_data(as_text=True)
    assert can_log_in(app, EMAIL, NEW_PASSWORD)


def test_a_link_dies_when_the_password_changes_another_way(client, db, person, reset_link, login_as):
    link = reset_link(person)
    login_as(person)
    client.post(
        "/me/password", data={"current_password": PASSWORD, "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )

    assert client.get(link).status_code == 410


def test_a_link_older_than_an_hour_gives_a_clear_page_and_changes_nothing(
    app, client, db, person, reset_link, hours_later
):
    link = reset_link(person)
    hours_later(1.01)

    shown = client.get(link, headers=ENGLISH)
    posted = client.post(link, data=new_password(), headers=ENGLISH)

    assert shown.status_code == posted.status_code == 410
    page = shown.get_data(as_text=True)
    assert "expired" in page and 'href="/password/reset"' in page
    assert can_log_in(app, EMAIL, PASSWORD)


def test_a_link_still_works_just_before_the_hour_is_out(client, db, person, reset_link, hours_later):
    link = reset_link(person)
    hours_later(0.95)

    assert client.post(link, data=new_password()).status_code == 303


@pytest.mark.parametrize(
    "tamper",
    [
        with_signature_changed,
        lambda token: "eyJ1IjoxLCJoIjoiMCJ9" + token[token.index(".") :],  # another account
        lambda token: "x",
    ],
)
def test_a_forged_link_gives_a_clear_page_and_changes_nothing(app, client, db, person, reset_link, tamper):
    link = "/password/reset/" + tamper(reset_link(person).rsplit("/", 1)[1])

    shown = client.get(link, headers=ENGLISH)
    posted = client.post(link, data=new_password(), headers=ENGLISH)

    assert shown.status_code == posted.status_code == 400
    assert "not valid" in shown.get_data(as_text=True)
    assert can_log_in(app, EMAIL, PASSWORD)


def test_a_registration_link_is_not_a_reset_link(client, db, person, with_app):
    with with_app():
        token = services.registration_token(EMAIL)

    assert client.get("/password/reset/" + token).status_code == 400


@pytest.mark.parametrize(
    "data, field, message",
    [
        ({}, "new_password", "choose a password"),
        (new_password("x" * 11), "new_password", "at least 12"),
        (new_password(confirm="something else"), "confirm", "not the same"),
        (new_password("forgetful2026"), "new_password", "built from your email"),
        (new_password("password1234"), "new_password", "most commonly used"),
    ],
)
def test_a_bad_new_password_is_refused_beside_its_field_and_nothing_changes(
    app, client, db, person, reset_link, data, field, message
):
    response = client.post(reset_link(person), data=data, headers=ENGLISH)

    assert response.status_code == 422
    assert message in field_error(response.get_data(as_text=True), field)
    assert can_log_in(app, EMAIL, PASSWORD)


def test_asking_is_audited_for_known_and_unknown_addresses_alike(client, db, person):
    client.post("/password/reset", data={"email": EMAIL})
    client.post("/password/reset", data={"email": "stranger@example.org"})

    asked = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "user.password_reset_request")).all()
    assert [event.data["email"] for event in asked] == [EMAIL, "stranger@example.org"]


def test_one_email_gets_at_most_three_reset_links_an_hour_whoever_asks(app, db, person, rate_limits):
    for n in range(3):
        answer = app.test_client().post(
            "/password/reset", data={"email": EMAIL}, environ_base={"REMOTE_ADDR": f"198.51.100.{n}"}
        )
        assert answer.status_code == 303

    again = app.test_client().post("/password/reset", data={"email": EMAIL}, headers=ENGLISH)

    assert again.status_code == 429
    assert len(mails_to(db, EMAIL)) == 3


def test_one_network_address_may_ask_thirty_times_an_hour_whatever_the_answer(app, db, rate_limits):
    answers = [
        app.test_client()
        .post("/password/reset", data={"email": f"who{n}@example.org" if n % 2 else f"bad{n}@"})
        .status_code
        for n in range(31)
    ]

    assert set(answers[:30]) == {303, 422} and answers[30] == 429
    assert db.session.scalar(select(func.count()).select_from(User).where(User.email.like("who%"))) == 0


@pytest.mark.parametrize(
    "payload",
    [[1, 2], 5, "text", {}, {"u": "abc", "h": "0", "p": "reset"}, {"u": 10**30, "h": "0", "p": "reset"}, {"u": 1}],
)
@pytest.mark.parametrize(
    "purpose, address", [("password-reset", "/password/reset/"), ("register", "/register/complete/")]
)
def test_a_link_signed_with_the_right_key_but_odd_contents_is_refused_not_a_server_error(
    client, db, with_app, payload, purpose, address
):
    with with_app():
        token = services._tokens(purpose).dumps(payload)

    shown = client.get(address + token)
    posted = client.post(address + token, data=new_password())

    assert shown.status_code == posted.status_code == 400


@pytest.mark.parametrize("token", ["x" * 5000, "名字.签名", "a.b.c", "%00", ".."])
def test_strange_links_are_refused_not_a_server_error(client, db, token):
    for address in ("/password/reset/", "/register/complete/"):
        assert client.get(address + token).status_code in (400, 404)
