"""Numbers from requests are read one way: ASCII digits (and, in fields people type into, the
full-width digits of a Chinese keyboard), within range; anything else is a 404 (in an address)
or is ignored or refused with a message (a query argument, a form field), never a 5xx.

Hypothesis sends digits of other scripts ("²", "٣", "１"), signs, huge and empty values to every
query argument the code reads, on every GET page (as someone who may open it), to every number
in an address, and to every id and number field of the forms. The data is built once for the
module, as for the access matrix (tests/access_rows).
"""

import re
from pathlib import Path

import pytest
from flask import url_for
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.forms import PortalForm, WholeNumberField
from portal.text import typed_number, whole_number
from portal.web import MAX_ID
from tests.helpers import factories
from tests.helpers.fuzz import encode
from tests.helpers.pages import log_in
from tests.test_access_matrix import EXPECTED, EXPECTED_POST, FEATURES, World, routes

PORTAL = Path(__file__).resolve().parent.parent / "portal"

NUMBERS = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))

# The query arguments the code reads (a test below checks the list against the code).
NUMBER_ARGUMENTS = ["page", "district", "school", "year", "before", "after", "object_id", "consultation", "from", "to"]
NUMBER_ARGUMENTS += ["tree_size"]
OTHER_ARGUMENTS = ["q", "kind", "state", "stance", "status", "category", "type", "former", "next", "action", "actor"]
OTHER_ARGUMENTS += ["object", "words", "sha256"]
OTHER_ARGUMENTS += ["sort", "show"]
QUERY_ARGUMENTS = NUMBER_ARGUMENTS + OTHER_ARGUMENTS

# Every id or number a form posts, by the endpoint that reads it (checked against the forms below).
ID_FIELDS = {
    "moderation.bulk_approve": ["response_id"],
    "meetings.move_agenda_item": ["item_id"],
    "meetings.remove_agenda_item": ["item_id"],
    "meetings.record_attendance": ["member-{value}"],  # the member's id is in the field's name
    "meetings.new_meeting": ["body_id"],
    "decisions.new_draft": ["meeting_id", "replaces_id", "charter_version_id", "consultation_id"]
    + ["votes_for", "votes_against", "votes_abstain"],
    "consultations.outcome": ["theme_1_count", "theme_2_count"],
    "accounts.invitations": ["count", "valid_days"],
    "schools.new": ["authority_id"],
}
FIXED_FIELDS = {
    "meetings.move_agenda_item": {"direction": "up"},
    "meetings.record_attendance": {},
    "decisions.new_draft": {"title": "关于测试的决定", "body": "决定如下。"},
}

strange_numbers = st.one_of(
    st.sampled_from(
        [
            "²",
            "³",
            "٣",
            "١٢",
            "１",
            "１２",
            "৩",
            "〇",
            "Ⅻ",
            "½",
            "-1",
            "+1",
            "0",
            "00",
            "01",
            "007",
            "",
            " ",
            "1_000",
            "1e3",
            "1.5",
        ]
        + ["0x10", " 7", "7 ", "2147483647", "2147483648", "9" * 12, "9" * 40, "9" * 5000, "\x00", "1\x00"]
    ),
    st.text(st.characters(categories=["Nd", "No", "Nl"]), min_size=1, max_size=12),
    st.integers(-(2**70), 2**70).map(str),
)

PREFERENCE = [
    "commission_admin",
    "school_admin",
    "moderator_same_district",
    "board_member",
    "parent",
    "visitor",
]


def role_that_may(row: dict) -> str | None:
    """Someone who gets past the permission checks (not sent to log in, not refused)."""
    return next((role for role in PREFERENCE if row[role] not in (302, 403, 404)), None)


