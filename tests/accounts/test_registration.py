"""Creating an account: the form, its messages, and the inline email check (htmx)."""

import pytest
from sqlalchemy import func, select

from portal.accounts.models import User
from tests.helpers.pages import ENGLISH, HTMX, field_error, field_value, location_path

GOOD_PASSWORD = "a long enough password"


def registration(**overrides):
    data = {
        "email": "new.parent@example.org",
        "display_name": "新家长 王芳",
        "password": GOOD_PASSWORD,
        "confirm": GOOD_PASSWORD,
    }
    data.update(overrides)
    return data


def count_users(db):
    return db.session.scalar(select(func.count()).select_from(User))


def test_visitor_sees_the_registration_form(client):
    response = client.get("/register", headers=ENGLISH)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    for field in ("email", "display_name", "password", "confirm"):
        assert f'name="{field}"' in page


def test_registering_logs_in_and_leads_to_my_account(client, db):
    response = client.post("/register", data=registration(), headers=ENGLISH)

    assert response.status_code == 303
    assert location_path(response) == "/me"
    user = db.session.scalar(select(User).where(User.email == "new.parent@example.org"))
    assert user is not None
    assert user.display_name == "新家长 王芳"
    assert user.password_hash != GOOD_PASSWORD  # stored as a hash, never in clear
    me = client.get("/me", headers=ENGLISH)
    assert me.status_code == 200
    assert "new.parent@example.org" in me.get_data(as_text=True)


def test_registered_email_is_kept_trimmed_and_in_lower_case(client, db):
    client.post("/register", data=registration(email="  New.Parent@Example.ORG "))

    emails = db.session.scalars(select(User.email)).all()
    assert "new.parent@example.org" in emails


def test_registration_remembers_the_language_the_page_was_in(client, db):
    client.post("/register", data=registration(), headers=ENGLISH)

    user = db.session.scalar(select(User).where(User.email == "new.parent@example.org"))
    assert user.language == "en"


@pytest.mark.parametrize("typed", ["PARENT@Example.org", "parent@example.org", " Parent@EXAMPLE.org "])
def test_email_taken_in_any_case_is_refused_beside_the_email_field(client, db, make_user, typed):
    make_user(email="parent@example.org")
    before = count_users(db)

    response = client.post("/register", data=registration(email=typed, display_name="第二个账户"), headers=ENGLISH)

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "already exists" in field_error(page, "email")
    assert field_value(page, "display_name") == "第二个账户"  # what they typed is not lost
    assert count_users(db) == before


def test_invalid_email_is_refused(client, db):
    before = count_users(db)

    response = client.post("/register", data=registration(email="not-an-email"), headers=ENGLISH)

    assert response.status_code == 422
    assert "valid email address" in field_error(response.get_data(as_text=True), "email")
    assert count_users(db) == before


def test_empty_form_names_every_missing_field(client, db):
    response = client.post("/register", data={}, headers=ENGLISH)

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    for field in ("email", "display_name", "password", "confirm"):
        assert field_error(page, field), f"no message beside {field}"


def test_display_name_of_only_spaces_is_refused(client, db):
    response = client.post("/register", data=registration(display_name="   "), headers=ENGLISH)

    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "display_name")


def test_password_shorter_than_twelve_characters_is_refused(client, db):
    before = count_users(db)
    short = "x" * 11

    response = client.post("/register", data=registration(password=short, confirm=short), headers=ENGLISH)

    assert response.status_code == 422
    assert "at least 12" in field_error(response.get_data(as_text=True), "password")
    assert count_users(db) == before


def test_password_of_exactly_twelve_characters_is_accepted(client, db):
    twelve = "山城夜景 lamp 72"
    assert len(twelve) == 12

    response = client.post("/register", data=registration(password=twelve, confirm=twelve))

    assert response.status_code == 303


