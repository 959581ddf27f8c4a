"""/oversight is for moderators and commission admins, each for their own subtree: a district's
moderator never sees another district's numbers, not even by asking for its id."""

import pytest

from portal.accounts.models import Role
from portal.oversight import views as oversight_views
from tests.helpers.oversight import NOW, build_world
from tests.helpers.pages import ENGLISH, location_path


@pytest.fixture
def world(db, make_authority, make_school, make_user):
    return build_world(make_authority, make_school, make_user)


@pytest.fixture(autouse=True)
def frozen_now(monkeypatch):
    monkeypatch.setattr(oversight_views, "utcnow", lambda: NOW)


@pytest.fixture
def yuzhong_moderator(world, make_user):
    return make_user(role=Role.MODERATOR, scope=world["yuzhong"])


@pytest.mark.parametrize("address", ["/oversight", "/oversight.csv"])
def test_a_yuzhong_moderator_never_sees_shapingba(client, world, yuzhong_moderator, login_as, address):
    login_as(yuzhong_moderator)

    response = client.get(address, headers=ENGLISH)

    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Yuzhong District (test)" in text and "Yuzhong No. 1 Primary" in text
    assert "Shapingba" not in text and "沙坪坝" not in text


def test_a_moderator_of_one_district_sees_its_schools_without_choosing_it(client, world, yuzhong_moderator, login_as):
    login_as(yuzhong_moderator)

    page = client.get("/oversight", headers=ENGLISH).get_data(as_text=True)

    assert f'id="oversight-school-{world["a1"].id}"' in page and f'id="oversight-school-{world["a2"].id}"' in page


@pytest.mark.parametrize("address", ["/oversight", "/oversight.csv"])
def test_a_moderator_asking_for_another_districts_schools_gets_404(client, world, yuzhong_moderator, login_as, address):
    login_as(yuzhong_moderator)

    for district in (world["shapingba"], world["city"]):
        response = client.get(f"{address}?district={district.id}", headers=ENGLISH)
        assert response.status_code == 404
        assert "Shapingba No. 1" not in response.get_data(as_text=True)
    assert client.get(f"{address}?district=999999999").status_code == 404


def test_a_moderator_of_the_other_district_sees_only_it(client, world, make_user, login_as):
    login_as(make_user(role=Role.MODERATOR, scope=world["shapingba"]))

    page = client.get("/oversight", headers=ENGLISH).get_data(as_text=True)

    assert "Shapingba No. 1 Primary" in page
    assert "Yuzhong" not in page and "渝中" not in page
    assert client.get(f"/oversight?district={world['yuzhong'].id}").status_code == 404


def test_the_city_commission_admin_sees_both_districts_and_chooses_one(client, world, make_user, login_as):
    login_as(make_user(role=Role.COMMISSION_ADMIN, scope=world["city"]))

    page = client.get("/oversight", headers=ENGLISH).get_data(as_text=True)
    assert (
        f'id="oversight-district-{world["yuzhong"].id}"' in page
        and f'id="oversight-district-{world["shapingba"].id}"' in page
    )
    assert 'id="oversight-school-' not in page
    assert "Choose a district" in page

    page = client.get(f"/oversight?district={world['shapingba'].id}", headers=ENGLISH).get_data(as_text=True)
    assert f'id="oversight-school-{world["b1"].id}"' in page
    assert f'id="oversight-school-{world["a1"].id}"' not in page


@pytest.mark.parametrize("role", [Role.PARENT, Role.BOARD_MEMBER, Role.SCHOOL_ADMIN])
def test_school_people_are_refused(client, world, make_user, login_as, role):
    login_as(make_user(role=role, scope=world["a1"]))

    assert client.get("/oversight").status_code == 403
    assert client.get("/oversight.csv").status_code == 403


def test_an_account_without_a_role_is_refused(client, world, make_user, login_as):
    login_as(make_user())

    assert client.get("/oversight").status_code == 403


@pytest.mark.parametrize("address", ["/oversight", "/oversight.csv"])
def test_visitors_are_sent_to_log_in(client, address):
    response = client.get(address)

    assert response.status_code == 302
    assert location_path(response).startswith("/login")


def test_a_bad_district_value_is_ignored(client, world, yuzhong_moderator, login_as):
    login_as(yuzhong_moderator)

    for value in ("abc", "<script>", "1" * 30, ""):
        assert client.get("/oversight", query_string={"district": value}).status_code == 200


def test_my_account_links_moderators_and_commission_admins_to_oversight(
    client, world, yuzhong_moderator, make_user, login_as
):
    login_as(yuzhong_moderator)
    assert 'href="/oversight"' in client.get("/me").get_data(as_text=True)

    login_as(make_user(role=Role.COMMISSION_ADMIN, scope=world["city"]))
    assert 'href="/oversight"' in client.get("/me").get_data(as_text=True)

    login_as(make_user(role=Role.SCHOOL_ADMIN, scope=world["a1"]))
    assert 'href="/oversight"' not in client.get("/me").get_data(as_text=True)
