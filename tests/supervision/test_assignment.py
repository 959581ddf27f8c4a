"""A district's commission admins assign responsible supervisors to its schools; the school's
page names them with the public contact given for them. Another district's staff find nothing."""

from sqlalchemy import select

from portal.accounts.models import Membership, Role
from portal.extensions import db
from tests.helpers.pages import ENGLISH


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


def test_an_unknown_account_is_refused(client, login_as, make_user, district, school):
    login_as(make_user(role="commission_admin", scope=district))

    response = client.post(supervisors_url(district), data={"school": str(school.id), "email": "nobody@example.org"})

    assert response.status_code == 422
    assert 'id="email-error"' in response.text
    assert assignments() == []


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
