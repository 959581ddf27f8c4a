"""`flask portal seed-demo`: the demo world, seeded once for the module (the longest thing the
suite does), each test reading it in a savepoint of the module's transaction."""

from datetime import UTC

import pytest
from sqlalchemy import func, select

from portal import jobs
from portal.accounts import services
from portal.accounts.models import Membership, Role, User
from portal.audit import AuditEvent
from portal.cli import DEMO_PASSWORD
from portal.consultations.demo import RESPONDERS, VERIFIED_PARENTS
from portal.feedback.demo import DEMO_SENDERS
from portal.schools.models import Authority, School

DEMO_ACCOUNTS = {
    "admin@example.org": (Role.COMMISSION_ADMIN, "重庆市教育委员会"),
    "moderator@example.org": (Role.MODERATOR, "渝中区教育委员会"),
    "schooladmin@example.org": (Role.SCHOOL_ADMIN, "重庆市渝中区解放路小学"),
    "board@example.org": (Role.BOARD_MEMBER, "重庆市渝中区解放路小学"),
    "parent@example.org": (Role.PARENT, "重庆市渝中区解放路小学"),
}


def counts(db):
    return {
        model.__name__: db.session.scalar(select(func.count()).select_from(model))
        for model in (Authority, School, User, Membership, AuditEvent)
    }


@pytest.fixture(scope="module")
def seeding(app, module_db, seed_demo):
    """The counts before and after seeding, and what the command printed. The jobs seeding queued
    are run then, as `make run`'s worker does (the school news fan-out, then the mails)."""
    before = counts(module_db)
    result = seed_demo()
    after = counts(module_db)
    with app.app_context():
        while (task := jobs.huey.dequeue()) is not None:
            task.execute()
    return before, after, result.output


@pytest.fixture
def db(seeding, savepoint_db):
    return savepoint_db


@pytest.fixture
def run(app, db, pdfs_rendered_once_per_run):
    runner = app.test_cli_runner()

    def invoke(*args, input=None):
        return runner.invoke(args=["portal", *args], input=input)

    return invoke


def test_seed_demo_creates_the_demo_world(db, seeding):
    before, after, output = seeding

    assert after["Authority"] - before["Authority"] == 3  # the city and two districts
    assert after["School"] - before["School"] == 4
    # The five demo accounts and the supervisor (of two schools: two memberships), the parents who
    # send demo feedback, and the residents and parents who respond to consultations
    assert after["User"] - before["User"] == 6 + len(DEMO_SENDERS) + len(RESPONDERS)
    assert after["Membership"] - before["Membership"] == 7 + VERIFIED_PARENTS
    for email in [*DEMO_ACCOUNTS, "supervisor@example.org"]:
        assert email in output
    assert DEMO_PASSWORD in output


def test_seed_demo_run_twice_changes_nothing_the_second_time(run, db):
    first = counts(db)

    result = run("seed-demo")

    assert result.exit_code == 0, result.output
    assert counts(db) == first


def test_each_demo_account_holds_its_one_role_in_the_right_place_even_after_a_second_seeding(run, db):
    run("seed-demo")

    for email, (role, scope_name) in DEMO_ACCOUNTS.items():
        user = services.find_user_by_email(email)
        assert user is not None, email
        memberships = db.session.scalars(select(Membership).where(Membership.user_id == user.id)).all()
        assert [(m.role, m.scope.name_zh) for m in memberships] == [(role, scope_name)], email


def test_demo_districts_lie_under_the_city(db):
    city = db.session.scalar(select(Authority).where(Authority.name_zh == "重庆市教育委员会"))
    districts = db.session.scalars(select(Authority).where(Authority.parent_id == city.id)).all()
    assert {d.name_zh for d in districts} == {"渝中区教育委员会", "沙坪坝区教育委员会"}
    assert all(d.path.startswith(city.path) for d in districts)


