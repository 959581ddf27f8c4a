"""Appointing someone who has no account yet: the commission types their address on the staff
page, an invitation is mailed to it, and the role is theirs once they create their account from
the link (or from a registration link to the same address). The commission sees the invitations
waiting, sends one again or withdraws it; nobody else can use the link."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.accounts import services
from portal.accounts.models import Membership, Role, StaffInvitation, User
from portal.audit import AuditEvent
from portal.clock import utcnow
from tests.helpers.account_mail import last_link_to, mails_to
from tests.helpers.pages import ENGLISH, field_error, field_value, location_path

CHINESE = {"Accept-Language": "zh-CN"}
INVITED = "li.laoshi@example.org"
GOOD_PASSWORD = "a long enough password"


def staff_url(school, suffix=""):
    return f"/schools/{school.slug}/manage/staff{suffix}"


def details(**overrides):
    data = {"display_name": "李老师", "password": GOOD_PASSWORD, "confirm": GOOD_PASSWORD}
    data.update(overrides)
    return data


@pytest.fixture
def commission_admin(make_user, city):
    return make_user(role="commission_admin", scope=city, display_name="市教委管理员")


def invitations(db):
    return db.session.scalars(select(StaffInvitation).order_by(StaffInvitation.id)).all()


def actions(db, action):
    return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()


def roles_of(db, email):
    user = db.session.scalar(select(User).where(User.email == email))
    return sorted((m.role.value, m.school_id or m.authority_id) for m in user.memberships) if user else None


def invite(client, school, email=INVITED, role="school_admin", headers=ENGLISH):
    return client.post(staff_url(school), data={"email": email, "role": role}, headers=headers)


def test_an_address_without_an_account_is_mailed_an_invitation_that_the_staff_page_lists(
    client, db, school, commission_admin, login_as
):
    login_as(commission_admin)

    response = invite(client, school, email=" Li.Laoshi@Example.org ")

    assert response.status_code == 303 and location_path(response) == staff_url(school)
    (invitation,) = invitations(db)
    assert (invitation.email, invitation.role, invitation.school_id) == (INVITED, Role.SCHOOL_ADMIN, school.id)
    assert invitation.invited_by_id == commission_admin.id
    assert invitation.expires_at - invitation.sent_at == timedelta(days=14)
    assert roles_of(db, INVITED) is None  # no account is made for them
    (mail,) = mails_to(db, INVITED)
    assert mail.subject == f"Invitation: School administrator, {school.name_en}"
    assert "市教委管理员 invited you to take the role “School administrator”" in mail.text_body
    assert "14 days" in mail.text_body
    assert "Accept the invitation:\n" in mail.text_body and "Hello,\n\n" in mail.text_body
    assert "If you did not expect this invitation, you can ignore this email" in mail.text_body
    assert last_link_to(db, INVITED).startswith("/staff-invitation/")
    (created,) = actions(db, "staff_invitation.create")
    assert created.actor_id == commission_admin.id and created.school_id == school.id
    assert created.data == {"email": INVITED, "role": "school_admin"}
    page = client.get(staff_url(school), headers=ENGLISH).text
    assert "No account uses li.laoshi@example.org yet, so an invitation was emailed to it" in page
    waiting = page[page.index('id="invitations"') :]
    assert INVITED in waiting and "School administrator" in waiting and "by 市教委管理员" in waiting
    assert "Expired" not in waiting


def test_the_invited_person_creates_their_account_from_the_link_and_holds_the_role(
    client, db, school, commission_admin, login_as
):
    login_as(commission_admin)
    invite(client, school)
    link = last_link_to(db, INVITED)
    client.post("/logout")

    opened = client.get(link, headers=ENGLISH)

    assert opened.status_code == 200
    assert f"You are invited to take the role “School administrator” at {school.name_en}." in opened.text
    assert "Sent by 市教委管理员 to li.laoshi@example.org." in opened.text
    assert 'name="display_name"' in opened.text and 'name="password"' in opened.text
    assert roles_of(db, INVITED) is None  # opening the link (as mail scanners do) changes nothing

    created = client.post(link, data=details(), headers=ENGLISH)

    assert created.status_code == 303 and location_path(created) == "/me"
    assert roles_of(db, INVITED) == [("school_admin", school.id)]
    (invitation,) = invitations(db)
    user = db.session.scalar(select(User).where(User.email == INVITED))
    assert invitation.accepted_by_id == user.id and invitation.accepted_at is not None
    (membership,) = user.memberships
    assert membership.granted_by_id == commission_admin.id  # the one who decided
    (accepted,) = actions(db, "staff_invitation.accept")
    assert accepted.actor_id == user.id
    me = client.get("/me", headers=ENGLISH).text
    assert "Welcome, 李老师. Your account is ready." in me
    assert f"You now hold the role “School administrator” at {school.name_en}." in me
    assert client.get(f"/schools/{school.slug}/manage", headers=ENGLISH).status_code == 200
    # Opened again by the person who accepted it (the mail is still in their mailbox): to /me.
    again = client.get(link, headers=ENGLISH)
    assert again.status_code == 303 and location_path(again) == "/me"
    assert "This invitation has already been accepted." in client.get("/me", headers=ENGLISH).text
    # The link has done its work.
    client.post("/logout")
    used = client.get(link, headers=ENGLISH)
    assert used.status_code == 410 and "already been accepted" in used.text
    assert "Ask for a new link" not in used.text  # the commission sends invitations, not a form


def test_the_staff_page_lists_the_new_administrator_and_no_longer_the_invitation(
    client, db, school, commission_admin, login_as
):
    login_as(commission_admin)
    invite(client, school, role="board_member")
    link = last_link_to(db, INVITED)
    client.post("/logout")
    client.post(link, data=details())

    login_as(commission_admin)
    page = client.get(staff_url(school), headers=ENGLISH).text

    assert 'id="invitations"' not in page
    assert INVITED in page[page.index('id="staff"') :]


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"display_name": ""}, "display_name"),
        ({"password": "short", "confirm": "short"}, "password"),
        ({"confirm": "something else entirely"}, "confirm"),
    ],
    ids=["no-name", "short-password", "passwords-differ"],
)
def test_mistakes_in_the_account_form_are_explained_beside_the_field_and_nothing_is_made(
    client, db, school, commission_admin, login_as, overrides, field
):
    login_as(commission_admin)
    invite(client, school)
    link = last_link_to(db, INVITED)
    client.post("/logout")

    response = client.post(link, data=details(**overrides), headers=ENGLISH)

    assert response.status_code == 422
    assert field_error(response.text, field)
    if field != "display_name":
        assert field_value(response.text, "display_name") == "李老师"
    assert roles_of(db, INVITED) is None
    assert invitations(db)[0].accepted_at is None


def test_appointing_the_same_address_again_sends_the_invitation_again_with_a_new_link(
    client, db, school, commission_admin, login_as
):
    login_as(commission_admin)
    invite(client, school)
    first_link = last_link_to(db, INVITED)

    again = invite(client, school)

    assert again.status_code == 303
    (invitation,) = invitations(db)
    second_link = last_link_to(db, INVITED)
    assert second_link != first_link and len(mails_to(db, INVITED)) == 2
    assert "li.laoshi@example.org was already invited (role: School administrator)" in (
        client.get(staff_url(school), headers=ENGLISH).text
    )
    assert len(actions(db, "staff_invitation.resend")) == 1
    client.post("/logout")
    assert client.get(first_link, headers=ENGLISH).status_code == 400  # replaced by the newer mail
    assert client.get(second_link, headers=ENGLISH).status_code == 200


def test_another_role_for_the_same_address_is_a_second_invitation_and_both_are_taken_up(
    client, db, school, commission_admin, login_as
):
    login_as(commission_admin)
    invite(client, school, role="school_admin")
    invite(client, school, role="board_member")
    link = last_link_to(db, INVITED)
    client.post("/logout")

    client.post(link, data=details())

    assert roles_of(db, INVITED) == [("board_member", school.id), ("school_admin", school.id)]


def test_a_withdrawn_invitation_leaves_the_page_and_its_link_stops_working(
    client, db, school, commission_admin, login_as
):
    login_as(commission_admin)
    invite(client, school)
    link = last_link_to(db, INVITED)
    (invitation,) = invitations(db)

    response = client.post(staff_url(school, f"/invitations/{invitation.id}/withdraw"), headers=ENGLISH)

    assert response.status_code == 303 and location_path(response) == staff_url(school)
    page = client.get(staff_url(school), headers=ENGLISH).text
    assert "The invitation to li.laoshi@example.org was withdrawn: its link no longer works." in page
    assert 'id="invitations"' not in page
    (withdrawn,) = actions(db, "staff_invitation.withdraw")
    assert withdrawn.actor_id == commission_admin.id
    # Withdrawing twice, or sending a withdrawn invitation again, says why nothing happened.
    client.post(staff_url(school, f"/invitations/{invitation.id}/resend"), headers=ENGLISH)
    assert "This invitation was withdrawn." in client.get(staff_url(school), headers=ENGLISH).text
    assert len(mails_to(db, INVITED)) == 1
    client.post("/logout")
    opened = client.get(link, headers=ENGLISH)
    assert opened.status_code == 410 and "This invitation was withdrawn." in opened.text
    assert client.post(link, data=details()).status_code == 410
    assert roles_of(db, INVITED) is None


def test_an_expired_invitation_is_marked_and_sending_it_again_makes_it_work(
    client, db, school, commission_admin, login_as
):
    login_as(commission_admin)
    invite(client, school)
    old_link = last_link_to(db, INVITED)
    (invitation,) = invitations(db)
    invitation.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()

    assert "Expired" in client.get(staff_url(school), headers=ENGLISH).text.split('id="invitations"')[1]
    client.post("/logout")
    expired = client.get(old_link, headers=ENGLISH)
    assert expired.status_code == 410 and "This invitation has expired." in expired.text

    login_as(commission_admin)
    client.post(staff_url(school, f"/invitations/{invitation.id}/resend"), headers=ENGLISH)
    assert "The invitation was sent again to li.laoshi@example.org, with a new link." in (
        client.get(staff_url(school), headers=ENGLISH).text
    )
    new_link = last_link_to(db, INVITED)
    client.post("/logout")
    assert client.post(new_link, data=details()).status_code == 303
    assert roles_of(db, INVITED) == [("school_admin", school.id)]


def test_registering_through_the_ordinary_link_takes_up_the_invitation_too(
    client, db, school, commission_admin, login_as
):
    login_as(commission_admin)
    invite(client, school, role="board_member")
    client.post("/logout")
    client.post("/register", data={"email": INVITED})
    registration_link = last_link_to(db, INVITED)
    assert registration_link.startswith("/register/complete/")

    client.post(registration_link, data=details(), headers=ENGLISH)

    assert roles_of(db, INVITED) == [("board_member", school.id)]
    me = client.get("/me", headers=ENGLISH).text
    assert f"You now hold the role “Board member” at {school.name_en}." in me
    login_as(commission_admin)
    assert 'id="invitations"' not in client.get(staff_url(school)).text


@pytest.fixture
def account_made_meanwhile(client, db, school, commission_admin, login_as, make_user):
    """The invitation expired, the person registered anyway (so nothing was taken up), and the
    commission sent the invitation again: the link now finds an account with the address."""
    login_as(commission_admin)
    invite(client, school)
    (invitation,) = invitations(db)
    invitation.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    person = make_user(email=INVITED, display_name="李老师")
    client.post(staff_url(school, f"/invitations/{invitation.id}/resend"))
    client.post("/logout")
    return person, last_link_to(db, INVITED)


def test_someone_who_has_an_account_logs_in_and_accepts(client, db, school, account_made_meanwhile, login_as):
    person, link = account_made_meanwhile

    visitor = client.get(link, headers=ENGLISH)

    assert visitor.status_code == 200
    assert "An account with the address li.laoshi@example.org exists. Log in with it" in visitor.text
    assert f'href="/login?next={link}"' in visitor.text
    assert 'name="password"' not in visitor.text

    login_as(person)
    logged_in = client.get(link, headers=ENGLISH)
    assert logged_in.status_code == 200 and "Accept the invitation" in logged_in.text
    assert roles_of(db, INVITED) == []

    accepted = client.post(link, headers=ENGLISH)

    assert accepted.status_code == 303 and location_path(accepted) == "/me"
    assert roles_of(db, INVITED) == [("school_admin", school.id)]
    assert f"You now hold the role “School administrator” at {school.name_en}." in client.get("/me").text


def test_logging_in_from_the_invitation_comes_back_to_it(client, account_made_meanwhile):
    _person, link = account_made_meanwhile

    response = client.post(
        "/login", data={"email": INVITED, "password": "correct horse battery", "next": link}, headers=ENGLISH
    )

    assert response.status_code == 303 and location_path(response) == link


def test_someone_logged_in_with_another_account_is_told_to_log_out_and_cannot_accept(
    client, db, school, commission_admin, login_as, make_user
):
    login_as(commission_admin)
    invite(client, school)
    link = last_link_to(db, INVITED)
    stranger = login_as(make_user(email="stranger@example.org"))

    opened = client.get(link, headers=ENGLISH)
    posted = client.post(link, headers=ENGLISH)

    assert opened.status_code == posted.status_code == 409
    assert "This invitation was sent to a different email address from your account's." in opened.text
    assert "This invitation is for li.laoshi@example.org." in opened.text
    assert "You are invited" not in opened.text  # the role is not this account's to read as its own
    assert roles_of(db, "stranger@example.org") == [] and invitations(db)[0].accepted_at is None
    with pytest.raises(Exception) as refused:
        services.accept_staff_invitation(stranger, invitations(db)[0])
    assert refused.value.reason == services.AccountRefusal.INVITATION_OTHER_ACCOUNT
    # "Log out and continue" comes back to the invitation, now as a visitor.
    logged_out = client.post("/logout", data={"next": link})
    assert logged_out.status_code == 303 and location_path(logged_out) == link
    assert 'name="display_name"' in client.get(link).text


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)"])
def test_logging_out_never_leads_to_another_site(client, make_user, login_as, target):
    login_as(make_user())

    response = client.post("/logout", data={"next": target})

    assert location_path(response) == "/"


@pytest.mark.parametrize("token", ["not-a-real-token", "x" * 300])
def test_a_made_up_link_finds_nothing_and_changes_nothing(client, db, token):
    response = client.get(f"/staff-invitation/{token}", headers=ENGLISH)

    assert response.status_code == 400
    assert "This link is not valid." in response.text


def test_an_authority_invites_a_moderator(client, db, district, commission_admin, login_as):
    login_as(commission_admin)

    client.post(
        f"/authorities/{district.id}/manage/staff", data={"email": INVITED, "role": "moderator"}, headers=CHINESE
    )

    (invitation,) = invitations(db)
    assert (invitation.authority_id, invitation.school_id, invitation.role) == (district.id, None, Role.MODERATOR)
    (mail,) = mails_to(db, INVITED)
    assert district.name_zh in mail.subject and "审核员" in mail.subject
    page = client.get(f"/authorities/{district.id}/manage/staff", headers=CHINESE).text
    assert INVITED in page[page.index('id="invitations"') :]
    client.post("/logout")
    client.post(last_link_to(db, INVITED), data=details())
    assert roles_of(db, INVITED) == [("moderator", district.id)]


def test_another_place_s_invitation_is_not_found_from_this_place(
    client, db, school, make_school, commission_admin, login_as
):
    login_as(commission_admin)
    invite(client, school)
    (invitation,) = invitations(db)
    elsewhere = make_school(slug="elsewhere-primary", name_zh="别处小学", name_en="Elsewhere Primary")

    for action in ("resend", "withdraw"):
        response = client.post(staff_url(elsewhere, f"/invitations/{invitation.id}/{action}"))
        assert response.status_code == 404
    assert invitations(db)[0].withdrawn_at is None and len(mails_to(db, INVITED)) == 1


def test_invitations_that_ended_without_an_account_are_forgotten_after_ninety_days(
    db, school, commission_admin, with_app
):
    now = utcnow()
    with with_app():
        for email in ("old-expired@example.org", "old-withdrawn@example.org", "recent@example.org", INVITED):
            services.invite_staff(commission_admin, school, email, Role.BOARD_MEMBER, language="zh")
        db.session.commit()
    old_expired, old_withdrawn, recent, accepted = invitations(db)
    old_expired.expires_at = now - timedelta(days=91)
    old_withdrawn.withdrawn_at = now - timedelta(days=91)
    recent.expires_at = now - timedelta(days=89)
    accepted.expires_at = now - timedelta(days=200)
    accepted.accepted_at = now - timedelta(days=210)
    db.session.flush()

    assert services.forget_old_staff_invitations(now) == 2

    assert [i.email for i in invitations(db)] == ["recent@example.org", INVITED]
    assert db.session.scalar(select(func.count()).select_from(Membership)) >= 1


def test_the_invitation_page_and_mail_read_in_chinese(client, db, school, commission_admin, login_as):
    login_as(commission_admin)

    invite(client, school, headers=CHINESE)

    (mail,) = mails_to(db, INVITED)
    assert school.name_zh in mail.text_body and "14" in mail.text_body
    assert "接受邀请：\n" in mail.text_body  # a Chinese colon before the link
    assert 'lang="zh-CN"' in mail.html_body
    page = client.get(staff_url(school), headers=CHINESE).text
    assert INVITED in page[page.index('id="invitations"') :]
    client.post("/logout")
    opened = client.get(last_link_to(db, INVITED), headers=CHINESE)
    assert opened.status_code == 200 and school.name_zh in opened.text and "You are invited" not in opened.text
