"""The management front door, the school profile and adding schools."""

import pytest
from sqlalchemy import select

from portal.audit import AuditEvent
from portal.schools.models import School
from tests.helpers.pages import ENGLISH, field_error, log_in

PROFILE = {
    "name_zh": "测试第一小学（新校名）",
    "name_en": "First Test Primary School",
    "type": "primary",
    "address": "测试路 1 号",
    "phone": "023-1234 5678",
    "email": "office@school.example.org",
    "website": "https://school.example.org",
    "decision_prefix": "测一小校委",
    "description": "一所测试学校。",
}


def test_management_page_shows_each_person_only_their_sections(client, school, make_user):
    log_in(client, make_user(role="board_member", scope=school))
    page = client.get(f"/schools/{school.slug}/manage").get_data(as_text=True)

    assert f"/schools/{school.slug}/manage/meetings" in page
    assert f"/schools/{school.slug}/manage/charter" not in page  # the charter is the school admin's
    assert f"/schools/{school.slug}/manage/invitations" not in page


def test_school_admin_sees_every_section(client, school, make_user):
    log_in(client, make_user(role="school_admin", scope=school))
    page = client.get(f"/schools/{school.slug}/manage").get_data(as_text=True)

    for section in ("profile", "charter", "bodies", "meetings", "decisions", "invitations"):
        assert f"/schools/{school.slug}/manage/{section}" in page


def test_school_admin_updates_the_profile_and_it_is_audited(client, db, school, make_user):
    log_in(client, make_user(role="school_admin", scope=school))

    response = client.post(f"/schools/{school.slug}/manage/profile", data=PROFILE)

    assert response.status_code == 303
    saved = db.session.get(School, school.id)
    assert saved.name_zh == PROFILE["name_zh"] and saved.phone == PROFILE["phone"]
    assert saved.decision_prefix == "测一小校委"  # the next decision is 测一小校委〔year〕N号
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "school.update"))
    assert event.school_id == school.id
    assert event.data["changes"]["name_zh"] == {"before": "测试第一小学", "after": PROFILE["name_zh"]}


@pytest.mark.parametrize(
    "field, value",
    [
        ("name_zh", ""),
        ("name_en", "x" * 161),
        ("type", "castle"),
        ("phone", "call me maybe"),
        ("email", "not an email"),
        ("website", "javascript:alert(1)"),
        ("description", "长" * 2001),
        ("address", "a\u202eb"),
        ("decision_prefix", "渝〔一〕"),
        ("decision_prefix", "渝 一中"),
        ("decision_prefix", "长" * 41),
    ],
)
def test_bad_profile_input_is_refused_beside_the_field_and_nothing_changes(client, db, school, make_user, field, value):
    log_in(client, make_user(role="school_admin", scope=school))

    response = client.post(f"/schools/{school.slug}/manage/profile", data={**PROFILE, field: value}, headers=ENGLISH)

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert field_error(page, field)
    assert PROFILE["name_en"] in page  # what was typed is kept
    assert db.session.get(School, school.id).name_zh == "测试第一小学"


def test_board_member_cannot_edit_the_profile(client, school, make_user):
    log_in(client, make_user(role="board_member", scope=school))

    assert client.post(f"/schools/{school.slug}/manage/profile", data=PROFILE).status_code == 403


def test_school_admin_of_another_school_gets_404_on_every_management_page(client, school, other_school, make_user):
    log_in(client, make_user(role="school_admin", scope=other_school))

    for path in ("manage", "manage/profile", "manage/invitations"):
        assert client.get(f"/schools/{school.slug}/{path}").status_code == 404, path


def test_commission_admin_adds_a_school_in_their_district(client, db, city, district, make_user):
    log_in(client, make_user(role="commission_admin", scope=city))

    response = client.post("/schools/new", data={**PROFILE, "authority_id": district.id, "slug": "brand-new-school"})

    assert response.status_code == 303
    assert response.headers["Location"].endswith("/schools/brand-new-school")
    school = db.session.scalar(select(School).where(School.slug == "brand-new-school"))
    assert school.authority_id == district.id
    assert db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "school.create", AuditEvent.school_id == school.id)
    )


def test_the_new_school_form_names_each_authority_in_the_page_s_language(client, city, district, make_user):
    log_in(client, make_user(role="commission_admin", scope=city))

    english = client.get("/schools/new", headers=ENGLISH).text
    chinese = client.get("/schools/new", headers={"Accept-Language": "zh-CN"}).text

    assert f'<option value="{district.id}">{district.name_en}</option>' in english
    assert f'<option value="{district.id}">{district.name_zh}</option>' in chinese


@pytest.mark.parametrize("slug", ["first-school", "new", "Bad Slug", "a", "-x-", "学校"])
def test_new_school_needs_a_free_well_formed_web_address_name(client, db, city, district, school, make_user, slug):
    log_in(client, make_user(role="commission_admin", scope=city))

    response = client.post("/schools/new", data={**PROFILE, "authority_id": district.id, "slug": slug}, headers=ENGLISH)

    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "slug")


def test_district_commission_admin_cannot_add_a_school_to_another_district(
    client, db, district, other_district, make_user
):
    log_in(client, make_user(role="commission_admin", scope=district))

    response = client.post("/schools/new", data={**PROFILE, "authority_id": other_district.id, "slug": "sneaky-school"})

    assert response.status_code == 422
    assert db.session.scalar(select(School).where(School.slug == "sneaky-school")) is None


def test_school_admin_cannot_add_schools(client, school, make_user):
    log_in(client, make_user(role="school_admin", scope=school))

    assert client.get("/schools/new").status_code == 403
