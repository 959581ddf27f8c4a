"""Two moderators act on one response at once, in two real sessions: exactly one action takes
effect, with one audit event, and the second moderator is told who acted first (409). On
PostgreSQL the response's row lock makes the second request wait; on SQLite, which has a single
writer, the second request's transaction begins by taking the write lock (BEGIN IMMEDIATE,
web.register), so it waits for the first to commit and then reads what it did. Both ways nothing
happens twice."""

import threading
import time

from sqlalchemy import func, select, text

from portal.accounts import services as accounts
from portal.accounts.models import Role
from portal.audit import AuditEvent
from portal.consultations import responses as response_services
from portal.consultations.models import Phase, Response, ResponseState, Tally
from portal.extensions import db as _db
from portal.moderation import services as moderation_services
from portal.schools.models import Authority, School, SchoolType
from tests.helpers.consultations import create_consultation
from tests.helpers.pages import session_id


def _committed_item(app) -> dict:
    with app.app_context():
        authority = Authority(name_zh="并发审核区", name_en="Concurrent moderation district")
        _db.session.add(authority)
        _db.session.flush()
        authority.path = f"/{authority.id}/"
        school = School(
            slug="concurrent-moderation",
            name_zh="并发审核学校",
            name_en="Concurrent moderation school",
            authority=authority,
            type=SchoolType.PRIMARY,
        )
        _db.session.add(school)
        _db.session.flush()
        consultation = create_consultation(school, Phase.OPEN)
        people = [
            accounts.register_user(
                email=f"concurrent-{name}@example.org",
                display_name=name,
                password="correct horse battery",
                language=None,
            )
            for name in ("审核甲", "审核乙", "作者")
        ]
        for person in people:
            person.active = True
        for moderator in people[:2]:
            accounts.grant_membership(None, moderator, Role.MODERATOR, authority)
        response = response_services.submit_response(
            people[2], consultation, {"stance": "support", "body": "同意。", "answers": {}, "show_name": False}
        )
        sessions = [session_id(person) for person in people]
        _db.session.commit()
        return {
            "authority": authority.id,
            "school": school.id,
            "consultation": consultation.id,
            "response": response.id,
            "people": [p.id for p in people],
            "sessions": sessions,
        }


def _remove(app, ids):
    with app.app_context():
        for statement in [
            "DELETE FROM audit_event WHERE school_id = :school OR authority_id = :authority"
            " OR actor_id IN (SELECT id FROM user_account WHERE email LIKE 'concurrent-%')"
            " OR (object_type = 'User' AND object_id IN (SELECT id FROM user_account WHERE email LIKE 'concurrent-%'))",
            "DELETE FROM mail WHERE user_id IN (SELECT id FROM user_account WHERE email LIKE 'concurrent-%')",
            "DELETE FROM notification WHERE user_id IN (SELECT id FROM user_account WHERE email LIKE 'concurrent-%')",
            "DELETE FROM consultation_response_version WHERE response_id = :response",
            "DELETE FROM consultation_response WHERE consultation_id = :consultation",
            "DELETE FROM consultation_tally WHERE consultation_id = :consultation",
            "DELETE FROM consultation_question WHERE consultation_id = :consultation",
            "DELETE FROM consultation WHERE id = :consultation",
            "DELETE FROM account_session"
            " WHERE user_id IN (SELECT id FROM user_account WHERE email LIKE 'concurrent-%')",
            "DELETE FROM membership WHERE user_id IN (SELECT id FROM user_account WHERE email LIKE 'concurrent-%')",
            "DELETE FROM user_account WHERE email LIKE 'concurrent-%'",
            "DELETE FROM school WHERE id = :school",
            "DELETE FROM authority WHERE id = :authority",
        ]:
            _db.session.execute(text(statement), ids)
        _db.session.commit()


def test_two_moderators_publishing_one_response_at_once_publish_it_once(app, monkeypatch):
    app.config["WTF_CSRF_ENABLED"] = False
    ids = _committed_item(app)
    publish = moderation_services._publish

    def slow_publish(*args, **kwargs):
        publish(*args, **kwargs)
        time.sleep(0.3)  # hold the lock a while: the other request must wait, not publish too

    monkeypatch.setattr(moderation_services, "_publish", slow_publish)
    barrier = threading.Barrier(2)
    statuses = []

    def act(user_id):
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = user_id
            session["_fresh"] = True
        barrier.wait(timeout=10)
        try:
            answer = client.post(
                f"/moderation/responses/{ids['response']}",
                data={"action": "publish", "expected": "pending"},
                headers={"Accept-Language": "en"},
            )
        except Exception as error:  # noqa: BLE001 - reported by the assertion below (TESTING propagates errors)
            statuses.append((500, repr(error)[:300]))
        else:
            statuses.append((answer.status_code, answer.get_data(as_text=True)))

    threads = [threading.Thread(target=act, args=(user_id,)) for user_id in ids["sessions"][:2]]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        codes = sorted(code for code, _ in statuses)
        assert codes[0] == 303, statuses
        assert codes[1] == 409, statuses
        assert "already published this" in next(body for code, body in statuses if code == 409)
        with app.app_context():
            assert _db.session.get(Response, ids["response"]).state == ResponseState.PUBLISHED
            events = _db.session.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.action == "response.publish", AuditEvent.object_id == ids["response"])
            )
            assert events == 1
            tally = _db.session.scalar(
                select(Tally.count).where(Tally.consultation_id == ids["consultation"], Tally.key == "published")
            )
            assert tally == 1
    finally:
        _remove(app, ids)
