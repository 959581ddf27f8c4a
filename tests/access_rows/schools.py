"""Access rows for the school directory, school pages and the management front door."""

from tests.access_rows import everyone, management, url_arguments


def arguments(school, other_school):
    """The school's pages; the directory and a new school take no arguments."""
    return {
        **url_arguments("schools.index", "schools.new", "oversight.import_schools", "oversight.school_import_template"),
        **url_arguments("pages.school", "schools.manage", "schools.edit_profile", slug=school.slug),
    }


def commission_admins_only(allowed_status):
    return {
        role: 302 if role == "visitor" else allowed_status if role == "commission_admin" else 403
        for role in everyone(0)
    }


EXPECTED = {
    "schools.index": everyone(200),
    "pages.school": everyone(200),
    "schools.manage": management(200, board_member=True, commission_admin=True),
    "schools.edit_profile": management(200, board_member=False, commission_admin=True),
    "schools.new": commission_admins_only(200),
    # Many schools from a CSV file, and the file to fill in: for those who add schools.
    "oversight.import_schools": commission_admins_only(200),
    "oversight.school_import_template": commission_admins_only(200),
}

EXPECTED_POST = {
    "schools.edit_profile": management(422, board_member=False, commission_admin=True),
    "schools.new": commission_admins_only(422),
    "oversight.import_schools": commission_admins_only(422),  # no file chosen
}
