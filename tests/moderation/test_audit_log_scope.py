"""/audit: a commission admin reads the audit events of their own authority and everything
below it; the city commission reads them all. Nobody else reads the log."""

import pytest
from sqlalchemy import select

from portal.accounts import services as account_services
from portal.accounts.models import Role
from portal.audit import AuditEvent
from tests.helpers.audit_log import add_event, audit_page, listed_ids
from tests.helpers.pages import ENGLISH, location_path


@pytest.fixture
def events_everywhere(db, make_authority, city, district, other_district, school, other_school):
    """One event in each place: the city, district A, a bureau below district A, a school of
    district A, district B, a school of district B, and one of no place (an account's)."""
    below_district = make_authority("测试甲区下属办公室", "Office under District A", parent=district)
    return {
        "city": add_event("consultation.create", object_type="Consultation", object_id=1, authority=city),
        "district": add_event("consultation.create", object_type="Consultation", object_id=2, authority=district),
        "below_district": add_event(
            "authority.create", object_type="Authority", object_id=below_district.id, authority=below_district
        ),
        "school": add_event("decision.publish", object_id=3, school=school),
        "other_district": add_event(
            "consultation.create", object_type="Consultation", object_id=4, authority=other_district
        ),
        "other_school": add_event("decision.publish", object_id=5, school=other_school),
        "account": add_event("user.password_change", object_type="User", object_id=6),
    }


def test_commission_admin_of_a_district_sees_only_its_events(client, events_everywhere, district, commission_admin_of):
    commission_admin_of(district)

    listed = set(listed_ids(audit_page(client)))

    mine = {events_everywhere[place].id for place in ("district", "below_district", "school")}
    others = {events_everywhere[place].id for place in ("city", "other_district", "other_school", "account")}
    assert mine <= listed
    assert not others & listed


def test_city_commission_admin_sees_every_event(client, db, events_everywhere, city, commission_admin_of):
    commission_admin_of(city)

    listed = listed_ids(audit_page(client))

    assert {event.id for event in events_everywhere.values()} <= set(listed)
    # Every event the log holds, the factories' own (schools created, roles granted) included.
    assert listed == list(db.session.scalars(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(50)))


def test_account_events_are_for_the_city_commission_only(client, events_everywhere, district, make_user, login_as):
    """A failed login or a password change belongs to a person, not to a district."""
    login_as(make_user(role="commission_admin", scope=district))
    event = add_event("user.login_failed", object_type="User", object_id=None, ip="203.0.113.9", reason="credentials")

    assert event.id not in listed_ids(audit_page(client))
    assert event.id not in listed_ids(audit_page(client, "?action=user."))


def test_commission_admin_of_two_districts_sees_both(
    client, db, events_everywhere, make_user, login_as, district, other_district
):
    admin = make_user(role="commission_admin", scope=district)
    account_services.grant_membership(None, admin, Role.COMMISSION_ADMIN, other_district)
    db.session.commit()
    login_as(admin)
    db.session.expire_all()  # the memberships loaded with the account, as the next request loads them

    listed = set(listed_ids(audit_page(client)))

    assert {events_everywhere[place].id for place in ("district", "school", "other_district", "other_school")} <= listed
    assert not {events_everywhere[place].id for place in ("city", "account")} & listed


def test_a_school_of_another_district_finds_nothing_and_is_not_named(
    client, events_everywhere, district, other_school, commission_admin_of
):
    commission_admin_of(district)

    page = audit_page(client, f"?school={other_school.id}")

    assert listed_ids(page) == []
    assert other_school.name_en not in page
    assert f'<option value="{other_school.id}"' not in page


def test_the_school_filter_offers_only_schools_in_scope(
    client, events_everywhere, district, school, other_school, commission_admin_of
):
    commission_admin_of(district)

    page = audit_page(client)

    assert f'<option value="{school.id}"' in page
    assert f'<option value="{other_school.id}"' not in page


@pytest.mark.parametrize("role, scope", [("parent", "school"), ("board_member", "school"), ("school_admin", "school")])
@pytest.mark.parametrize("address", ["/audit", "/audit.csv"])
def test_parents_board_members_and_school_admins_are_refused(
    client, make_user, login_as, request, role, scope, address
):
    login_as(make_user(role=role, scope=request.getfixturevalue(scope)))

    assert client.get(address, headers=ENGLISH).status_code == 403


@pytest.mark.parametrize("scope", ["city", "district"])
@pytest.mark.parametrize("address", ["/audit", "/audit.csv"])
def test_moderators_are_refused_even_of_the_city(client, make_user, login_as, request, scope, address):
    login_as(make_user(role="moderator", scope=request.getfixturevalue(scope)))

    response = client.get(address, headers=ENGLISH)

    assert response.status_code == 403
    assert 'id="error-403"' in response.get_data(as_text=True) or address.endswith(".csv")


def test_person_without_a_role_is_refused(client, make_user, login_as, db):
    login_as(make_user())

    assert client.get("/audit").status_code == 403


@pytest.mark.parametrize("address", ["/audit", "/audit.csv?action=decision."])
def test_visitor_is_sent_to_log_in(client, db, address):
    response = client.get(address)

    assert response.status_code == 302
    assert location_path(response).startswith("/login?next=")


def test_a_deactivated_commission_admin_is_not_let_in(client, make_user, login_as, city):
    login_as(make_user(role="commission_admin", scope=city, active=False))

    assert client.get("/audit").status_code in (302, 403)


def test_commission_admins_find_the_audit_log_from_their_account_page(client, make_user, login_as, district, school):
    login_as(make_user(role="commission_admin", scope=district))
    admin_page = client.get("/me", headers=ENGLISH).get_data(as_text=True)
    login_as(make_user(role="moderator", scope=district))
    moderator_page = client.get("/me", headers=ENGLISH).get_data(as_text=True)

    assert 'href="/audit"' in admin_page
    assert 'href="/audit"' not in moderator_page
