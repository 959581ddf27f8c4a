"""Every route × every role → the status it answers with.

A new route is not done until it is in EXPECTED: `test_every_route_is_in_the_matrix` fails
otherwise. GET routes are requested with GET; POST-only routes with POST and no data (so a
logged-in person who may post gets the form's 422, one who may not gets 403 or 404). Routes
that take both are also posted to, in EXPECTED_POST.
"""

from dataclasses import dataclass

import pytest
from flask import url_for

from tests.access_rows import (
    ROLES,
    accounts,
    charters,
    consultation_management,
    consultations,
    decision_drafts,
    decisions,
    disclosure,
    documents,
    feedback,
    meetings,
    moderation,
    notifications,
    personal_data,
    schools,
    search,
    supervision,
    transparency,
    working_days,
)
from tests.helpers import factories
from tests.helpers.pages import location_path, log_in

FEATURES = [
    accounts,
    schools,
    charters,
    meetings,
    decisions,
    decision_drafts,
    documents,
    disclosure,
    feedback,
    consultation_management,
    consultations,
    moderation,
    notifications,
    personal_data,
    transparency,
    supervision,
    working_days,
    search,
]
EXPECTED = {endpoint: row for feature in FEATURES for endpoint, row in feature.EXPECTED.items()}
EXPECTED_POST = {
    endpoint: row for feature in FEATURES for endpoint, row in getattr(feature, "EXPECTED_POST", {}).items()
}
ACTIONS = {name: action for feature in FEATURES for name, action in getattr(feature, "ACTIONS", {}).items()}

SKIPPED_ENDPOINTS = {"static"}


def routes(app):
    return [rule for rule in app.url_map.iter_rules() if rule.endpoint not in SKIPPED_ENDPOINTS]


def test_every_route_is_in_the_matrix(app):
    endpoints = {rule.endpoint for rule in routes(app)}

    missing = endpoints - EXPECTED.keys()
    assert not missing, f"routes missing from the access matrix: {sorted(missing)}"
    gone = EXPECTED.keys() - endpoints
    assert not gone, f"the access matrix lists routes that no longer exist: {sorted(gone)}"


def test_every_route_that_takes_both_get_and_post_is_posted_to_in_the_matrix(app):
    both = {rule.endpoint for rule in routes(app) if {"GET", "POST"} <= rule.methods}

    assert both == EXPECTED_POST.keys()


def test_every_row_of_the_matrix_names_every_role():
    for endpoint, row in {**EXPECTED, **EXPECTED_POST}.items():
        assert set(row) == set(ROLES), endpoint


def test_only_get_and_post_routes_exist(app):
    for rule in routes(app):
        assert rule.methods - {"HEAD", "OPTIONS"} <= {"GET", "POST"}, rule


@dataclass
class World:
    """What the matrix requests its routes with: each route's URL arguments, and one person
    for each role (None for the visitor)."""

    urls: dict[str, dict]
    people: dict[str, object]
    school_slug: str
    actions: dict[str, dict]


@pytest.fixture(scope="module")
def world(app, module_db):
    """The matrix's data, built once for the module: the city, two districts, a school in each,
    a person for every role, and what each feature's routes need (in the app's context: adopting
    a charter or approving minutes renders and signs a PDF). Each case runs in a savepoint."""
    city = factories.authority(**factories.CITY)
    district = factories.authority(**factories.DISTRICT, parent=city)
    other_district = factories.authority(**factories.OTHER_DISTRICT, parent=city)
    school = factories.school(district, **factories.SCHOOL)
    other_school = factories.school(other_district, **factories.OTHER_SCHOOL)
    scopes = {
        "parent": ("parent", school),
        "board_member": ("board_member", school),
        "school_admin": ("school_admin", school),
        "school_admin_other_school": ("school_admin", other_school),
        "moderator_same_district": ("moderator", district),
        "moderator_other_district": ("moderator", other_district),
        "commission_admin": ("commission_admin", city),
    }
    people = {"visitor": None} | {
        role: factories.user(role=membership_role, scope=scope) for role, (membership_role, scope) in scopes.items()
    }
    urls, actions = {}, {}
    with app.app_context():
        for feature in FEATURES:
            urls.update(feature.arguments(school, other_school))
            if hasattr(feature, "action_arguments"):
                actions.update(feature.action_arguments(school, other_school))
    return World(urls=urls, people=people, school_slug=school.slug, actions=actions)


