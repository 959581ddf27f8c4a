"""Invitation codes: a school admin makes them, a parent uses one on "My account"."""

import hashlib
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.accounts import services
from portal.accounts.models import Invitation, Membership, Role
from portal.audit import AuditEvent
from portal.clock import utcnow
from tests.helpers.pages import ENGLISH, field_error, location_path

CODE = re.compile(r"<code>([A-Z2-9]{5}-[A-Z2-9]{5})</code>")


def page_url(school):
    return f"/schools/{school.slug}/manage/invitations"


def make_codes(db, school, *, actor, count=1, valid_days=30):
    created = services.create_invitations(actor, school, count=count, valid_days=valid_days)
    db.session.commit()
    return [code for _invitation, code in created]


def count(db, model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def parent_memberships(db, user_id):
    return db.session.scalars(
        select(Membership).where(Membership.user_id == user_id, Membership.role == Role.PARENT)
    ).all()


# Making codes


def test_school_admin_sees_the_form_with_the_default_validity(client, school, school_admin, login_as):
    login_as(school_admin)

    response = client.get(page_url(school), headers=ENGLISH)

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'name="count"' in page
    assert re.search(r'id="valid_days"[^>]*value="30"', page)


def test_school_admin_makes_codes_that_are_shown_once(client, db, school, school_admin, login_as):
    login_as(school_admin)

    response = client.post(page_url(school), data={"count": "3", "valid_days": "7", "note": "三年级二班"})

    assert response.status_code == 303
    assert location_path(response) == page_url(school)
    page = client.get(page_url(school), headers=ENGLISH).get_data(as_text=True)
    codes = CODE.findall(page)
    assert len(codes) == 3
    assert len(set(codes)) == 3
    assert "New codes" in page
    reload = client.get(page_url(school), headers=ENGLISH).get_data(as_text=True)
    assert CODE.findall(reload) == []
    for code in codes:
        assert code not in reload


def test_new_codes_expire_after_the_days_chosen(client, db, school, school_admin, login_as):
    login_as(school_admin)
    before = utcnow()

    client.post(page_url(school), data={"count": "2", "valid_days": "7"})

    invitations = db.session.scalars(select(Invitation).where(Invitation.school_id == school.id)).all()
    assert len(invitations) == 2
    for invitation in invitations:
        assert before + timedelta(days=7) <= invitation.expires_at <= utcnow() + timedelta(days=7)
        assert invitation.used_at is None


def test_only_a_fingerprint_of_each_code_is_stored(client, db, school, school_admin, login_as):
    login_as(school_admin)
    client.post(page_url(school), data={"count": "2", "valid_days": "30"})
    codes = CODE.findall(client.get(page_url(school)).get_data(as_text=True))

    invitations = db.session.scalars(select(Invitation).where(Invitation.school_id == school.id)).all()

    stored = {invitation.code_hash for invitation in invitations}
    assert stored == {hashlib.sha256(code.replace("-", "").encode()).hexdigest() for code in codes}
    for invitation in invitations:
        row = " ".join(str(value) for value in (invitation.code_hash, invitation.code_hint, invitation.note))
        for code in codes:
            assert code not in row
            assert code.replace("-", "") not in row


def test_codes_list_shows_only_the_ending_of_each_code(client, db, school, school_admin, login_as):
    login_as(school_admin)
    client.post(page_url(school), data={"count": "1", "valid_days": "30"})
    (code,) = CODE.findall(client.get(page_url(school)).get_data(as_text=True))

    page = client.get(page_url(school), headers=ENGLISH).get_data(as_text=True)

    assert f"…{code[-4:]}" in page
    assert code not in page
    assert "Not used yet" in page


@pytest.mark.parametrize(
    "data, field",
    [
        ({"count": "0", "valid_days": "30"}, "count"),
        ({"count": "51", "valid_days": "30"}, "count"),
        ({"count": "-1", "valid_days": "30"}, "count"),
        ({"count": "ten", "valid_days": "30"}, "count"),
        ({"count": "", "valid_days": "30"}, "count"),
        ({"count": "99999999999999999999999", "valid_days": "30"}, "count"),
        ({"count": "5", "valid_days": "0"}, "valid_days"),
        ({"count": "5", "valid_days": "91"}, "valid_days"),
        ({"count": "5", "valid_days": "1.5"}, "valid_days"),
        ({"count": "5", "valid_days": "30", "note": "备" * 81}, "note"),
    ],
)
def test_bad_batch_is_refused_beside_the_field_and_no_code_is_made(
    client, db, school, school_admin, login_as, data, field
):
    login_as(school_admin)

    response = client.post(page_url(school), data=data, headers=ENGLISH)

    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), field)
    assert count(db, Invitation, Invitation.school_id == school.id) == 0


