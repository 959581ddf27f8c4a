"""The access matrix, one module per feature: each has EXPECTED (and EXPECTED_POST for routes
that take GET and POST) and may have `arguments(school, other_school)`, which creates what its
routes need and returns their URL arguments (`{"id": ..., "n": ...}`).

"""

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
