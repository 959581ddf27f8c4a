"""A district's commission admins assign responsible supervisors to its schools (an address
without an account gets an invitation); the school's page names them with the public contact
given for them. Another district's staff find nothing."""

import pytest
from sqlalchemy import select

from portal.accounts.models import Membership, Role, StaffInvitation
from portal.extensions import db
from tests.helpers.account_mail import last_link_to, mails_to
from tests.helpers.pages import ENGLISH, field_error, field_value


def supervisors_url(authority):
    return f"/authorities/{authority.id}/manage/supervisors"


def assignments():
    return list(db.session.scalars(select(Membership).where(Membership.role == Role.SUPERVISOR)))


def test_a_district_admin_assigns_a_supervisor_shown_on_the_school_page(client, login_as, make_user, district, school):
    person = make_user(email="zhou@example.org", display_name="责任督学 周敏")
    login_as(make_user(role="commission_admin", scope=district))

    response = client.post(
        supervisors_url(district),
        data={"school": str(school.id), "email": "zhou@example.org", "public_contact": "区督导室 023-6388 0000"},
    )

    assert response.status_code == 303
    (membership,) = assignments()
    assert (membership.user_id, membership.school_id) == (person.id, school.id)
    page = client.get(f"/schools/{school.slug}").text
    assert "责任督学 周敏" in page and "区督导室 023-6388 0000" in page


def test_a_school_of_another_district_is_refused(client, login_as, make_user, district, other_school):
    make_user(email="zhou@example.org")
    login_as(make_user(role="commission_admin", scope=district))

    response = client.post(
        supervisors_url(district), data={"school": str(other_school.id), "email": "zhou@example.org"}
    )

    assert response.status_code == 422
    assert 'id="school-error"' in response.text
    assert assignments() == []


def test_an_address_without_an_account_gets_an_invitation_and_its_supervisor_comes_with_the_contact(
    client, login_as, make_user, district, school
):
    login_as(make_user(role="commission_admin", scope=district, display_name="区教委管理员"))

    response = client.post(
        supervisors_url(district),
        data={"school": str(school.id), "email": "Zhou@Example.org", "public_contact": "区督导室 023-6388 0000"},
        headers=ENGLISH,
    )

    assert response.status_code == 303
    assert assignments() == []
    (invitation,) = db.session.scalars(select(StaffInvitation)).all()
    assert (invitation.email, invitation.role, invitation.school_id) == ("zhou@example.org", Role.SUPERVISOR, school.id)
    assert invitation.public_contact == "区督导室 023-6388 0000"
    page = client.get(supervisors_url(district), headers=ENGLISH).text
    assert "No account uses zhou@example.org yet, so an invitation was emailed to it" in page
    waiting = page[page.index('id="invitations"') :]
    assert "zhou@example.org" in waiting and school.name_en in waiting
    (mail,) = mails_to(db, "zhou@example.org")
    assert "Responsible supervisor" in mail.text_body

    client.post("/logout")
    client.post(
        last_link_to(db, "zhou@example.org"),
        data={
            "display_name": "责任督学 周敏",
            "password": "a long enough password",
            "confirm": "a long enough password",
        },
    )

    (membership,) = assignments()
    assert membership.school_id == school.id and membership.public_contact == "区督导室 023-6388 0000"
    assert "责任督学 周敏" in client.get(f"/schools/{school.slug}").text


def test_a_supervisor_invitation_is_withdrawn_and_sent_again_from_the_supervisors_page(
    client, login_as, make_user, district, school
):
    login_as(make_user(role="commission_admin", scope=district))
    client.post(supervisors_url(district), data={"school": str(school.id), "email": "zhou@example.org"})
    (invitation,) = db.session.scalars(select(StaffInvitation)).all()

    resent = client.post(f"{supervisors_url(district)}/invitations/{invitation.id}/resend", headers=ENGLISH)
    assert resent.status_code == 303 and len(mails_to(db, "zhou@example.org")) == 2
    withdrawn = client.post(f"{supervisors_url(district)}/invitations/{invitation.id}/withdraw", headers=ENGLISH)

    assert withdrawn.status_code == 303
    page = client.get(supervisors_url(district), headers=ENGLISH).text
    assert "The invitation to zhou@example.org was withdrawn" in page and 'id="invitations"' not in page
    assert db.session.get(StaffInvitation, invitation.id).withdrawn_at is not None


def test_a_supervisor_invitation_is_not_found_from_another_district_or_the_school_s_staff_page(
    client, login_as, make_user, district, other_district, school, city
):
    login_as(make_user(role="commission_admin", scope=district))
    client.post(supervisors_url(district), data={"school": str(school.id), "email": "zhou@example.org"})
    (invitation,) = db.session.scalars(select(StaffInvitation)).all()
    login_as(make_user(role="commission_admin", scope=city))

    assert client.post(f"{supervisors_url(other_district)}/invitations/{invitation.id}/withdraw").status_code == 404
    staff_page = f"/schools/{school.slug}/manage/staff"
    assert client.post(f"{staff_page}/invitations/{invitation.id}/withdraw").status_code == 404
    assert 'id="invitations"' not in client.get(staff_page).text  # a supervisor is not the school's staff
    assert db.session.get(StaffInvitation, invitation.id).withdrawn_at is None


@pytest.mark.parametrize(
    "email, message",
    [("", "Enter the supervisor's email address."), ("not an address", None)],
    ids=["empty", "not-an-address"],
)
def test_a_missing_or_malformed_address_is_refused_beside_the_field(
    client, login_as, make_user, district, school, email, message
):
    login_as(make_user(role="commission_admin", scope=district))

    response = client.post(supervisors_url(district), data={"school": str(school.id), "email": email}, headers=ENGLISH)

    assert response.status_code == 422
    error = field_error(response.text, "email")
    assert error and (message is None or error == message)
    assert field_value(response.text, "email") == email
    assert assignments() == [] and db.session.scalars(select(StaffInvitation)).all() == []


def test_another_districts_admin_does_not_find_the_page(client, login_as, make_user, district, other_district):
    login_as(make_user(role="commission_admin", scope=other_district))

    assert client.get(supervisors_url(district)).status_code == 404


def test_a_supervisor_is_removed(client, login_as, make_user, district, supervisor):
    login_as(make_user(role="commission_admin", scope=district))
    (membership,) = assignments()

    response = client.post(f"{supervisors_url(district)}/{membership.id}/remove")

    assert response.status_code == 303
    assert assignments() == []


def test_another_role_cannot_be_removed_as_a_supervisor(client, login_as, make_user, district, school_admin):
    membership = db.session.scalar(select(Membership).where(Membership.user_id == school_admin.id))
    login_as(make_user(role="commission_admin", scope=district))

    assert client.post(f"{supervisors_url(district)}/{membership.id}/remove").status_code == 404


def test_the_school_page_says_nothing_of_a_supervisor_when_there_is_none(client, school):
    assert 'id="supervisors"' not in client.get(f"/schools/{school.slug}", headers=ENGLISH).text
