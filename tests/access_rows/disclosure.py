"""Access rows for the disclosure checklist: a school's checklist, its published disclosures and
their PDFs are public; publishing is the school admins' (management area: other schools' and
districts' staff get 404); the overview across schools (and its CSV) is for the commission staff,
each for their area; a district's own catalogue items are its commission admins' (the city's
admin is above every district; another district's moderator does not find it)."""

from datetime import date

from sqlalchemy import select

from portal.accounts.models import Membership, Role
from portal.disclosure import services
from portal.extensions import db
from tests.access_rows import everyone, management, url_arguments
from tests.helpers import disclosure as helpers


def commission_staff(allowed_status):
    """Moderators and commission admins (each for their area); visitors log in; others 403."""
    return {
        "visitor": 302,
        "parent": 403,
        "board_member": 403,
        "school_admin": 403,
        "school_admin_other_school": 403,
        "moderator_same_district": allowed_status,
        "moderator_other_district": allowed_status,
        "commission_admin": allowed_status,
    }


def catalogue_admins(allowed_status):
    """A district's catalogue: its commission admins (the city's, above it); its moderators are
    refused; another district's staff do not find it."""
    return {
        "visitor": 302,
        "parent": 403,
        "board_member": 403,
        "school_admin": 403,
        "school_admin_other_school": 403,
        "moderator_same_district": 403,
        "moderator_other_district": 404,
        "commission_admin": allowed_status,
    }


def arguments(school, other_school):
    items = helpers.catalogue()
    admin = db.session.scalar(
        select(Membership).where(Membership.school_id == school.id, Membership.role == Role.SCHOOL_ADMIN)
    ).user
    published = helpers.publish(
        admin, school, items["finance-fees"], formed_on=date(2026, 9, 1), pdf=helpers.small_pdf()
    )
    local = services.add_item(
        admin,
        school.authority,
        {
            "category": "safety",
            "title_zh": "校车安全",
            "title_en": "School buses",
            "content_zh": "校车线路、车辆和驾驶人信息",
            "content_en": "Routes, vehicles and drivers",
            "basis": "《校车安全管理条例》",
            "deadline_days": 20,
            "audience": "parents",
            "source_title": "区教委",
        },
    )
    db.session.commit()
    return {
        **url_arguments("disclosure.school", "disclosure.manage", slug=school.slug),
        **url_arguments("disclosure.published", "disclosure.pdf", slug=school.slug, disclosure_id=published.id),
        **url_arguments("disclosure.manage_item", slug=school.slug, item_id=items["finance-aid"].id),
        **url_arguments("disclosure.overview", "disclosure.overview_csv"),
        **url_arguments("disclosure.catalogue", authority_id=school.authority_id),
        **url_arguments(
            "disclosure.remove_item", "disclosure.edit_item", authority_id=school.authority_id, item_id=local.id
        ),
    }


EXPECTED = {
    "disclosure.school": everyone(200),
    "disclosure.published": everyone(200),
    "disclosure.pdf": everyone(200),
    "disclosure.overview": commission_staff(200),
    "disclosure.overview_csv": commission_staff(200),
    "disclosure.manage": management(200),
    "disclosure.manage_item": management(200),
    "disclosure.catalogue": catalogue_admins(200),
    "disclosure.remove_item": catalogue_admins(303),
    "disclosure.edit_item": catalogue_admins(200),
}

EXPECTED_POST = {
    "disclosure.manage_item": management(422),
    "disclosure.catalogue": catalogue_admins(422),
    "disclosure.edit_item": catalogue_admins(422),
}
