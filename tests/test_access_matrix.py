"""Every route × every role → the status it answers with.

A new route is not done until it is in EXPECTED: `test_every_route_is_in_the_matrix` fails
otherwise. GET routes are requested with GET; POST-only routes with POST and no data (so a
logged-in person who may post gets the form's 422, one who may not gets 403 or 404). Routes
that take both are also posted to, in EXPECTED_POST.
"""
import pytest
from flask import url_for

from page_helpers import location_path, log_in

ROLES = (
    "visitor",
    "parent",  # parent of the school
    "board_member",  # board member of the school
    "school_admin",  # school admin of the school
    "school_admin_other_school",  # school admin of a school in another district
    "moderator_same_district",  # moderator of the school's own district
    "moderator_other_district",
    "commission_admin",  # commission admin of the city, above every district
)


def everyone(status):
    return dict.fromkeys(ROLES, status)


def visitor_then(visitor_status, logged_in_status):
    return {role: visitor_status if role == "visitor" else logged_in_status for role in ROLES}


# 302 for a visitor is the redirect to log in; for a logged-in person, the redirect to /me.
EXPECTED = {
    "main.home": everyone(200),
    "main.healthz": everyone(200),
    "main.set_language": everyone(303),  # no language given: back to the page, nothing set
    "accounts.register": visitor_then(200, 302),
    "accounts.check_email": everyone(303),  # without htmx: back to the registration form
    "accounts.login": visitor_then(200, 302),
    "accounts.logout": visitor_then(302, 303),
    "accounts.me": visitor_then(302, 200),
    "accounts.update_profile": visitor_then(302, 422),
    "accounts.change_password": visitor_then(302, 422),
    "accounts.redeem_invitation": visitor_then(302, 422),
    "accounts.invitations": {
        "visitor": 302,
        "parent": 403,
        "board_member": 403,
        "school_admin": 200,
        "school_admin_other_school": 404,
        "moderator_same_district": 403,
        "moderator_other_district": 404,
        "commission_admin": 200,
    },
}

EXPECTED_POST = {
    "accounts.register": visitor_then(422, 302),
    "accounts.login": visitor_then(422, 302),
    "accounts.invitations": {
        "visitor": 302,
        "parent": 403,
        "board_member": 403,
        "school_admin": 422,
        "school_admin_other_school": 404,
        "moderator_same_district": 403,
        "moderator_other_district": 404,
        "commission_admin": 422,
    },
}

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


@pytest.fixture
def person(make_user, school, other_school, district, other_district, city):
    scopes = {
        "parent": ("parent", school),
        "board_member": ("board_member", school),
        "school_admin": ("school_admin", school),
        "school_admin_other_school": ("school_admin", other_school),
        "moderator_same_district": ("moderator", district),
        "moderator_other_district": ("moderator", other_district),
        "commission_admin": ("commission_admin", city),
    }

    def make(role):
        if role == "visitor":
            return None
        membership_role, scope = scopes[role]
        return make_user(role=membership_role, scope=scope)

    return make


def request_as(app, client, school, endpoint, method):
    (rule,) = [rule for rule in app.url_map.iter_rules() if rule.endpoint == endpoint]
    arguments = {"slug": school.slug}
    with app.test_request_context():
        url = url_for(endpoint, **{name: arguments[name] for name in rule.arguments})
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
def test_route_answers_each_role_as_expected(app, client, school, person, endpoint, role):
    user = person(role)
    if user is not None:
        log_in(client, user)
    (rule,) = [rule for rule in app.url_map.iter_rules() if rule.endpoint == endpoint]
    method = "GET" if "GET" in rule.methods else "POST"

    response = request_as(app, client, school, endpoint, method)

    check(response, role, EXPECTED[endpoint][role])


@pytest.mark.parametrize("endpoint, role", POST_CASES, ids=[f"{e}-{r}" for e, r in POST_CASES])
def test_posting_to_route_answers_each_role_as_expected(app, client, school, person, endpoint, role):
    user = person(role)
    if user is not None:
        log_in(client, user)

    response = request_as(app, client, school, endpoint, "POST")

    check(response, role, EXPECTED_POST[endpoint][role])


@pytest.mark.parametrize("role", [role for role in ROLES if role != "visitor"])
def test_management_page_of_a_school_that_does_not_exist_is_not_found(client, school, person, role):
    log_in(client, person(role))

    assert client.get("/schools/no-such-school/manage/invitations").status_code == 404


def test_parent_cannot_open_invitation_codes_page(client, school, person):
    log_in(client, person("parent"))

    response = client.get(f"/schools/{school.slug}/manage/invitations", headers={"Accept-Language": "en"})

    assert response.status_code == 403
    assert 'id="error-403"' in response.get_data(as_text=True)


def test_school_admin_of_another_school_is_told_the_page_does_not_exist(client, school, person):
    log_in(client, person("school_admin_other_school"))

    response = client.get(f"/schools/{school.slug}/manage/invitations", headers={"Accept-Language": "en"})

    assert response.status_code == 404
    assert 'id="error-404"' in response.get_data(as_text=True)


def test_unknown_address_is_not_found_for_a_visitor(client, db):
    assert client.get("/no/such/page").status_code == 404
