"""The access matrix, one module per feature: each has EXPECTED (and EXPECTED_POST for routes
that take GET and POST) and `arguments(school, other_school)`, which creates what its routes need
and returns each route's own URL arguments: `{endpoint: {"consultation_id": ..., ...}}`, exactly
the variables of the route's address, under the names the route gives them.

A feature may also have ACTIONS: actions taken for real (a form filled in, not posted empty), each
with what every role gets, and `action_arguments(school, other_school)` for their addresses (what
is not a variable of the address goes into its query string).
"""

from dataclasses import dataclass

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


@dataclass(frozen=True)
class Action:
    """An action taken for real: `data` posted to `endpoint` (or a GET with `data` None)."""

    endpoint: str
    data: dict | None
    expected: dict

    @property
    def method(self) -> str:
        return "GET" if self.data is None else "POST"


def url_arguments(*endpoints, **arguments):
    """The same URL arguments for each of `endpoints`: {endpoint: arguments}."""
    return dict.fromkeys(endpoints, arguments)


def everyone(status):
    return dict.fromkeys(ROLES, status)


def visitor_then(visitor_status, logged_in_status):
    return {role: visitor_status if role == "visitor" else logged_in_status for role in ROLES}


def management(allowed_status, *, board_member=False, commission_admin=False):
    """A page of a school's management area: the school admin (and, where named, its board
    members and the commission admin above it) gets `allowed_status`; staff of other schools
    and districts get 404, as if it did not exist; everyone else 403; visitors log in first."""
    return {
        "visitor": 302,
        "parent": 403,
        "board_member": allowed_status if board_member else 403,
        "school_admin": allowed_status,
        "school_admin_other_school": 404,
        "moderator_same_district": 403,
        "moderator_other_district": 404,
        "commission_admin": allowed_status if commission_admin else 403,
    }
