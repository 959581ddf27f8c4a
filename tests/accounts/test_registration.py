"""Creating an account: the address first, then the link mailed to it (a day, once), which opens
the form for a name and a password. The pages say the same words whether or not an address has
an account; only the mail to it tells which."""

import pytest
from itsdangerous import TimestampSigner
from sqlalchemy import func, select

from portal.accounts import services
from portal.accounts.models import AccountSession, User
from portal.audit import AuditEvent
from tests.helpers.account_mail import last_link_to, mails_to
from tests.helpers.pages import ENGLISH, HTMX, field_error, field_value, location_path, without_form_tokens
from tests.helpers.tokens import with_signature_changed

GOOD_PASSWORD = "a long enough password"
NEW = "new.parent@example.org"


def details(**overrides):
    data = {"display_name": "新家长 王芳", "password": GOOD_PASSWORD, "confirm": GOOD_PASSWORD}
    data.update(overrides)
    return data


def count_users(db):
    return db.session.scalar(select(func.count()).select_from(User))


def page_text(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def link_for(with_app):
    """link_for(email) -> the path of a genuine registration link to that address."""

    def link(email: str) -> str:
        with with_app():
            return "/register/complete/" + services.registration_token(email)

    return link


@pytest.fixture
def token_for(with_app):
    def token(make, *args) -> str:
        with with_app():
            return make(*args)

    return token


@pytest.fixture
def days_later(monkeypatch):
    """days_later(hours): links are read as if opened that many hours after they were signed."""

    def move(hours):
        real = TimestampSigner.get_timestamp
        monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: real(self) + int(hours * 3600))

    return move


# --- step one: the address ------------------------------------------------------------------


def test_visitor_is_asked_for_an_email_address_only(client):
    response = client.get("/register", headers=ENGLISH)

    page = page_text(response)
    assert response.status_code == 200
    assert 'name="email"' in page
    for field in ("display_name", "password", "confirm"):
        assert f'name="{field}"' not in page


def test_a_new_address_gets_a_link_and_no_account_is_made_yet(client, db):
    before = count_users(db)

    response = client.post("/register", data={"email": NEW}, headers=ENGLISH)

    assert response.status_code == 303
    assert location_path(response) == "/register/sent"
    assert count_users(db) == before
    (mail,) = mails_to(db, NEW)
    assert mail.subject == "Finish creating your account"
    assert "24 hours" in mail.text_body
    assert last_link_to(db, NEW).startswith("/register/complete/")
    sent = client.get("/register/sent", headers=ENGLISH)
    assert "Check your email" in page_text(sent) and NEW in page_text(sent)
    # Shown once: the next person on a shared phone does not see the address.
    assert NEW not in page_text(client.get("/register/sent", headers=ENGLISH))


def test_the_mail_is_in_the_language_of_the_page(client, db):
    client.post("/register", data={"email": NEW})

    (mail,) = mails_to(db, NEW)
    assert "重庆市学校治理公共平台" in mail.text_body  # written in Chinese, the page's language
    assert mail.html_body.startswith("<!doctype html>") and 'lang="zh-CN"' in mail.html_body


@pytest.mark.parametrize("typed", ["PARENT@Example.org", " parent@example.org "])
def test_a_known_address_gets_the_same_page_and_a_mail_offering_a_new_password(client, db, make_user, typed):
    make_user(email="parent@example.org", display_name="老家长")
    before = count_users(db)

    known = client.post("/register", data={"email": typed}, headers=ENGLISH)
    known_page = page_text(client.get("/register/sent", headers=ENGLISH))
    unknown = client.post("/register", data={"email": "nobody@example.org"}, headers=ENGLISH)
    unknown_page = page_text(client.get("/register/sent", headers=ENGLISH))

    assert (known.status_code, known.headers["Location"]) == (unknown.status_code, unknown.headers["Location"])
    # The same page but for the address, and the form token, which carries the second it was made.
    assert without_form_tokens(known_page.replace("parent@example.org", "X")) == without_form_tokens(
        unknown_page.replace("nobody@example.org", "X")
    )
    assert count_users(db) == before
    (mail,) = mails_to(db, "parent@example.org")
    assert mail.subject == "You already have an account"
    assert "老家长" in mail.text_body
    assert last_link_to(db, "parent@example.org").startswith("/password/reset/")


def test_with_htmx_known_and_unknown_addresses_get_the_same_answer(client, db, make_user):
    make_user(email="parent@example.org")

    known = client.post("/register", data={"email": "parent@example.org"}, headers=HTMX)
    unknown = client.post("/register", data={"email": "free@example.org"}, headers=HTMX)

    assert known.status_code == unknown.status_code == 204
    assert known.headers["HX-Redirect"] == unknown.headers["HX-Redirect"] == "/register/sent"
    assert known.get_data() == unknown.get_data() == b""


