"""Hostile form input for the fuzz tests (tests/test_forms_fuzz.py and each feature's
test_*_forms_fuzz.py): NUL and other control characters, lone surrogates (sent as the raw bytes
a broken client would send), the right-to-left override, invalid UTF-8, markup, and strings of
100,000 characters; and posting them as a form body the way a broken client would."""

from urllib.parse import quote_from_bytes

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

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


def post(client, url, fields, htmx, referer=None):
    headers = {"HX-Request": "true"} if htmx else {}
    if referer is not None:
        headers["Referer"] = referer
    return client.post(url, data=form_body(fields), content_type="application/x-www-form-urlencoded", headers=headers)


def assert_no_server_error(response, fields):
    assert response.status_code < 500, f"{response.status_code} for {[(k, str(v)[:80]) for k, v in fields.items()]}"
