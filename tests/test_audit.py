"""The audit trail: what is recorded, and that nobody can change or delete it through the ORM."""

import pytest
from sqlalchemy import delete, select, update

from portal import audit
from portal.accounts import services
from portal.accounts.models import Role, User
from portal.audit import AuditEvent, AuditLogIsAppendOnly
from tests.helpers.pages import PASSWORD


def events(db, action, **where):
    query = select(AuditEvent).where(AuditEvent.action == action)
    for column, value in where.items():
        query = query.where(getattr(AuditEvent, column) == value)
    return db.session.scalars(query.order_by(AuditEvent.id)).all()


def test_registration_is_recorded(client, db, with_app):
    with with_app():
        link = "/register/complete/" + services.registration_token("audited@example.org")
    client.post(link, data={"display_name": "某人", "password": "long enough pass", "confirm": "long enough pass"})

    user = db.session.scalar(select(User).where(User.email == "audited@example.org"))
    (event,) = events(db, "user.register", object_id=user.id)
    assert event.actor_id == user.id
    assert event.object_type == "User"
    assert event.ip_address == "127.0.0.1"
    assert event.created_at is not None


def test_refused_registration_records_nothing(client, db, with_app):
    with with_app():
        link = "/register/complete/" + services.registration_token("audited@example.org")
    client.post(link, data={"display_name": "某人", "password": "short", "confirm": "short"})

    assert events(db, "user.register") == []


def test_failed_login_for_an_account_is_recorded(client, db, make_user):
    user = make_user(email="target@example.org", password=PASSWORD)

    client.post("/login", data={"email": "Target@Example.org", "password": "a wrong guess!!"})

    (event,) = events(db, "user.login_failed", object_id=user.id)
    assert event.actor_id == user.id
    assert event.data["email"] == "target@example.org"
    assert event.data["reason"] == "credentials"
    assert event.ip_address == "127.0.0.1"
    assert "a wrong guess!!" not in str(event.data)  # the password tried is never kept


def test_failed_login_for_an_unknown_email_is_recorded_without_an_account(client, db):
    client.post("/login", data={"email": "nobody@example.org", "password": "a wrong guess!!"})

    (event,) = [e for e in events(db, "user.login_failed") if e.data.get("email") == "nobody@example.org"]
    assert event.actor_id is None
    assert event.object_id is None


def test_login_attempt_on_an_inactive_account_is_recorded_as_such(client, db, make_user):
    user = make_user(email="blocked@example.org", password=PASSWORD, active=False)

    client.post("/login", data={"email": "blocked@example.org", "password": PASSWORD})

    (event,) = events(db, "user.login_failed", object_id=user.id)
    assert event.data["reason"] == "inactive"


def test_successful_login_records_no_failure(client, db, make_user):
    make_user(email="fine@example.org", password=PASSWORD)

    client.post("/login", data={"email": "fine@example.org", "password": PASSWORD})

    assert events(db, "user.login_failed") == []


def test_membership_grant_is_recorded_with_who_granted_what_where(db, make_user, school):
    admin = make_user(role="school_admin", scope=school)
    member = make_user()

    membership = services.grant_membership(admin, member, Role.BOARD_MEMBER, school)
    db.session.commit()

    (event,) = events(db, "membership.grant", object_id=membership.id)
    assert event.actor_id == admin.id
    assert event.object_type == "Membership"
    assert event.school_id == school.id
    assert event.data == {"user_id": member.id, "role": "board_member"}


def test_granting_a_role_held_already_records_nothing_new(db, make_user, school):
    member = make_user(role="parent", scope=school)
    before = len(events(db, "membership.grant"))

    services.grant_membership(None, member, Role.PARENT, school)
    db.session.commit()

    assert len(events(db, "membership.grant")) == before


def test_authority_membership_grant_is_recorded_in_the_authority(db, make_user, district):
    moderator = make_user(role="moderator", scope=district)

    (event,) = [e for e in events(db, "membership.grant") if e.data["user_id"] == moderator.id]
    assert event.authority_id == district.id
    assert event.school_id is None


def test_making_invitation_codes_is_recorded(client, db, make_user, login_as, school):
    admin = login_as(make_user(role="school_admin", scope=school))

    client.post(f"/schools/{school.slug}/manage/invitations", data={"count": "4", "valid_days": "10", "note": "一班"})

    (event,) = events(db, "invitation.create", school_id=school.id)
    assert event.actor_id == admin.id
    assert event.data == {"count": 4, "valid_days": 10, "note": "一班"}