@pytest.mark.parametrize("number, days", [(1, 1), (50, 90)])
def test_batch_limits_themselves_are_accepted(client, db, school, school_admin, login_as, number, days):
    login_as(school_admin)

    response = client.post(page_url(school), data={"count": str(number), "valid_days": str(days)})

    assert response.status_code == 303
    assert count(db, Invitation, Invitation.school_id == school.id) == number
    assert len(CODE.findall(client.get(page_url(school)).get_data(as_text=True))) == number


# Using a code


def test_parent_account_uses_a_code_and_becomes_a_parent_of_the_school(
    client, db, school, school_admin, make_user, login_as
):
    (code,) = make_codes(db, school, actor=school_admin)
    user = login_as(make_user())

    response = client.post("/me/invitation", data={"code": code}, headers=ENGLISH)

    assert response.status_code == 303
    assert location_path(response) == "/me"
    memberships = parent_memberships(db, user.id)
    assert [m.school_id for m in memberships] == [school.id]
    page = client.get("/me", headers=ENGLISH).get_data(as_text=True)
    assert "You are now a verified parent of First Test Primary School." in page
    assert re.search(r"<strong>Parent</strong>\s*· First Test Primary School", page)
    invitation = db.session.scalar(select(Invitation).where(Invitation.school_id == school.id))
    assert invitation.used_by_id == user.id
    assert invitation.used_at is not None


@pytest.mark.parametrize("typed", ["{lower}", "  {lower}  ", "{plain}", "{spaced}", "{dashed}"])
def test_codes_are_accepted_in_lower_case_and_with_spaces_or_dashes(
    client, db, school, school_admin, make_user, login_as, typed
):
    (code,) = make_codes(db, school, actor=school_admin)
    plain = code.replace("-", "")
    variants = {
        "lower": code.lower(),
        "plain": plain,
        "spaced": " ".join(plain[i : i + 2] for i in range(0, 10, 2)).lower(),
        "dashed": "-".join(plain[i : i + 3] for i in range(0, 10, 3)),
    }
    user = login_as(make_user())

    response = client.post("/me/invitation", data={"code": typed.format(**variants)})

    assert response.status_code == 303
    assert len(parent_memberships(db, user.id)) == 1


def test_parent_of_another_school_can_add_a_second_school(
    client, db, school, other_school, school_admin, make_user, login_as
):
    (code,) = make_codes(db, school, actor=school_admin)
    user = login_as(make_user(role="parent", scope=other_school))

    assert client.post("/me/invitation", data={"code": code}).status_code == 303

    assert {m.school_id for m in parent_memberships(db, user.id)} == {school.id, other_school.id}


def assert_refused_and_nothing_changed(client, db, user_id, code, message):
    memberships_before = len(parent_memberships(db, user_id))
    used_before = count(db, Invitation, Invitation.used_at.is_not(None))

    response = client.post("/me/invitation", data={"code": code}, headers=ENGLISH)

    assert response.status_code == 422
    assert message in field_error(response.get_data(as_text=True), "code")
    assert len(parent_memberships(db, user_id)) == memberships_before
    assert count(db, Invitation, Invitation.used_at.is_not(None)) == used_before


def test_unknown_code_is_refused(client, db, school, school_admin, make_user, login_as):
    make_codes(db, school, actor=school_admin)
    user = login_as(make_user())

    assert_refused_and_nothing_changed(client, db, user.id, "ABCDE-FGHJK", "not known")


def test_used_code_is_refused_for_the_next_person(client, db, school, school_admin, make_user, login_as):
    (code,) = make_codes(db, school, actor=school_admin)
    first = make_user()
    services.redeem_invitation(first, code)
    db.session.commit()
    second = login_as(make_user())

    assert_refused_and_nothing_changed(client, db, second.id, code, "already been used")