@pytest.fixture
def db(world, savepoint_db):
    """Every case in a savepoint of the module's transaction: what a case changes (a draft
    submitted, a question removed) is rolled back before the next."""
    return savepoint_db


@pytest.fixture(autouse=True)
def _pdfs_rendered_once(pdfs_rendered_once_per_run):
    """Cases that render a PDF (a decision draft's preview) render the same one: once per run."""


def test_every_route_of_the_matrix_is_given_exactly_the_arguments_of_its_address(app, world):
    for rule in routes(app):
        assert set(world.urls[rule.endpoint]) == rule.arguments, rule.endpoint


def request_as(app, client, arguments, endpoint, method):
    with app.test_request_context():
        url = url_for(endpoint, **arguments)
    return client.open(url, method=method, data={} if method == "POST" else None)


def check(response, role, expected):
    assert response.status_code == expected, f"{role}: expected {expected}, got {response.status_code}"
    if expected == 302:
        target = location_path(response)
        if role == "visitor":
            assert target.startswith("/login?next="), target
        else:
            assert target == "/me", target


CASES = [(endpoint, role) for endpoint, row in EXPECTED.items() for role in row]
POST_CASES = [(endpoint, role) for endpoint, row in EXPECTED_POST.items() for role in row]


@pytest.mark.parametrize("endpoint, role", CASES, ids=[f"{e}-{r}" for e, r in CASES])
def test_route_answers_each_role_as_expected(app, client, world, endpoint, role):
    user = world.people[role]
    if user is not None:
        log_in(client, user)
    (rule,) = [rule for rule in app.url_map.iter_rules() if rule.endpoint == endpoint]
    method = "GET" if "GET" in rule.methods else "POST"

    response = request_as(app, client, world.urls[endpoint], endpoint, method)

    check(response, role, EXPECTED[endpoint][role])


@pytest.mark.parametrize("endpoint, role", POST_CASES, ids=[f"{e}-{r}" for e, r in POST_CASES])
def test_posting_to_route_answers_each_role_as_expected(app, client, world, endpoint, role):
    user = world.people[role]
    if user is not None:
        log_in(client, user)

    response = request_as(app, client, world.urls[endpoint], endpoint, "POST")

    check(response, role, EXPECTED_POST[endpoint][role])


ACTION_CASES = [(name, role) for name, action in ACTIONS.items() for role in action.expected]


def test_every_action_of_the_matrix_names_every_role_and_has_its_arguments(world):
    assert world.actions.keys() == ACTIONS.keys()
    for name, action in ACTIONS.items():
        assert set(action.expected) == set(ROLES), name


@pytest.mark.parametrize("name, role", ACTION_CASES, ids=[f"{n}-{r}" for n, r in ACTION_CASES])
def test_taking_an_action_for_real_answers_each_role_as_expected(app, client, world, name, role):
    action = ACTIONS[name]
    user = world.people[role]
    if user is not None:
        log_in(client, user)
    with app.test_request_context():
        url = url_for(action.endpoint, **world.actions[name])

    response = client.open(url, method=action.method, data=action.data)

    check(response, role, action.expected[role])


@pytest.mark.parametrize("role", [role for role in ROLES if role != "visitor"])
def test_management_page_of_a_school_that_does_not_exist_is_not_found(client, world, role):
    log_in(client, world.people[role])

    assert client.get("/schools/no-such-school/manage/invitations").status_code == 404


def test_parent_cannot_open_invitation_codes_page(client, world):
    log_in(client, world.people["parent"])

    response = client.get(f"/schools/{world.school_slug}/manage/invitations", headers={"Accept-Language": "en"})

    assert response.status_code == 403
    assert 'id="error-403"' in response.get_data(as_text=True)


def test_school_admin_of_another_school_is_told_the_page_does_not_exist(client, world):
    log_in(client, world.people["school_admin_other_school"])

    response = client.get(f"/schools/{world.school_slug}/manage/invitations", headers={"Accept-Language": "en"})

    assert response.status_code == 404
    assert 'id="error-404"' in response.get_data(as_text=True)


def test_unknown_address_is_not_found_for_a_visitor(client, db):
    assert client.get("/no/such/page").status_code == 404
