"""Arbitrary text in every field of every form never makes the portal fail (no 5xx).

Values include NUL and other control characters, lone surrogates (sent as the raw bytes a
broken client would send), the right-to-left override, invalid UTF-8, markup, and strings of
100,000 characters. Each field is either a valid value (so that the rest of the form gets
through to the deeper code) or such a hostile one.
"""

from urllib.parse import quote_from_bytes, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from page_helpers import PASSWORD, log_in

from portal.accounts.models import User

FUZZ = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

SPECIAL = [
    "\x00",
    "\x1b[31m",
    "\r\n",
    "\u202e",  # right-to-left override
    "\u200b",
    "\ufeff",
    "\ud800",  # lone surrogates
    "\udfff",
    "𠜎",
    "💥",
    "ＡＢＣ１２",
    "<script>alert(1)</script>",
    "{{ 7*7 }}",
    "'; DROP TABLE user_account; --",
    "%00",
    "//evil.example",
    "/\\evil.example",
    "//[",  # not even an address: urlsplit() refuses it
    "http://[::1",
    "-1",
    "1e400",
    "99999999999999999999999999",
    "NaN",
    "zh",
    "en",
]

hostile_text = st.one_of(
    st.text(max_size=300),
    st.lists(st.sampled_from(SPECIAL), max_size=8).map("".join),
    st.lists(
        st.one_of(st.sampled_from(SPECIAL), st.integers(0xD800, 0xDFFF).map(chr), st.characters()), max_size=30
    ).map("".join),
    st.sampled_from(["a", "名", "\u202e", "\x00", "\ud800", "7"]).map(lambda ch: ch * 100_000),
)
hostile_bytes = st.binary(max_size=60)
# What a Referer header can carry (no line breaks); pages re-rendered after a POST read it.
referers = st.one_of(
    st.none(),
    st.sampled_from(["http://[", "//[", "http://portal.test/me", "http://portal.test:99999/", "http://evil.example/"]),
    st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF), max_size=40),
)  # sent as is: often not UTF-8 at all
hostile = st.one_of(hostile_text, hostile_text, hostile_bytes)


def encode(value) -> bytes:
    raw = value if isinstance(value, bytes) else value.encode("utf-8", "surrogatepass")
    return quote_from_bytes(raw, safe="").encode()


def form_body(fields: dict) -> bytes:
    return b"&".join(encode(name) + b"=" + encode(value) for name, value in fields.items())


def fields_of(valid: dict):
    """Each field valid or hostile; sometimes a field is left out or an unknown one added."""
    each = {name: st.one_of(st.just(value), hostile) for name, value in valid.items()}
    return st.fixed_dictionaries(each, optional={"unexpected_field": hostile})


FORMS = {
    "register": (
        "/register",
        {
            "email": "fuzz@example.org",
            "display_name": "模糊测试",
            "password": "fuzzing password",
            "confirm": "fuzzing password",
        },
    ),
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
PUBLIC_FORMS = ["register", "register_email", "login", "language"]


@pytest.fixture
def school_admin_id(make_user, school):
    return make_user(email="admin@example.org", password=PASSWORD, role="school_admin", scope=school).id


def post(client, url, fields, htmx, referer=None):
    headers = {"HX-Request": "true"} if htmx else {}
    if referer is not None:
        headers["Referer"] = referer
    return client.post(url, data=form_body(fields), content_type="application/x-www-form-urlencoded", headers=headers)


def assert_no_server_error(response, fields):
    assert response.status_code < 500, f"{response.status_code} for {[(k, str(v)[:80]) for k, v in fields.items()]}"


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