@pytest.fixture(scope="module")
def world(app, module_db):
    city = factories.authority(**factories.CITY)
    district = factories.authority(**factories.DISTRICT, parent=city)
    other_district = factories.authority(**factories.OTHER_DISTRICT, parent=city)
    school = factories.school(district, **factories.SCHOOL)
    other_school = factories.school(other_district, **factories.OTHER_SCHOOL)
    scopes = {
        "parent": ("parent", school),
        "board_member": ("board_member", school),
        "school_admin": ("school_admin", school),
        "moderator_same_district": ("moderator", district),
        "commission_admin": ("commission_admin", city),
    }
    people = {"visitor": None} | {
        role: factories.user(role=kind, scope=scope) for role, (kind, scope) in scopes.items()
    }
    urls = {}
    with app.app_context():
        for feature in FEATURES:
            urls.update(feature.arguments(school, other_school))
    return World(urls=urls, people=people, school_slug=school.slug, actions={})


@pytest.fixture
def db(world, savepoint_db):
    return savepoint_db


@pytest.fixture(autouse=True)
def _pdfs_rendered_once(pdfs_rendered_once_per_run):
    """The world adopts a charter and approves minutes: their PDFs are rendered once per run."""


@pytest.fixture
def clients(app, world):
    """A logged-in client for each role, made when first asked for."""
    made = {}

    def client_of(role):
        if role not in made:
            client = app.test_client()
            if world.people[role] is not None:
                log_in(client, world.people[role])
            made[role] = client
        return made[role]

    return client_of


def address(app, world, endpoint) -> str:
    with app.test_request_context():
        return url_for(endpoint, **world.urls[endpoint])


GET_PAGES = sorted(endpoint for endpoint, row in EXPECTED.items() if role_that_may(row) and endpoint != "static")


def test_every_query_argument_the_code_reads_is_fuzzed():
    code = "\n".join(path.read_text(encoding="utf-8") for path in PORTAL.rglob("*.py"))
    read = set(
        re.findall(
            r'(?:\bint_arg|\btext_arg|\b_date_arg|\b_version_number_arg|request\.args\.get|request\.values\.get)\(\s*"(\w+)"',
            code,
        )
    )
    numbers = set(re.findall(r'(?:\bint_arg|\b_version_number_arg)\(\s*"(\w+)"', code))

    assert read <= set(QUERY_ARGUMENTS), sorted(read - set(QUERY_ARGUMENTS))
    assert numbers <= set(NUMBER_ARGUMENTS), sorted(numbers - set(NUMBER_ARGUMENTS))
    assert "def page_arg" in code and "page" in NUMBER_ARGUMENTS


def test_every_id_field_of_the_forms_is_fuzzed():
    code = "\n".join(path.read_text(encoding="utf-8") for path in PORTAL.rglob("*forms.py"))
    fields = set(re.findall(r"^ {4}(\w+_id) = \w+\(", code, flags=re.MULTILINE))  # a form class's fields
    fuzzed = {name for names in ID_FIELDS.values() for name in names}

    assert fields <= fuzzed, sorted(fields - fuzzed)


def test_every_get_page_is_fuzzed_as_someone_who_may_open_it():
    unreachable = {e for e, row in EXPECTED.items() if e != "static" and not role_that_may(row)}
    # Pages nobody of the matrix gets past the checks of: POST-only routes (answered 405 to GET).
    assert all(EXPECTED[e]["commission_admin"] in (302, 403, 404) for e in unreachable)


@NUMBERS
@given(
    endpoint=st.sampled_from(GET_PAGES),
    # Every argument at once: whichever a page reads gets a strange value in every example.
    arguments=st.fixed_dictionaries({name: strange_numbers for name in QUERY_ARGUMENTS}),
    htmx=st.booleans(),
)
def test_strange_numbers_in_any_query_argument_of_any_page_never_give_a_server_error(
    app, world, clients, endpoint, arguments, htmx
):
    query = "&".join(f"{name}={encode(value).decode()}" for name, value in arguments.items())
    role = role_that_may(EXPECTED[endpoint])
    headers = {"HX-Request": "true"} if htmx else {}

    response = clients(role).get(f"{address(app, world, endpoint)}?{query}", headers=headers)

    assert response.status_code < 500, (endpoint, arguments, response.status_code)