def test_using_an_invitation_code_is_recorded_with_the_membership_it_gave(client, db, make_user, login_as, school):
    admin = make_user(role="school_admin", scope=school)
    ((invitation, code),) = services.create_invitations(admin, school, count=1, valid_days=5)
    db.session.commit()
    parent = login_as(make_user())

    client.post("/me/invitation", data={"code": code})

    (redeemed,) = events(db, "invitation.redeem", actor_id=parent.id)
    assert redeemed.object_type == "Invitation"
    assert redeemed.object_id == invitation.id
    assert redeemed.school_id == school.id
    (granted,) = events(db, "membership.grant", actor_id=parent.id)
    assert granted.data == {"user_id": parent.id, "role": "parent"}
    assert granted.school_id == school.id


def test_refused_invitation_code_records_nothing(client, db, make_user, login_as):
    login_as(make_user())

    client.post("/me/invitation", data={"code": "ABCDE-FGHJK"})

    assert events(db, "invitation.redeem") == []


def test_password_change_is_recorded(client, db, make_user, login_as):
    user = login_as(make_user())

    client.post(
        "/me/password",
        data={"current_password": PASSWORD, "new_password": "another long pass", "confirm": "another long pass"},
    )

    (event,) = events(db, "user.password_change", object_id=user.id)
    assert event.actor_id == user.id
    assert "another long pass" not in str(event.data)


def test_wrong_current_password_records_no_change(client, db, make_user, login_as):
    login_as(make_user())

    client.post(
        "/me/password",
        data={"current_password": "wrong!", "new_password": "another long pass", "confirm": "another long pass"},
    )

    assert events(db, "user.password_change") == []


def test_an_event_is_saved_or_rolled_back_with_the_change_it_describes(db):
    audit.record(None, "test.rolled_back")
    db.session.rollback()

    assert events(db, "test.rolled_back") == []

    audit.record(None, "test.committed", note="kept")
    db.session.commit()

    (event,) = events(db, "test.committed")
    assert event.data == {"note": "kept"}


# Append-only


@pytest.fixture
def saved_event(db):
    event = audit.record(None, "test.saved", note="original")
    db.session.commit()
    return event.id


def reload(db, event_id):
    db.session.expire_all()
    return db.session.get(AuditEvent, event_id)


def test_changing_an_audit_event_is_refused(db, saved_event):
    event = db.session.get(AuditEvent, saved_event)
    event.action = "test.tampered"

    with pytest.raises(AuditLogIsAppendOnly):
        db.session.commit()
    db.session.rollback()

    assert reload(db, saved_event).action == "test.saved"


def test_changing_the_data_of_an_audit_event_is_refused(db, saved_event):
    event = db.session.get(AuditEvent, saved_event)
    event.data = {"note": "rewritten"}

    with pytest.raises(AuditLogIsAppendOnly):
        db.session.flush()
    db.session.rollback()

    assert reload(db, saved_event).data == {"note": "original"}


def test_deleting_an_audit_event_is_refused(db, saved_event):
    db.session.delete(db.session.get(AuditEvent, saved_event))

    with pytest.raises(AuditLogIsAppendOnly):
        db.session.commit()
    db.session.rollback()

    assert reload(db, saved_event) is not None


def test_bulk_update_of_audit_events_is_refused(db, saved_event):
    with pytest.raises(AuditLogIsAppendOnly):
        db.session.execute(update(AuditEvent).where(AuditEvent.id == saved_event).values(action="test.tampered"))
    db.session.rollback()

    assert reload(db, saved_event).action == "test.saved"


def test_bulk_delete_of_audit_events_is_refused(db, saved_event):
    with pytest.raises(AuditLogIsAppendOnly):
        db.session.execute(delete(AuditEvent))
    db.session.rollback()

    assert reload(db, saved_event) is not None


def test_legacy_query_update_and_delete_of_audit_events_are_refused(db, saved_event):
    with pytest.raises(AuditLogIsAppendOnly):
        db.session.query(AuditEvent).filter(AuditEvent.id == saved_event).update({"action": "test.tampered"})
    db.session.rollback()
    with pytest.raises(AuditLogIsAppendOnly):
        db.session.query(AuditEvent).delete()
    db.session.rollback()

    assert reload(db, saved_event).action == "test.saved"


def test_update_and_delete_naming_the_audit_table_are_refused(db, saved_event):
    table = AuditEvent.__table__
    with pytest.raises(AuditLogIsAppendOnly):
        db.session.execute(update(table).where(table.c.id == saved_event).values(action="test.tampered"))
    db.session.rollback()
    with pytest.raises(AuditLogIsAppendOnly):
        db.session.execute(delete(table).where(table.c.id == saved_event))
    db.session.rollback()

    assert reload(db, saved_event).action == "test.saved"


def test_bulk_changes_to_other_tables_still_work(db, make_user):
    user = make_user(display_name="旧名字")

    db.session.execute(update(User).where(User.id == user.id).values(display_name="新名字"))
    db.session.commit()

    assert db.session.scalar(select(User.display_name).where(User.id == user.id)) == "新名字"
