"""A school's staff: the commission above it appoints its administrators and board members from
the accounts people registered themselves (/schools/<slug>/manage/staff), and removes them. A
new school can then be run on the portal without the command line."""

import pytest
from sqlalchemy import select

from portal.accounts.models import Membership, Role
from portal.audit import AuditEvent
from tests.helpers.pages import ENGLISH, field_error, field_value, location_path

CHINESE = {"Accept-Language": "zh-CN"}


def staff_url(school, suffix=""):
    return f"/schools/{school.slug}/manage/staff{suffix}"


@pytest.fixture
def commission_admin(make_user, city):
    return make_user(role="commission_admin", scope=city, display_name="市教委管理员")


@pytest.fixture
def newcomer(make_user):
    """Somebody who registered on the portal and holds no role yet."""
    return make_user(email="wang.laoshi@example.org", display_name="王老师")


def roles_of(db, user, school):
    return sorted(
        m.role.value
        for m in db.session.scalars(
            select(Membership).where(Membership.user_id == user.id, Membership.school_id == school.id)
        )
    )


def test_the_commission_appoints_a_school_administrator_who_can_then_run_the_school(
    client, db, school, commission_admin, newcomer, login_as
):
    login_as(commission_admin)

    response = client.post(
        staff_url(school), data={"email": "Wang.Laoshi@example.org ", "role": "school_admin"}, headers=ENGLISH
    )

    assert response.status_code == 303
    assert location_path(response) == staff_url(school)
    assert roles_of(db, newcomer, school) == ["school_admin"]
    grants = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "membership.grant")).all()
    (granted,) = [event for event in grants if event.data["user_id"] == newcomer.id]
    assert granted.actor_id == commission_admin.id and granted.school_id == school.id
    page = client.get(staff_url(school), headers=ENGLISH).text
    assert "王老师 is now an administrator of this school." in page
    assert "wang.laoshi@example.org" in page[page.index('id="staff"') :]

    login_as(newcomer)
    assert client.get(f"/schools/{school.slug}/manage", headers=ENGLISH).status_code == 200


def test_a_board_member_is_appointed_and_removed_and_both_are_audited(
    client, db, school, commission_admin, newcomer, login_as
):
    login_as(commission_admin)
    client.post(staff_url(school), data={"email": newcomer.email, "role": "board_member"})
    (membership,) = db.session.scalars(select(Membership).where(Membership.user_id == newcomer.id)).all()

    response = client.post(staff_url(school, f"/{membership.id}/remove"), data={"confirm": "y"}, headers=CHINESE)

    assert response.status_code == 303
    assert roles_of(db, newcomer, school) == []
    assert "王老师不再担任本校校务委员。" in client.get(staff_url(school), headers=CHINESE).text
    (removed,) = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "membership.revoke")).all()
    assert removed.data["role"] == "board_member" and removed.data["user_id"] == newcomer.id


def test_appointing_someone_again_changes_nothing_and_says_so(client, db, school, commission_admin, newcomer, login_as):
    login_as(commission_admin)
    client.post(staff_url(school), data={"email": newcomer.email, "role": "board_member"}, headers=ENGLISH)

    client.post(staff_url(school), data={"email": newcomer.email, "role": "board_member"}, headers=ENGLISH)

    assert roles_of(db, newcomer, school) == ["board_member"]
    assert "王老师 is already a board member of this school." in client.get(staff_url(school), headers=ENGLISH).text


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"email": "", "role": "school_admin"}, "email", "Enter the person's email address."),
        ({"email": "not an address", "role": "school_admin"}, "email", None),
        (
            {"email": "wang.laoshi@example.org", "role": ""},
            "role",
            "Choose one of the roles offered.",
        ),
        # Only a school's staff roles: a parent, a moderator or a commission admin is made elsewhere.
        (
            {"email": "wang.laoshi@example.org", "role": "commission_admin"},
            "role",
            "Choose one of the roles offered.",
        ),
        (
            {"email": "wang.laoshi@example.org", "role": "parent"},
            "role",
            "Choose one of the roles offered.",
        ),
    ],
    ids=["empty", "not-an-address", "no-role", "commission-admin", "parent"],
)
def test_bad_input_is_explained_beside_the_field_keeps_what_was_typed_and_appoints_nobody(
    client, db, school, commission_admin, newcomer, login_as, data, field, message
):
    login_as(commission_admin)

    response = client.post(staff_url(school), data=data, headers=ENGLISH)

    assert response.status_code == 422
    error = field_error(response.text, field)
    assert error and (message is None or error == message)
    assert field_value(response.text, "email") == data["email"]
    assert db.session.scalars(select(Membership).where(Membership.school_id == school.id)).all() == []


def test_the_school_s_own_administrator_does_not_appoint_staff(client, school, school_admin, newcomer, login_as):
    login_as(school_admin)

    assert client.get(staff_url(school)).status_code == 403
    assert client.post(staff_url(school), data={"email": newcomer.email, "role": "school_admin"}).status_code == 403
    assert "/manage/staff" not in client.get(f"/schools/{school.slug}/manage").text


def test_a_role_of_another_school_or_a_parent_s_role_is_not_found_on_this_school_s_page(
    client, db, school, other_school, commission_admin, make_user, login_as
):
    elsewhere = make_user(role="school_admin", scope=other_school)
    parent = make_user(role="parent", scope=school)
    login_as(commission_admin)

    for user in (elsewhere, parent):
        membership = db.session.scalar(select(Membership).where(Membership.user_id == user.id))
        assert client.post(staff_url(school, f"/{membership.id}/remove")).status_code == 404
    assert len(db.session.scalars(select(Membership).where(Membership.role != Role.COMMISSION_ADMIN)).all()) == 2