@pytest.mark.parametrize(
    "email, message",
    [("", "enter your email"), ("not-an-email", "valid email address"), ("a" * 243 + "@example.org", "at most 254")],
)
def test_a_missing_or_wrong_address_is_refused_beside_the_field(client, db, email, message):
    response = client.post("/register", data={"email": email}, headers=ENGLISH)

    assert response.status_code == 422
    assert message in field_error(page_text(response), "email")
    assert field_value(page_text(response), "email") == email
    assert not mails_to(db, email)


def test_logged_in_person_opening_registration_goes_to_my_account(client, make_user, login_as):
    login_as(make_user())

    response = client.get("/register")

    assert response.status_code == 302
    assert location_path(response) == "/me"


def test_asking_for_a_link_is_audited_without_saying_whether_the_address_is_known(client, db):
    client.post("/register", data={"email": NEW})

    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.registration_mail"))
    assert event is not None and event.data["email"] == NEW


# --- step two: the link -----------------------------------------------------------------------


def test_the_mailed_link_opens_the_form_for_a_name_and_a_password(client, db):
    client.post("/register", data={"email": NEW})

    response = client.get(last_link_to(db, NEW), headers=ENGLISH)

    page = page_text(response)
    assert response.status_code == 200
    assert NEW in page
    for field in ("display_name", "password", "confirm"):
        assert f'name="{field}"' in page
    assert 'name="email"' not in page  # the address is the link's: it cannot be changed here


def test_finishing_from_the_link_creates_the_account_and_logs_in(client, db):
    client.post("/register", data={"email": "  New.Parent@Example.ORG "}, headers=ENGLISH)
    link = last_link_to(db, NEW)

    response = client.post(link, data=details(), headers=ENGLISH)

    assert response.status_code == 303
    assert location_path(response) == "/me"
    user = db.session.scalar(select(User).where(User.email == NEW))
    assert user.display_name == "新家长 王芳"
    assert user.password_hash != GOOD_PASSWORD  # stored as a hash, never in clear
    assert user.language == "en"
    assert db.session.scalar(select(func.count()).where(AccountSession.user_id == user.id)) == 1
    me = client.get("/me", headers=ENGLISH)
    assert me.status_code == 200 and NEW in page_text(me)


def test_the_link_works_once(client, db, app):
    client.post("/register", data={"email": NEW})
    link = last_link_to(db, NEW)
    assert client.post(link, data=details()).status_code == 303
    other = app.test_client()

    again = other.get(link, headers=ENGLISH)
    posted = other.post(link, data=details(display_name="第二次"), headers=ENGLISH)

    assert again.status_code == posted.status_code == 410
    assert "already been used" in page_text(again)
    assert db.session.scalar(select(User.display_name).where(User.email == NEW)) == "新家长 王芳"


def test_a_link_older_than_a_day_gives_a_clear_page_and_creates_nothing(client, db, link_for, days_later):
    link = link_for(NEW)
    days_later(24.01)

    shown = client.get(link, headers=ENGLISH)
    posted = client.post(link, data=details(), headers=ENGLISH)

    assert shown.status_code == posted.status_code == 410
    assert "expired" in page_text(shown) and 'href="/register"' in page_text(shown)
    assert db.session.scalar(select(User).where(User.email == NEW)) is None


def test_a_link_still_works_just_before_a_day_has_passed(client, db, link_for, days_later):
    link = link_for(NEW)
    days_later(23.9)

    assert client.post(link, data=details()).status_code == 303


@pytest.mark.parametrize(
    "tamper",
    [
        with_signature_changed,  # the signature changed
        lambda token: "eyJlIjoiZXZpbEBleGFtcGxlLm9yZyJ9" + token[token.index(".") :],  # another address
        lambda token: "not-a-token",
        lambda token: "reset_token",  # some word
    ],
)
def test_a_forged_link_gives_a_clear_page_and_creates_nothing(client, db, token_for, tamper):
    before = count_users(db)
    link = "/register/complete/" + tamper(token_for(services.registration_token, NEW))

    shown = client.get(link, headers=ENGLISH)
    posted = client.post(link, data=details(), headers=ENGLISH)

    assert shown.status_code == posted.status_code == 400
    assert "not valid" in page_text(shown)
    assert count_users(db) == before


def test_a_password_reset_link_is_not_a_registration_link(client, db, make_user, token_for):
    user = make_user(email="parent@example.org")
    token = token_for(services.reset_token, user)

    assert client.get("/register/complete/" + token).status_code == 400


def test_empty_form_names_every_missing_field(client, db, link_for):
    response = client.post(link_for(NEW), data={}, headers=ENGLISH)

    page = page_text(response)
    assert response.status_code == 422
    for field in ("display_name", "password", "confirm"):
        assert field_error(page, field), f"no message beside {field}"


