"""Arbitrary text in every field of every form never makes the portal fail (no 5xx).

Values include NUL and other control characters, lone surrogates (sent as the raw bytes a
broken client would send), the right-to-left override, invalid UTF-8, markup, and strings of
100,000 characters. Each field is either a valid value (so that the rest of the form gets
through to the deeper code) or such a hostile one.
"""

from urllib.parse import quote_from_bytes, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.accounts.models import User
from tests.helpers.fuzz import FUZZ, assert_no_server_error, encode, fields_of, hostile, hostile_text, post, referers
from tests.helpers.pages import PASSWORD, log_in

FORMS = {
    "register": ("/register", {"email": "fuzz@example.org"}),
    "password_reset": ("/password/reset", {"email": "admin@example.org"}),
    "register_email": ("/register/email", {"email": "fuzz@example.org"}),
    "login": ("/login", {"email": "admin@example.org", "password": PASSWORD, "remember": "y", "next": "/me"}),
    "profile": ("/me/profile", {"display_name": "模糊测试", "language": "zh"}),
    "password": (
        "/me/password",
        {"current_password": PASSWORD, "new_password": "fuzzing password", "confirm": "fuzzing password"},
    ),
    "invitation": ("/me/invitation", {"code": "ABCDE-FGHJK"}),
    "invitations": ("/schools/{slug}/manage/invitations", {"count": "2", "valid_days": "30", "note": "一班"}),
    "language": ("/language", {"lang": "en", "next": "/me"}),
}
PUBLIC_FORMS = ["register", "register_email", "password_reset", "login", "language"]


@pytest.fixture
def school_admin_id(make_user, school):
    return make_user(email="admin@example.org", password=PASSWORD, role="school_admin", scope=school).id


@pytest.mark.parametrize("form", PUBLIC_FORMS)
def test_visitor_posting_anything_to_a_public_form_never_gets_a_server_error(app, db, school, school_admin_id, form):
    url, valid = FORMS[form]

    @FUZZ
    @given(fields=fields_of(valid), htmx=st.booleans(), referer=referers)
    def check(fields, htmx, referer):
        response = post(app.test_client(), url.format(slug=school.slug), fields, htmx, referer)
        assert_no_server_error(response, fields)

    check()


@pytest.mark.parametrize("form", list(FORMS))
def test_school_admin_posting_anything_to_any_form_never_gets_a_server_error(app, db, school, school_admin_id, form):
    url, valid = FORMS[form]

    @FUZZ
    @given(fields=fields_of(valid), htmx=st.booleans(), referer=referers)
    def check(fields, htmx, referer):
        # Loaded again each time: an example may have changed the password, and with it the session token.
        client = log_in(app.test_client(), db.session.get(User, school_admin_id))
        response = post(client, url.format(slug=school.slug), fields, htmx, referer)
        assert_no_server_error(response, fields)

    check()


PAGES = ["", "login", "register", "healthz", "me", "schools/first-school/manage/invitations"]


def test_anything_in_the_address_of_a_page_never_gets_a_server_error(app, db, school, school_admin_id):
    @FUZZ
    @given(path=st.one_of(st.sampled_from(PAGES), hostile_text), query=hostile, logged_in=st.booleans())
    def check(path, query, logged_in):
        client = app.test_client()
        if logged_in:
            log_in(client, db.session.get(User, school_admin_id))
        # Never "//..." at the start: the test client would read that as a host name.
        url = "/" + quote_from_bytes(path.encode("utf-8", "surrogatepass"), safe="/").lstrip("/")
        response = client.get(f"{url}?next={encode(query).decode()}&q={encode(query).decode()}")
        assert response.status_code < 500

    check()


def is_local(location: str) -> bool:
    parts = urlsplit(location)
    return (
        not parts.scheme
        and not parts.netloc
        and location.startswith("/")
        and not location.startswith("//")
        and "\\" not in location
    )


@FUZZ
@given(
    target=st.one_of(
        hostile, st.sampled_from(["//evil.example", "https://evil.example", "/\\evil", "\t//evil", " //x"])
    )
)
def test_where_logging_in_or_switching_language_leads_is_always_on_this_site(app, db, school_admin_id, target):
    for url, fields in [
        ("/language", {"lang": "en", "next": target}),
        ("/login", {"email": "admin@example.org", "password": PASSWORD, "next": target}),
    ]:
        response = post(app.test_client(), url, fields, htmx=False)
        assert response.status_code == 303
        assert is_local(response.headers["Location"]), response.headers["Location"]