def test_the_management_page_leads_the_commission_to_the_staff(client, school, commission_admin, login_as):
    login_as(commission_admin)

    page = client.get(f"/schools/{school.slug}/manage", headers=ENGLISH).text

    assert f'href="{staff_url(school)}"' in page
    empty = client.get(staff_url(school), headers=ENGLISH).text
    assert "Nobody runs this school on the portal yet. Appoint its administrator first." in empty


# An authority's staff: its commission admins and moderators


def authority_url(authority, suffix=""):
    return f"/authorities/{authority.id}/manage/staff{suffix}"


def test_the_city_appoints_a_district_moderator_who_can_then_moderate_and_removes_them(
    client, db, district, commission_admin, newcomer, login_as
):
    login_as(commission_admin)

    appointed = client.post(
        authority_url(district), data={"email": newcomer.email, "role": "moderator"}, headers=ENGLISH
    )
    membership = db.session.scalar(select(Membership).where(Membership.user_id == newcomer.id))

    assert appointed.status_code == 303
    assert (membership.role, membership.authority_id) == (Role.MODERATOR, district.id)
    assert "王老师 is now a moderator here." in client.get(authority_url(district), headers=ENGLISH).text
    login_as(newcomer)
    assert client.get("/moderation").status_code == 200

    login_as(commission_admin)
    removed = client.post(authority_url(district, f"/{membership.id}/remove"), data={"confirm": "y"})
    assert removed.status_code == 303
    assert db.session.scalar(select(Membership).where(Membership.user_id == newcomer.id)) is None
    (event,) = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "membership.revoke")).all()
    assert event.authority_id == district.id


def test_an_authority_takes_only_its_own_roles(client, db, district, commission_admin, newcomer, login_as):
    login_as(commission_admin)

    response = client.post(
        authority_url(district), data={"email": newcomer.email, "role": "school_admin"}, headers=ENGLISH
    )

    assert response.status_code == 422
    assert field_error(response.text, "role") == "Choose one of the roles offered."
    assert db.session.scalar(select(Membership).where(Membership.user_id == newcomer.id)) is None


def test_nobody_removes_their_own_role(client, db, city, commission_admin, login_as):
    own = db.session.scalar(select(Membership).where(Membership.user_id == commission_admin.id))
    login_as(commission_admin)

    page = client.get(authority_url(city), headers=ENGLISH).text
    response = client.post(authority_url(city, f"/{own.id}/remove"), data={"confirm": "y"}, headers=ENGLISH)

    assert f"/{own.id}/remove" not in page  # no button for one's own role
    assert response.status_code == 303
    assert (
        "You cannot remove your own role. Another commission administrator can."
        in client.get(authority_url(city), headers=ENGLISH).text
    )
    assert db.session.get(Membership, own.id) is not None


def test_a_moderator_does_not_appoint_and_another_district_does_not_find_the_page(
    client, district, other_district, moderator, make_user, login_as
):
    login_as(moderator)
    assert client.get(authority_url(district)).status_code == 403

    login_as(make_user(role="commission_admin", scope=other_district))
    assert client.get(authority_url(district)).status_code == 404


def test_a_commission_admin_finds_the_staff_and_supervisors_pages_from_their_account(
    client, city, commission_admin, login_as
):
    login_as(commission_admin)

    page = client.get("/me", headers=ENGLISH).text

    assert f'href="{authority_url(city)}"' in page
    assert f'href="/authorities/{city.id}/manage/supervisors"' in page


def test_the_city_s_staff_page_leads_to_each_district_s(
    client, city, district, other_district, commission_admin, login_as
):
    login_as(commission_admin)

    page = client.get(authority_url(city), headers=ENGLISH).text

    below = page[page.index('id="areas-below-heading"') :]
    assert f'href="{authority_url(district)}"' in below and f'href="{authority_url(other_district)}"' in below
    assert f'href="{authority_url(city)}"' not in below


def test_removing_asks_first_and_warns_when_nobody_else_holds_the_role(
    client, db, school, commission_admin, newcomer, login_as, make_user
):
    login_as(commission_admin)
    client.post(staff_url(school), data={"email": newcomer.email, "role": "school_admin"})
    (membership,) = db.session.scalars(select(Membership).where(Membership.user_id == newcomer.id)).all()

    asked = client.post(staff_url(school, f"/{membership.id}/remove"), headers=ENGLISH)

    assert asked.status_code == 200
    assert roles_of(db, newcomer, school) == ["school_admin"]  # nothing removed yet
    assert "Remove the role “School administrator”" in asked.text and "wang.laoshi@example.org" in asked.text
    assert "Nobody else holds this role here" in asked.text
    assert 'name="confirm" value="y"' in asked.text and f'href="{staff_url(school)}"' in asked.text
    second = make_user(email="li.laoshi@example.org", display_name="李老师")
    client.post(staff_url(school), data={"email": second.email, "role": "school_admin"})
    again = client.post(staff_url(school, f"/{membership.id}/remove"), headers=ENGLISH)
    assert "Remove the role" in again.text and "Nobody else holds this role here" not in again.text
