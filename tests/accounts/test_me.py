"""My account: who I am, the roles I hold, my profile and my password."""

import re

import pytest

from portal.accounts import services
from portal.accounts.models import Role, User
from tests.helpers.pages import ENGLISH, PASSWORD, field_error, location_path, log_in

NEW_PASSWORD = "a brand new passphrase"


def membership_items(page: str) -> list[str]:
    """The text of each entry in the "My roles" list, with tags and spacing flattened."""
    section = re.search(r'<ul class="membership-list">(.*?)</ul>', page, re.S)
    if section is None:
        return []
    items = re.findall(r"<li>(.*?)</li>", section.group(1), re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", item).split()) for item in items]


def test_visitor_opening_my_account_is_sent_to_log_in_and_back(client, db):
    response = client.get("/me")

    assert response.status_code == 302
    assert location_path(response) == "/login?next=%2Fme"


def test_my_account_shows_my_email_and_that_i_hold_no_role_yet(client, make_user, login_as):
    login_as(make_user(email="newcomer@example.org"))

    page = client.get("/me", headers=ENGLISH).get_data(as_text=True)

    assert "newcomer@example.org" in page
    assert membership_items(page) == []
    assert "You do not hold any role yet" in page


def test_my_account_lists_each_role_with_its_school_or_authority(
    client, db, make_user, login_as, school, other_school, district
):
    user = make_user(role="parent", scope=school)
    services.grant_membership(None, user, Role.BOARD_MEMBER, other_school)
    services.grant_membership(None, user, Role.MODERATOR, district)
    db.session.commit()
    login_as(user)

    items = membership_items(client.get("/me", headers=ENGLISH).get_data(as_text=True))

    assert len(items) == 3
    assert any("Parent" in item and "First Test Primary School" in item for item in items)
    assert any("Board member" in item and "Second Test Middle School" in item for item in items)
    assert any("Moderator" in item and "Test District A" in item for item in items)


def test_roles_are_shown_in_chinese_names_by_default(client, make_user, login_as, school):
    login_as(make_user(role="parent", scope=school))

    items = membership_items(client.get("/me").get_data(as_text=True))

    assert len(items) == 1
    assert "测试第一小学" in items[0]


def test_school_admin_finds_the_invitation_codes_link_on_my_account(client, make_user, login_as, school):
    login_as(make_user(role="school_admin", scope=school))

    page = client.get("/me", headers=ENGLISH).get_data(as_text=True)

    assert f'href="/schools/{school.slug}/manage/invitations"' in page


def test_parent_sees_no_invitation_codes_link(client, make_user, login_as, school):
    login_as(make_user(role="parent", scope=school))

    page = client.get("/me", headers=ENGLISH).get_data(as_text=True)

    assert "/manage/invitations" not in page


# Profile


def test_saving_my_profile_changes_name_and_language(client, db, make_user, login_as):
    user = login_as(make_user(display_name="旧名字", language="zh"))

    response = client.post("/me/profile", data={"display_name": "  新名字  ", "language": "en"})

    assert response.status_code == 303
    assert location_path(response) == "/me"
    saved = db.session.get(User, user.id)
    assert saved.display_name == "新名字"
    assert saved.language == "en"
    page = client.get("/me").get_data(as_text=True)
    assert '<html lang="en">' in page
    assert "Your profile is saved." in page


@pytest.mark.parametrize(
    "data, field",
    [
        ({"display_name": "", "language": "zh"}, "display_name"),
        ({"display_name": "   ", "language": "zh"}, "display_name"),
        ({"display_name": "名" * 61, "language": "zh"}, "display_name"),
        ({"display_name": "新名字", "language": "fr"}, "language"),
        ({"display_name": "新名字"}, "language"),
    ],
)
def test_invalid_profile_is_refused_beside_the_field_and_nothing_changes(client, db, make_user, login_as, data, field):
    user = login_as(make_user(display_name="旧名字", language="zh"))

    response = client.post("/me/profile", data=data, headers=ENGLISH)

    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), field)
    saved = db.session.get(User, user.id)
    assert (saved.display_name, saved.language) == ("旧名字", "zh")