def test_demo_accounts_can_log_in_with_the_demo_password_and_see_their_role_on_me(client):
    for email in DEMO_ACCOUNTS:
        response = client.post("/login", data={"email": email, "password": DEMO_PASSWORD})
        assert response.status_code == 303, email
        roles = client.get("/me").get_data(as_text=True).split('id="memberships-heading"')[1].split("</section>")[0]
        assert DEMO_ACCOUNTS[email][1] in roles, email
        client.post("/logout")


def test_every_demo_account_finds_read_and_unread_notifications_and_mails_went_out(db):
    """Every demo account finds read and unread notifications, the parent follows a second
    school and the district's consultation, and mails went out (into the outbox)."""
    from portal.notifications.models import Follow, Mail, MailStatus, Notification

    for email in DEMO_ACCOUNTS:
        user = services.find_user_by_email(email)
        read = db.session.scalar(
            select(func.count()).where(Notification.user_id == user.id, Notification.read_at.is_not(None))
        )
        unread = db.session.scalar(
            select(func.count()).where(Notification.user_id == user.id, Notification.read_at.is_(None))
        )
        assert read > 0 and unread > 0, email
    parent = services.find_user_by_email("parent@example.org")
    followed = db.session.execute(
        select(School.slug, Follow.consultation_id).outerjoin(School).where(Follow.user_id == parent.id)
    ).all()
    assert {slug for slug, _consultation in followed if slug} == {"pipashan-middle"}
    assert any(consultation for _slug, consultation in followed)
    assert db.session.scalar(select(func.count()).where(Mail.status == MailStatus.SENT)) > 0


def test_each_demo_decisions_log_leaf_pdf_and_page_say_the_same_moment(db):
    """The demo publishes its decisions back-dated: the log leaf's time is the decision's
    publication time (what its page shows), and its PDF bears that date."""
    from portal import clock
    from portal.decisions.models import Decision
    from portal.decisions.services import _cn_date
    from portal.documents.models import Document
    from portal.transparency import services as transparency
    from tests.helpers.pdfs import pdf_text

    published = db.session.scalars(select(Decision).where(Decision.published_at.is_not(None))).all()
    assert published
    for decision in published:
        leaf = transparency.publication_leaf(f"/decisions/{decision.id}", decision.document_sha256)
        assert leaf is not None, decision.number
        assert _utc(leaf.published_at) == _utc(decision.published_at), decision.number
        document = db.session.scalar(select(Document).where(Document.sha256 == decision.document_sha256))
        day = clock.local_date(_utc(leaf.published_at))
        assert f"印发日期{_cn_date(day)}" in pdf_text(document.content).replace(" ", "").replace("\n", ""), (
            decision.number
        )

    # The other records the demo publishes back-dated: their leaves say the same moment as their pages.
    from portal.charters.models import CharterVersion
    from portal.consultations.models import Consultation
    from portal.meetings.models import Meeting
    from portal.transparency.models import LogLeaf

    leaves = {}  # each record's first leaf: its publication
    for leaf in db.session.scalars(select(LogLeaf).order_by(LogLeaf.leaf_index)):
        leaves.setdefault(leaf.record, _utc(leaf.published_at))
    for version in db.session.scalars(select(CharterVersion).where(CharterVersion.document_sha256.is_not(None))):
        assert clock.local_date(leaves[f"/schools/{version.school.slug}/charter/versions/{version.number}"]) == (
            version.adopted_on
        )
    for meeting in db.session.scalars(select(Meeting).where(Meeting.minutes_document_sha256.is_not(None))):
        assert leaves[f"/meetings/{meeting.id}"] == _utc(meeting.minutes_approved_at)
    for consultation in db.session.scalars(
        select(Consultation).where(Consultation.outcome_document_sha256.is_not(None))
    ):
        assert leaves[f"/consultations/{consultation.id}"] == _utc(consultation.outcome_published_at)


def _utc(moment):
    """SQLite gives back naive UTC datetimes, PostgreSQL aware ones."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
