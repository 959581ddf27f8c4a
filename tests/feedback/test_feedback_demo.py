"""The demo data: every school gets feedback in every status; the first school, whose accounts
the demo prints, a full inbox from the demo parent and other demo parents."""

from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from portal.accounts.models import User
from portal.audit import AuditEvent
from portal.feedback.demo import DEMO_SENDERS, seed_feedback
from portal.feedback.models import STEPS, EventKind, Feedback, FeedbackEvent, FeedbackStatus
from portal.schools.models import School
from tests.helpers import factories

PASSWORD = "demo password for tests"


@pytest.fixture(scope="module")
def world(app, module_db):
    """Two schools seeded once for the module (seeding is what takes the time), the first with
    the demo's staff and parent; each test reads it in a savepoint."""
    with app.app_context():
        city = factories.authority(**factories.CITY)
        school = factories.school(factories.authority(**factories.DISTRICT, parent=city), **factories.SCHOOL)
        other_school = factories.school(
            factories.authority(**factories.OTHER_DISTRICT, parent=city), **factories.OTHER_SCHOOL
        )
        people = {
            "parent@example.org": factories.user(
                email="parent@example.org", role="parent", scope=school, display_name="家长 张伟"
            ),
            "board@example.org": factories.user(
                email="board@example.org", role="board_member", scope=school, display_name="校务委员 刘洋"
            ),
            "schooladmin@example.org": factories.user(
                email="schooladmin@example.org", role="school_admin", scope=school, display_name="学校管理员 陈静"
            ),
        }
        seed_feedback([school, other_school], people, password=PASSWORD)
        module_db.session.commit()
        return SimpleNamespace(
            school_id=school.id,
            other_school_id=other_school.id,
            people_ids={email: user.id for email, user in people.items()},
        )


@pytest.fixture
def db(world, savepoint_db):
    return savepoint_db


@pytest.fixture
def school(db, world):
    return db.session.get(School, world.school_id)


@pytest.fixture
def other_school(db, world):
    return db.session.get(School, world.other_school_id)


@pytest.fixture
def people(db, world):
    return {email: db.session.get(User, user_id) for email, user_id in world.people_ids.items()}


def items_of(db, school):
    return db.session.scalars(select(Feedback).where(Feedback.school_id == school.id).order_by(Feedback.id)).all()


def test_first_school_gets_at_least_ten_items_in_every_status(db, school, people):
    items = items_of(db, school)
    for status in STEPS:  # referral to the supervisor is seeded by portal.supervision.demo
        assert sum(item.status == status for item in items) >= 10, status
    parent = people["parent@example.org"]
    assert {item.status for item in items if item.author_id == parent.id} == set(STEPS)
    assert len({item.author_id for item in items}) == 1 + len(DEMO_SENDERS)
    assert any(item.private for item in items) and not all(item.private for item in items)
    assert len({item.body for item in items}) == len(items)  # no two read the same
    text = "".join(item.body for item in items)
    for word in ("食堂", "校车", "收费", "作业"):
        assert word in text


def test_demo_replies_are_public_and_private_and_by_the_demo_staff(db, school, people):
    replies = db.session.scalars(
        select(FeedbackEvent).where(
            FeedbackEvent.kind == EventKind.REPLY, FeedbackEvent.feedback.has(Feedback.school_id == school.id)
        )
    ).all()
    assert {reply.public for reply in replies} == {True, False}
    assert {reply.actor_id for reply in replies} == {
        people["board@example.org"].id,
        people["schooladmin@example.org"].id,
    }
    for item in items_of(db, school):
        if item.status in (FeedbackStatus.ANSWERED, FeedbackStatus.CLOSED):
            assert item.replied_at is not None
        if item.private:
            assert not any(event.public for event in item.events)
        times = [event.created_at for event in item.events]
        assert times == sorted(times) and item.created_at == times[0]


def test_demo_feedback_goes_through_the_services(db, school, people):
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.school_id == school.id)).all()
    assert {"feedback.send", "feedback.status", "feedback.reply"} <= set(actions)


def test_other_schools_get_a_few_items_in_every_status(db, school, other_school, people):
    items = items_of(db, other_school)
    assert 4 <= len(items) <= 12
    assert {item.status for item in items} == set(STEPS)


def test_demo_is_seeded_once_and_the_demo_parents_are_made_once(db, school, other_school, people):
    users = db.session.scalar(select(func.count()).select_from(User))
    feedback = db.session.scalar(select(func.count()).select_from(Feedback))

    seed_feedback([school], people, password=PASSWORD)
    seed_feedback([school, other_school], people, password=PASSWORD)

    assert db.session.scalar(select(func.count()).select_from(User)) == users
    assert db.session.scalar(select(func.count()).select_from(Feedback)) == feedback


def test_demo_parents_can_log_in_with_the_demo_password(client, db, school, people):
    response = client.post("/login", data={"email": DEMO_SENDERS[0][0], "password": PASSWORD})

    assert response.status_code == 303


def test_demo_references_count_up_with_the_date_sent_across_schools(db, school, other_school, people):
    items = db.session.scalars(select(Feedback).order_by(Feedback.created_at, Feedback.id)).all()
    by_year = {}
    for item in items:
        by_year.setdefault(item.year, []).append(item.sequence)
    for sequences in by_year.values():
        assert sequences == sorted(sequences)
