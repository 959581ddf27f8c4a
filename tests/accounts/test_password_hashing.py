"""Passwords are hashed with argon2id at OWASP's parameters, and a hash made with other
parameters (argon2-cffi's old defaults) is made again at the next login."""

from argon2 import PasswordHasher, Type, extract_parameters

from portal.accounts import services
from portal.accounts.models import User
from tests.helpers.pages import PASSWORD

EMAIL = "old-hash@example.org"


def test_passwords_are_hashed_with_argon2id_at_owasp_parameters():
    hasher = PasswordHasher(**services.PASSWORD_HASHING)
    parameters = extract_parameters(hasher.hash("a passphrase of some length"))

    assert parameters.type is Type.ID
    assert parameters.memory_cost == 19 * 1024  # KiB
    assert parameters.time_cost == 2
    assert parameters.parallelism == 1


def test_a_hash_with_old_parameters_is_upgraded_when_the_person_logs_in(client, make_user, school, db):
    user = make_user(email=EMAIL, password=PASSWORD, role="parent", scope=school)
    old = PasswordHasher(time_cost=1, memory_cost=2048, parallelism=1, type=Type.I).hash(PASSWORD)
    user.password_hash = old
    db.session.commit()

    response = client.post("/login", data={"email": EMAIL, "password": PASSWORD})

    assert response.status_code == 303
    upgraded = db.session.get(User, user.id).password_hash
    assert upgraded != old
    assert extract_parameters(upgraded) == extract_parameters(services._hasher.hash("x"))
    assert services.password_matches(db.session.get(User, user.id), PASSWORD)


def test_a_wrong_password_leaves_an_old_hash_as_it_is(client, make_user, school, db):
    user = make_user(email=EMAIL, password=PASSWORD, role="parent", scope=school)
    old = PasswordHasher(time_cost=1, memory_cost=2048, parallelism=1).hash(PASSWORD)
    user.password_hash = old
    db.session.commit()

    response = client.post("/login", data={"email": EMAIL, "password": "not the password at all"})

    assert response.status_code == 422
    assert db.session.get(User, user.id).password_hash == old


def test_logging_in_checks_the_password_once_and_before_taking_the_write_lock(
    client, make_user, school, db, monkeypatch
):
    """Checking a password costs tens of milliseconds: on SQLite nobody else's change waits for it."""
    from portal.extensions import sqlite_write_transaction

    make_user(email=EMAIL, password=PASSWORD, role="parent", scope=school)
    db.session.commit()
    checks = []
    real = services.password_matches

    def watched(user, password):
        checks.append(sqlite_write_transaction.get())
        return real(user, password)

    monkeypatch.setattr(services, "password_matches", watched)

    response = client.post("/login", data={"email": EMAIL, "password": PASSWORD})

    assert response.status_code == 303
    assert checks == [False]  # once, while the request only read


def test_a_password_changed_while_the_login_was_checked_is_checked_again(make_user, school, db):
    user = make_user(email=EMAIL, password=PASSWORD, role="parent", scope=school)
    db.session.commit()
    checked = services.check_password(EMAIL, PASSWORD)
    user.password_hash = services.hash_password("a brand new passphrase 2035")  # changed meanwhile
    db.session.flush()

    assert checked.matched
    assert services.authenticate(EMAIL, PASSWORD, checked=checked) is None
    assert services.authenticate(EMAIL, "a brand new passphrase 2035", checked=checked) is user


def test_a_wrong_password_checked_before_the_lock_is_refused_and_audited(make_user, school, db):
    from sqlalchemy import select

    from portal.audit import AuditEvent

    make_user(email=EMAIL, password=PASSWORD, role="parent", scope=school)
    db.session.commit()
    checked = services.check_password(EMAIL, "not the password at all")

    assert services.authenticate(EMAIL, "not the password at all", checked=checked) is None
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.login_failed")) is not None
