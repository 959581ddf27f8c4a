"""`flask portal create-admin`: the first administrator (the demo data: tests/test_cli_demo.py).

The commands commit through db.session; with the `db` fixture those commits only release
savepoints inside the test's transaction, so nothing outlives the test.
"""

import pytest
from sqlalchemy import func, select

from portal.accounts import services
from portal.accounts.models import Membership, Role, User
from portal.audit import AuditEvent
from portal.schools.models import Authority, School


@pytest.fixture
def run(app, db):
    runner = app.test_cli_runner()

    def invoke(*args, input=None):
        return runner.invoke(args=["portal", *args], input=input)

    return invoke


def counts(db):
    return {
        model.__name__: db.session.scalar(select(func.count()).select_from(model))
        for model in (Authority, School, User, Membership, AuditEvent)
    }


def test_create_admin_makes_a_commission_administrator_of_the_top_authority(run, db, city, district):
    result = run(
        "create-admin", "--email", "Chief@Example.org", "--name", "主任", "--password", "a strong admin passphrase"
    )

    assert result.exit_code == 0, result.output
    user = services.find_user_by_email("chief@example.org")
    assert user.display_name == "主任"
    assert services.password_matches(user, "a strong admin passphrase")
    memberships = db.session.scalars(select(Membership).where(Membership.user_id == user.id)).all()
    assert [(m.role, m.authority_id) for m in memberships] == [(Role.COMMISSION_ADMIN, city.id)]
    assert "chief@example.org" in result.output


def test_create_admin_creates_the_city_commission_when_there_is_none(run, db):
    result = run(
        "create-admin", "--email", "chief@example.org", "--name", "主任", "--password", "a strong admin passphrase"
    )

    assert result.exit_code == 0, result.output
    user = services.find_user_by_email("chief@example.org")
    (membership,) = db.session.scalars(select(Membership).where(Membership.user_id == user.id)).all()
    assert membership.role == Role.COMMISSION_ADMIN
    assert membership.authority.parent_id is None


def test_create_admin_for_a_named_authority(run, db, city, district):
    result = run(
        "create-admin", "--email", "district.chief@example.org", "--name", "区主任",
        "--password", "a strong admin passphrase", "--authority", district.name_zh,
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    user = services.find_user_by_email("district.chief@example.org")
    (membership,) = db.session.scalars(select(Membership).where(Membership.user_id == user.id)).all()
    assert membership.authority_id == district.id


def test_create_admin_promotes_an_existing_account_without_changing_its_password(run, db, make_user, city):
    existing = make_user(email="teacher@example.org", password="the teacher's own password")

    result = run(
        "create-admin", "--email", "teacher@example.org", "--name", "ignored", "--password", "another password here"
    )

    assert result.exit_code == 0, result.output
    user = db.session.get(User, existing.id)
    assert services.password_matches(user, "the teacher's own password")
    assert user.display_name == existing.display_name
    roles = db.session.scalars(select(Membership.role).where(Membership.user_id == existing.id)).all()
    assert roles == [Role.COMMISSION_ADMIN]


def test_create_admin_refuses_a_short_password_and_creates_nobody(run, db):
    result = run("create-admin", "--email", "chief@example.org", "--name", "主任", "--password", "short")

    assert result.exit_code != 0
    assert "12" in result.output
    assert services.find_user_by_email("chief@example.org") is None


def test_create_admin_asks_for_what_is_missing(run, db, city):
    result = run(
        "create-admin", input="asked@example.org\n提问者\na strong admin passphrase\na strong admin passphrase\n"
    )

    assert result.exit_code == 0, result.output
    assert services.find_user_by_email("asked@example.org") is not None