def is_an_id(value: str) -> bool:
    return bool(re.fullmatch(r"[0-9]{1,10}", value)) and 0 < int(value) <= MAX_ID


@NUMBERS
@given(data=st.data(), value=strange_numbers.filter(lambda value: not is_an_id(value)))
def test_a_strange_number_in_an_address_is_not_found(app, world, clients, data, value):
    rules = sorted(
        (
            (rule.endpoint, name)
            for rule in routes(app)
            for name, converter in rule._converters.items()
            if type(converter).__name__ == "IdConverter"
        ),
    )
    endpoint, name = data.draw(st.sampled_from(rules))
    real = address(app, world, endpoint)
    number = str(world.urls[endpoint][name])
    # The address with this one number replaced (the others stay real).
    parts = real.split("/")
    parts[parts.index(number) if number in parts else -1] = encode(value).decode()
    method = "GET" if "GET" in next(r for r in routes(app) if r.endpoint == endpoint).methods else "POST"

    response = clients("commission_admin").open("/".join(parts), method=method)

    assert response.status_code == 404, (endpoint, value, response.status_code)


POSTED = sorted(ID_FIELDS)


@NUMBERS
@given(data=st.data(), htmx=st.booleans())
def test_strange_numbers_in_any_id_or_number_field_never_give_a_server_error(app, world, clients, data, htmx):
    endpoint = data.draw(st.sampled_from(POSTED))
    row = EXPECTED_POST.get(endpoint) or EXPECTED[endpoint]
    fields = []
    for name in ID_FIELDS[endpoint]:
        for value in data.draw(st.lists(strange_numbers, min_size=1, max_size=3)):
            if "{value}" in name:
                fields.append((name.format(value=value), data.draw(st.sampled_from(["present", "absent", "²", ""]))))
            else:
                fields.append((name, value))
    fields += list(FIXED_FIELDS.get(endpoint, {}).items())
    body = b"&".join(encode(name) + b"=" + encode(value) for name, value in fields)
    headers = {"HX-Request": "true"} if htmx else {}

    response = clients(role_that_may(row)).post(
        address(app, world, endpoint), data=body, content_type="application/x-www-form-urlencoded", headers=headers
    )

    assert response.status_code < 500, (endpoint, fields, response.status_code)


# --- the one way of reading numbers -------------------------------------------------------


@pytest.mark.parametrize("value", ["²", "٣", "１", "-1", "+1", "1_000", " ", "", "1.5", "9" * 10, "\x00"])
def test_a_number_from_a_request_is_ascii_digits_only(value):
    assert whole_number(value) is None


@pytest.mark.parametrize(("value", "number"), [("0", 0), ("42", 42), (" 7 ", 7), ("999999999", 999_999_999)])
def test_ascii_digits_are_a_number(value, number):
    assert whole_number(value) == number


@pytest.mark.parametrize(("value", "number"), [("１２", 12), ("3", 3), ("０", 0)])
def test_what_a_person_types_may_use_full_width_digits(value, number):
    assert typed_number(value) == number


@pytest.mark.parametrize("value", ["²", "٣", "١٢", "-1", "1_000", "１２３", "1e3"])
def test_what_a_person_types_is_no_number_in_other_scripts_or_forms(value):
    assert typed_number(value, max_digits=2) is None


class CountForm(PortalForm):
    class Meta:
        csrf = False

    count = WholeNumberField("How many", invalid_message="Enter a number from 1 to 50.", max_digits=2)


@pytest.mark.parametrize(
    ("typed", "data", "errors"), [("１２", 12, []), ("12", 12, []), ("٣", None, 1), ("1_0", None, 1)]
)
def test_a_number_field_keeps_what_was_typed_and_says_once_what_is_wrong(app, typed, data, errors):
    from werkzeug.datastructures import MultiDict

    with app.test_request_context():
        form = CountForm(formdata=MultiDict({"count": typed}))
        form.validate()

    assert form.count.data == data
    assert form.count.raw_data == [typed]
    assert form.count.errors == ([] if errors == [] else ["Enter a number from 1 to 50."])
