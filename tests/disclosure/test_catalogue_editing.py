"""A commission admin changes the catalogue items of their own area (/authorities/<id>/manage/
disclosure-items/<id>): the form shows what the item says, a change is audited with what it said
before, and bad input comes back as typed with the message beside its field. National items and
another area's items are not theirs to change."""

import re

import pytest
from sqlalchemy import select

from portal.audit import AuditEvent
from portal.disclosure import services
from portal.disclosure.models import DisclosureItem
from portal.extensions import db
from tests.helpers import disclosure as helpers

ITEM = {
    "category": "safety",
    "title_zh": "校车安全",
    "title_en": "School buses",
    "content_zh": "校车线路、车辆和驾驶人信息",
    "content_en": "Routes, vehicles and drivers",
    "basis": "《校车安全管理条例》",
    "deadline_days": 10,
    "audience": "parents",
    "source_title": "测试甲区教育委员会",
}


@pytest.fixture
def items(db):
    return helpers.catalogue()


def add(authority, items):
    item = services.add_item(None, authority, ITEM)
    db.session.commit()
    return item


@pytest.fixture
def districts_item(district, items):
    return add(district, items)


@pytest.fixture
def district_admin(make_user, district):
    return make_user(role="commission_admin", scope=district)


def address(authority, item):
    return f"/authorities/{authority.id}/manage/disclosure-items/{item.id}"


def form(**changes):
    return {**{name: str(value) for name, value in ITEM.items()}, **changes}


def test_the_edit_form_shows_what_the_item_says(client, login_as, district_admin, district, districts_item):
    login_as(district_admin)

    page = client.get(address(district, districts_item)).text

    assert 'value="校车安全"' in page and 'value="School buses"' in page and 'value="10"' in page
    catalogue = client.get(f"/authorities/{district.id}/manage/disclosure-items").text
    assert f'href="{address(district, districts_item)}"' in catalogue


def test_a_district_admin_changes_their_item_and_it_is_audited(
    client, login_as, district_admin, district, school, districts_item
):
    login_as(district_admin)

    response = client.post(address(district, districts_item), data=form(title_zh="校车与接送安全", deadline_days="15"))

    assert response.status_code == 303
    item = db.session.get(DisclosureItem, districts_item.id)
    assert (item.title_zh, item.deadline_days) == ("校车与接送安全", 15)
    (event,) = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "disclosure.edit_item"))
    assert event.actor_id == district_admin.id
    assert event.data["before"] == {"title_zh": "校车安全", "deadline_days": "10"}
    assert event.data["after"] == {"title_zh": "校车与接送安全", "deadline_days": "15"}
    assert "校车与接送安全" in client.get(f"/schools/{school.slug}/disclosure").text


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"deadline_days": "0"}, "deadline_days"),
        ({"deadline_days": "251"}, "deadline_days"),
        ({"deadline_days": "²"}, "deadline_days"),
        ({"category": "forged"}, "category"),
        ({"audience": "everyone-everywhere"}, "audience"),
        ({"title_zh": ""}, "title_zh"),
        ({"title_en": "x" * 201}, "title_en"),
        ({"basis": "   "}, "basis"),
    ],
)
def test_bad_input_comes_back_as_typed_with_the_message_beside_the_field(
    client, login_as, district_admin, district, districts_item, changes, field
):
    login_as(district_admin)
    typed = form(content_en="<script>alert(1)</script> what I typed", **changes)

    response = client.post(address(district, districts_item), data=typed)

    assert response.status_code == 422
    assert f'id="{field}-error"' in response.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; what I typed" in response.text
    assert "<script>alert(1)" not in response.text
    assert db.session.get(DisclosureItem, districts_item.id).title_zh == "校车安全"
    assert not list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "disclosure.edit_item")))


def test_nobody_changes_a_national_item(client, login_as, make_user, city, district, items):
    fees = items["finance-fees"]
    for admin, authority in [(make_user(role="commission_admin", scope=city), city), (None, district)]:
        login_as(admin or make_user(role="commission_admin", scope=district))

        assert client.get(address(authority, fees)).status_code == 403
        assert client.post(address(authority, fees), data=form()).status_code == 403
    assert db.session.get(DisclosureItem, fees.id).title_zh != "校车安全"


def test_a_district_cannot_change_the_citys_item(client, login_as, district_admin, city, district, items):
    citys = add(city, items)
    login_as(district_admin)

    assert client.post(address(district, citys), data=form(title_zh="改了")).status_code == 403
    assert db.session.get(DisclosureItem, citys.id).title_zh == "校车安全"


def test_the_city_admin_changes_a_districts_item(client, login_as, make_user, city, districts_item):
    login_as(make_user(role="commission_admin", scope=city))

    assert client.post(address(city, districts_item), data=form(title_en="School transport")).status_code == 303
    assert db.session.get(DisclosureItem, districts_item.id).title_en == "School transport"


def test_another_districts_item_is_not_found(client, login_as, make_user, other_district, district, districts_item):
    other_admin = make_user(role="commission_admin", scope=other_district)
    login_as(other_admin)

    # Neither under its own address (another district's page) nor under the admin's own district.
    assert client.get(address(district, districts_item)).status_code == 404
    assert client.post(address(other_district, districts_item), data=form(title_zh="越权")).status_code == 404
    assert db.session.get(DisclosureItem, districts_item.id).title_zh == "校车安全"


def test_a_removed_item_is_not_found(client, login_as, district_admin, district, districts_item):
    login_as(district_admin)
    client.post(f"{address(district, districts_item)}/remove")

    assert client.get(address(district, districts_item)).status_code == 404


@pytest.mark.parametrize("who", ["moderator", "school_admin", "parent"])
def test_only_commission_admins_change_items(request, client, login_as, district, districts_item, who):
    login_as(request.getfixturevalue(who))

    assert client.post(address(district, districts_item), data=form(title_zh="越权")).status_code == 403
    assert db.session.get(DisclosureItem, districts_item.id).title_zh == "校车安全"


def test_visitors_are_asked_to_log_in(client, district, districts_item):
    response = client.get(address(district, districts_item))

    assert response.status_code == 302 and re.search(r"/login", response.headers["Location"])
