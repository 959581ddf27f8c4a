"""Nobody may pass for staff: a display name that is a staff member's name (compared without
case, width, spaces, punctuation or invisible characters) or a role word alone is refused at
registration and when the name is changed, beside the field, keeping what was typed (422)."""

import pytest
from sqlalchemy import func, select

from portal.accounts import services as account_services
from portal.accounts.models import User
from tests.helpers.pages import ENGLISH, field_error, field_value

GOOD_PASSWORD = "a long enough password"
STAFF_NAME_MESSAGE = "This name is already used by a member of staff."
ROLE_WORD_MESSAGE = "A role alone cannot be a display name."


def register(client, display_name, headers=None):
    """The second step of registering, from the mailed link: the name and the password."""
    with client.application.app_context():
        link = f"/register/complete/{account_services.registration_token('new.parent@example.org')}"
    data = {"display_name": display_name, "password": GOOD_PASSWORD, "confirm": GOOD_PASSWORD}
    return client.post(link, data=data, headers=headers or {})


@pytest.fixture
def city_admin_wang(make_user, city):
    return make_user(role="commission_admin", scope=city, display_name="市教委管理员 王敏")


def count_users(db):
    return db.session.scalar(select(func.count()).select_from(User))


@pytest.mark.parametrize(
    "typed",
    [
        "市教委管理员 王敏",
        "市教委管理员王敏",
        " 市教委管理员　王敏 ",  # an ideographic space, and spaces around
        "市教委管理员·王敏",
        "市教委管理员\u200b王敏",  # a zero-width space
    ],
)
def test_registering_with_a_staff_members_name_is_refused_beside_the_field(client, db, city_admin_wang, typed):
    before = count_users(db)

    response = register(client, typed, ENGLISH)

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert STAFF_NAME_MESSAGE in field_error(page, "display_name")
    assert "new.parent@example.org" in page  # the address the link was sent to
    assert count_users(db) == before


def test_a_name_differing_only_in_case_and_width_is_the_same_name(client, db, make_user, school):
    make_user(role="board_member", scope=school, display_name="Li Ming")

    response = register(client, "ＬＩ ＭＩＮＧ", ENGLISH)

    assert response.status_code == 422
    assert STAFF_NAME_MESSAGE in field_error(response.get_data(as_text=True), "display_name")


@pytest.mark.parametrize("typed", ["管理员", "审核员", "校长", "教委", " 管 理 员 ", "Admin", "ＭＯＤＥＲＡＴＯＲ"])
def test_a_role_word_alone_is_refused(client, db, typed):
    response = register(client, typed, ENGLISH)

    assert response.status_code == 422
    assert ROLE_WORD_MESSAGE in field_error(response.get_data(as_text=True), "display_name")


def test_the_message_is_in_chinese_for_a_chinese_page(client, db):
    response = register(client, "管理员")

    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "display_name") != ROLE_WORD_MESSAGE


@pytest.mark.parametrize("typed", ["家长 王敏", "王敏", "校长的女儿", "管理员小王"])
def test_names_that_are_not_a_staff_name_nor_a_role_word_alone_are_accepted(client, db, city_admin_wang, typed):
    response = register(client, typed, ENGLISH)

    assert response.status_code == 303


def test_a_parent_may_share_a_name_with_another_parent(client, db, parent):
    response = register(client, parent.display_name, ENGLISH)

    assert response.status_code == 303


def test_a_former_staff_members_name_is_free_once_the_membership_is_gone(client, db, make_user):
    make_user(display_name="市教委管理员 王敏")  # an account without any role

    response = register(client, "市教委管理员 王敏", ENGLISH)

    assert response.status_code == 303


# Changing one's name on /me


def test_changing_ones_name_to_a_staff_members_name_is_refused_and_nothing_is_saved(
    client, db, parent, city_admin_wang, login_as
):
    login_as(parent)

    response = client.post("/me/profile", data={"display_name": "市教委管理员王敏", "language": "en"}, headers=ENGLISH)

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert STAFF_NAME_MESSAGE in field_error(page, "display_name")
    assert field_value(page, "display_name") == "市教委管理员王敏"
    assert db.session.scalar(select(User.display_name).where(User.id == parent.id)) == "家长 张伟"


def test_changing_ones_name_to_a_role_word_is_refused(client, db, parent, login_as):
    login_as(parent)

    response = client.post("/me/profile", data={"display_name": "审核员", "language": "zh"}, headers=ENGLISH)

    assert response.status_code == 422
    assert ROLE_WORD_MESSAGE in field_error(response.get_data(as_text=True), "display_name")


def test_staff_member_keeps_their_own_name_when_changing_the_language(client, db, city_admin_wang, login_as):
    login_as(city_admin_wang)

    response = client.post("/me/profile", data={"display_name": "市教委管理员 王敏", "language": "en"})

    assert response.status_code == 303
    assert db.session.scalar(select(User.language).where(User.id == city_admin_wang.id)) == "en"


def test_staff_member_may_respace_their_own_name(client, db, city_admin_wang, login_as):
    login_as(city_admin_wang)

    response = client.post("/me/profile", data={"display_name": "市教委管理员王敏", "language": "zh"})

    assert response.status_code == 303


def test_staff_member_cannot_take_another_staff_members_name(client, db, city_admin_wang, board_member, login_as):
    login_as(board_member)

    response = client.post("/me/profile", data={"display_name": "市教委管理员 王敏", "language": "zh"}, headers=ENGLISH)

    assert response.status_code == 422


def test_comparable_name_ignores_case_width_spaces_and_punctuation():
    assert account_services.comparable_name("Ｗａｎｇ　Min·") == account_services.comparable_name("wang min")


@pytest.fixture
def supervisor_zhou(make_user, school):
    """A responsible supervisor (责任督学) of the school: their name is on its public page."""
    return make_user(role="supervisor", scope=school, display_name="责任督学 周敏")


@pytest.mark.parametrize("typed", ["责任督学 周敏", "责任督学周敏", "责任督学·周敏"])
def test_registering_with_a_supervisors_name_is_refused_beside_the_field(client, db, supervisor_zhou, typed):
    before = count_users(db)

    response = register(client, typed, ENGLISH)

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert STAFF_NAME_MESSAGE in field_error(page, "display_name")
    assert field_value(page, "display_name") == typed  # what was typed is kept
    assert count_users(db) == before


def test_a_supervisor_keeps_their_own_name_on_their_profile(db, supervisor_zhou):
    assert account_services.display_name_refusal("责任督学 周敏", user_id=supervisor_zhou.id) is None
    assert account_services.display_name_refusal("责任督学 周敏") is not None