@pytest.mark.parametrize(
    "overrides, field, message",
    [
        ({"display_name": "   "}, "display_name", "enter the name"),
        ({"display_name": "名" * 61}, "display_name", "at most 60"),
        ({"password": "x" * 11, "confirm": "x" * 11}, "password", "at least 12"),
        ({"password": "p" * 201, "confirm": "p" * 201}, "password", "at most 200"),
        ({"confirm": GOOD_PASSWORD + "!"}, "confirm", "not the same"),
        ({"password": "new.parent.2026", "confirm": "new.parent.2026"}, "password", "built from your email"),
    ],
)
def test_bad_details_are_refused_beside_their_field_and_nothing_is_saved(
    client, db, link_for, overrides, field, message
):
    before = count_users(db)

    response = client.post(link_for(NEW), data=details(**overrides), headers=ENGLISH)

    page = page_text(response)
    assert response.status_code == 422
    assert message in field_error(page, field)
    if field != "display_name":
        assert field_value(page, "display_name") == "新家长 王芳"  # what they typed is not lost
    assert count_users(db) == before


def test_fields_at_their_longest_are_accepted(client, db, link_for):
    email = "a" * 242 + "@example.org"  # 254 characters
    password = ("重庆 steps 渝中 river " * 12)[:200]

    response = client.post(link_for(email), data=details(display_name="名" * 60, password=password, confirm=password))

    assert response.status_code == 303
    assert db.session.scalar(select(User).where(User.email == email)) is not None


def test_password_of_exactly_twelve_characters_is_accepted(client, db, link_for):
    twelve = "山城夜景 lamp 72"
    assert len(twelve) == 12

    assert client.post(link_for(NEW), data=details(password=twelve, confirm=twelve)).status_code == 303


def test_script_in_display_name_is_shown_as_text(client, db, link_for):
    client.post(link_for(NEW), data=details(display_name="<script>alert(1)</script>"))

    page = client.get("/me").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


# The inline check of the email field while typing (htmx posts the field alone): its form only.


@pytest.mark.parametrize("email", ["free@example.org", "PARENT@Example.org"])
def test_inline_check_says_the_same_of_known_and_unknown_addresses(client, make_user, email):
    make_user(email="parent@example.org")

    response = client.post("/register/email", data={"email": email}, headers=HTMX | ENGLISH)

    page = page_text(response)
    assert response.status_code == 200
    assert "looks right" in page and "already" not in page
    assert 'id="email-check"' in page
    assert "<html" not in page  # the fragment alone, not a whole page
    assert field_error(page, "email") is None


def test_inline_check_explains_an_invalid_address(client, db):
    response = client.post("/register/email", data={"email": "nobody@"}, headers=HTMX | ENGLISH)

    page = page_text(response)
    assert response.status_code == 422
    assert "valid email address" in field_error(page, "email")
    assert "looks right" not in page


def test_inline_check_without_htmx_leads_back_to_the_registration_form(client, db):
    response = client.post("/register/email", data={"email": "free@example.org"})

    assert response.status_code == 303
    assert location_path(response) == "/register"


# --- limits -------------------------------------------------------------------------------------


def test_one_address_may_ask_for_thirty_links_an_hour(app, db, rate_limits):
    for n in range(30):
        response = app.test_client().post("/register", data={"email": f"family{n}@example.org"})
        assert response.status_code == 303, n

    response = app.test_client().post("/register", data={"email": "family30@example.org"}, headers=ENGLISH)

    assert response.status_code == 429
    assert 'id="error-429"' in page_text(response)
    assert not mails_to(db, "family30@example.org")


def test_every_registration_attempt_counts_whatever_the_answer_or_the_htmx_header(app, db, rate_limits):
    """A script cannot slip past the limit with HX-Request (answered 204) or with forms full of
    mistakes (answered 422): 40 attempts from one address, the 31st and later are refused."""
    answers = []
    for n in range(40):
        email = f"script{n}@example.org" if n % 3 != 1 else f"script{n}@"
        headers = HTMX if n % 3 == 2 else {}
        answers.append(app.test_client().post("/register", data={"email": email}, headers=headers).status_code)

    assert set(answers[:30]) <= {204, 303, 422} and answers[30:] == [429] * 10
    assert {204, 303, 422} <= set(answers[:30])


def test_one_email_gets_at_most_three_links_an_hour_whoever_asks(app, db, make_user, rate_limits):
    make_user(email="parent@example.org")
    for email in ("new.parent@example.org", "parent@example.org"):
        for n in range(3):
            elsewhere = {"REMOTE_ADDR": f"198.51.100.{n}"}
            answer = app.test_client().post("/register", data={"email": email.upper()}, environ_base=elsewhere)
            assert answer.status_code == 303

        again = app.test_client().post(
            "/register", data={"email": email}, headers=ENGLISH, environ_base={"REMOTE_ADDR": "198.51.100.9"}
        )

        assert again.status_code == 429, email
        assert len(mails_to(db, email)) == 3


def test_the_inline_email_check_is_limited_per_address(app, db, rate_limits):
    client = app.test_client()
    for n in range(60):
        assert client.post("/register/email", data={"email": f"probe{n}@example.org"}, headers=HTMX).status_code == 200

    assert client.post("/register/email", data={"email": "probe60@example.org"}, headers=HTMX).status_code == 429