def test_expired_code_is_refused(client, db, school, school_admin, make_user, login_as):
    (code,) = make_codes(db, school, actor=school_admin)
    invitation = db.session.scalar(select(Invitation).where(Invitation.school_id == school.id))
    invitation.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    user = login_as(make_user())

    assert_refused_and_nothing_changed(client, db, user.id, code, "expired")
    assert db.session.get(Invitation, invitation.id).used_at is None


def test_parent_of_the_school_cannot_use_another_code_for_it(client, db, school, school_admin, make_user, login_as):
    (code,) = make_codes(db, school, actor=school_admin)
    user = login_as(make_user(role="parent", scope=school))

    assert_refused_and_nothing_changed(client, db, user.id, code, "already a verified parent")
    assert db.session.scalar(select(Invitation).where(Invitation.school_id == school.id)).used_at is None


def test_empty_code_is_refused_with_a_message(client, db, make_user, login_as):
    user = login_as(make_user())

    assert_refused_and_nothing_changed(client, db, user.id, "   ", "Please enter the code")


def test_a_code_works_only_once_even_for_the_same_person(client, db, school, school_admin, make_user, login_as):
    (code,) = make_codes(db, school, actor=school_admin)
    user = login_as(make_user())
    assert client.post("/me/invitation", data={"code": code}).status_code == 303

    response = client.post("/me/invitation", data={"code": code}, headers=ENGLISH)

    assert response.status_code == 422
    assert len(parent_memberships(db, user.id)) == 1


def test_visitor_posting_a_code_is_sent_to_log_in(client, db, school, school_admin):
    (code,) = make_codes(db, school, actor=school_admin)

    response = client.post("/me/invitation", data={"code": code})

    assert response.status_code == 302
    assert location_path(response).startswith("/login")
    assert count(db, Invitation, Invitation.used_at.is_not(None)) == 0


def test_used_code_shows_who_used_it_on_the_school_page(client, db, school, school_admin, make_user, login_as):
    (code,) = make_codes(db, school, actor=school_admin)
    services.redeem_invitation(make_user(display_name="家长 赵六"), code)
    db.session.commit()
    login_as(school_admin)

    page = client.get(page_url(school), headers=ENGLISH).get_data(as_text=True)

    assert "Used by 家长 赵六" in page


# Withdrawing a code


def test_a_leaked_code_is_withdrawn_and_then_verifies_nobody(client, db, school, school_admin, make_user, login_as):
    (code,) = make_codes(db, school, actor=school_admin)
    invitation = db.session.scalar(select(Invitation).where(Invitation.school_id == school.id))
    login_as(school_admin)

    response = client.post(f"{page_url(school)}/{invitation.id}/withdraw", headers=ENGLISH)

    assert response.status_code == 303 and location_path(response) == page_url(school)
    page = client.get(page_url(school), headers=ENGLISH).text
    assert f"The code ending …{invitation.code_hint} is withdrawn: it verifies nobody." in page
    assert "Withdrawn on" in page
    withdrawn = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "invitation.withdraw")).all()
    assert [(e.actor_id, e.object_id) for e in withdrawn] == [(school_admin.id, invitation.id)]
    user = login_as(make_user())
    assert_refused_and_nothing_changed(client, db, user.id, code, "withdrew this code")


def test_a_used_code_cannot_be_withdrawn(client, db, school, school_admin, make_user, login_as):
    (code,) = make_codes(db, school, actor=school_admin)
    services.redeem_invitation(make_user(), code)
    db.session.commit()
    invitation = db.session.scalar(select(Invitation).where(Invitation.school_id == school.id))
    login_as(school_admin)

    client.post(f"{page_url(school)}/{invitation.id}/withdraw", headers=ENGLISH)

    assert "This code was used or has ended already" in client.get(page_url(school), headers=ENGLISH).text
    assert db.session.get(Invitation, invitation.id).withdrawn_at is None


def test_another_school_s_code_is_not_found(client, db, school, other_school, school_admin, make_user, login_as):
    make_codes(db, other_school, actor=make_user())
    theirs = db.session.scalar(select(Invitation).where(Invitation.school_id == other_school.id))
    login_as(school_admin)

    assert client.post(f"{page_url(school)}/{theirs.id}/withdraw").status_code == 404
    assert db.session.get(Invitation, theirs.id).withdrawn_at is None