def test_mismatched_password_confirmation_is_refused(client, db):
    before = count_users(db)

    response = client.post("/register", data=registration(confirm=GOOD_PASSWORD + "!"), headers=ENGLISH)

    assert response.status_code == 422
    assert "not the same" in field_error(response.get_data(as_text=True), "confirm")
    assert count_users(db) == before


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("email", "a" * 243 + "@example.org", "at most 254"),  # 255 characters
        ("display_name", "名" * 61, "at most 60"),
        ("password", "p" * 201, "at most 200"),
    ],
)
def test_overlong_fields_are_refused_and_nothing_is_saved(client, db, field, value, message):
    before = count_users(db)
    data = registration(**{field: value})
    if field == "password":
        data["confirm"] = value

    response = client.post("/register", data=data, headers=ENGLISH)

    assert response.status_code == 422
    assert message in field_error(response.get_data(as_text=True), field)
    assert count_users(db) == before


def test_fields_at_their_longest_are_accepted(client, db):
    email = "a" * 242 + "@example.org"  # 254 characters
    password = ("重庆 steps 渝中 river " * 12)[:200]

    response = client.post(
        "/register", data=registration(email=email, display_name="名" * 60, password=password, confirm=password)
    )

    assert response.status_code == 303
    assert db.session.scalar(select(User).where(User.email == email)) is not None


def test_script_in_display_name_is_shown_as_text(client, db):
    client.post("/register", data=registration(display_name="<script>alert(1)</script>"))

    page = client.get("/me").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_logged_in_person_opening_registration_goes_to_my_account(client, make_user, login_as):
    login_as(make_user())

    response = client.get("/register")

    assert response.status_code == 302
    assert location_path(response) == "/me"


# The inline check of the email field while typing (htmx posts the field alone).


def test_inline_check_says_a_free_address_can_be_used(client, db):
    response = client.post("/register/email", data={"email": "free@example.org"}, headers=HTMX | ENGLISH)

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "can be used" in page
    assert 'id="email-check"' in page
    assert "<html" not in page  # the fragment alone, not a whole page
    assert field_error(page, "email") is None


def test_inline_check_says_a_taken_address_exists_in_any_case(client, make_user):
    make_user(email="parent@example.org")

    response = client.post("/register/email", data={"email": "PARENT@Example.org"}, headers=HTMX | ENGLISH)

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "already exists" in field_error(page, "email")
    assert "can be used" not in page
    assert "<html" not in page


def test_inline_check_explains_an_invalid_address(client, db):
    response = client.post("/register/email", data={"email": "nobody@"}, headers=HTMX | ENGLISH)

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "valid email address" in field_error(page, "email")
    assert "can be used" not in page


def test_inline_check_without_htmx_leads_back_to_the_registration_form(client, db):
    response = client.post("/register/email", data={"email": "free@example.org"})

    assert response.status_code == 303
    assert location_path(response) == "/register"


def test_one_address_can_create_at_most_thirty_accounts_an_hour(app, db, rate_limits):
    for n in range(30):
        response = app.test_client().post("/register", data=registration(email=f"family{n}@example.org"))
        assert response.status_code == 303, n

    response = app.test_client().post("/register", data=registration(email="family30@example.org"), headers=ENGLISH)

    assert response.status_code == 429
    assert 'id="error-429"' in response.get_data(as_text=True)
    assert db.session.scalar(select(User).where(User.email == "family30@example.org")) is None


def test_every_registration_attempt_counts_whatever_the_answer_or_the_htmx_header(app, db, rate_limits):
    """A script cannot slip past the limit with HX-Request (answered 204) or with forms full of
    mistakes (answered 422): 40 attempts from one address, the 31st and later are refused."""
    answers = []
    for n in range(40):
        data = registration(email=f"script{n}@example.org")
        if n % 3 == 1:
            data.update(password="short", confirm="short")
        headers = HTMX if n % 3 == 2 else {}
        answers.append(app.test_client().post("/register", data=data, headers=headers).status_code)

    assert set(answers[:30]) <= {204, 303, 422} and answers[30:] == [429] * 10
    made = db.session.scalars(select(User.email).where(User.email.like("script%@example.org"))).all()
    assert len(made) == 20  # the 30 allowed, less the ten with a short password


def test_the_inline_email_check_is_limited_per_address(app, db, rate_limits):
    client = app.test_client()
    for n in range(60):
        assert client.post("/register/email", data={"email": f"probe{n}@example.org"}, headers=HTMX).status_code == 200

    assert client.post("/register/email", data={"email": "probe60@example.org"}, headers=HTMX).status_code == 429