# Password


def password_change(current=PASSWORD, new=NEW_PASSWORD, confirm=None):
    return {"current_password": current, "new_password": new, "confirm": new if confirm is None else confirm}


def test_wrong_current_password_is_refused_and_nothing_changes(client, db, make_user, login_as):
    user = login_as(make_user())
    hash_before = db.session.get(User, user.id).password_hash
    sessions_before = len(services.sessions_of(user))

    response = client.post("/me/password", data=password_change(current="not my password at all"), headers=ENGLISH)

    assert response.status_code == 422
    assert "not correct" in field_error(response.get_data(as_text=True), "current_password")
    after = db.session.get(User, user.id)
    assert after.password_hash == hash_before
    assert len(services.sessions_of(after)) == sessions_before  # nobody was logged out
    assert services.password_matches(after, PASSWORD)


@pytest.mark.parametrize(
    "data, field",
    [
        (password_change(new="too short", confirm="too short"), "new_password"),
        (password_change(new="p" * 201, confirm="p" * 201), "new_password"),
        (password_change(confirm=NEW_PASSWORD + "?"), "confirm"),
        (password_change(current=""), "current_password"),
    ],
)
def test_invalid_new_password_is_refused_and_the_old_one_still_works(client, db, make_user, login_as, data, field):
    user = login_as(make_user())

    response = client.post("/me/password", data=data, headers=ENGLISH)

    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), field)
    assert services.password_matches(db.session.get(User, user.id), PASSWORD)


def test_changing_my_password_keeps_me_logged_in_and_the_new_password_works(app, client, db, make_user, login_as):
    user = login_as(make_user(email="changer@example.org"))

    response = client.post("/me/password", data=password_change(), headers=ENGLISH)

    assert response.status_code == 303
    assert location_path(response) == "/me"
    assert client.get("/me").status_code == 200
    saved = db.session.get(User, user.id)
    assert services.password_matches(saved, NEW_PASSWORD)
    assert not services.password_matches(saved, PASSWORD)
    fresh = app.test_client()
    assert fresh.post("/login", data={"email": "changer@example.org", "password": PASSWORD}).status_code == 422
    assert fresh.post("/login", data={"email": "changer@example.org", "password": NEW_PASSWORD}).status_code == 303


def test_changing_my_password_logs_out_my_other_devices(app, client, db, make_user, login_as):
    user = login_as(make_user())
    other_device = log_in(app.test_client(), user)
    assert other_device.get("/me").status_code == 200

    client.post("/me/password", data=password_change())

    response = other_device.get("/me")
    assert response.status_code == 302
    assert location_path(response).startswith("/login")
    assert client.get("/me").status_code == 200


def test_after_five_wrong_guesses_of_the_current_password_changing_it_is_locked(
    client, db, make_user, login_as, rate_limits
):
    user = login_as(make_user())
    for _guess in range(5):
        wrong = client.post("/me/password", data=password_change(current="a wrong guess!!"), headers=ENGLISH)
        assert wrong.status_code == 422

    response = client.post("/me/password", data=password_change(), headers=ENGLISH)  # the right one, too late

    assert response.status_code == 429
    assert "locked for 15 minutes" in field_error(response.get_data(as_text=True), "current_password")
    assert services.password_matches(db.session.get(User, user.id), PASSWORD)


def test_mistakes_in_the_new_password_are_not_guesses_of_the_current_one(client, db, make_user, login_as, rate_limits):
    login_as(make_user())
    for _attempt in range(6):
        response = client.post("/me/password", data=password_change(new="short", confirm="short"), headers=ENGLISH)
        assert response.status_code == 422

    assert client.post("/me/password", data=password_change(), headers=ENGLISH).status_code == 303
