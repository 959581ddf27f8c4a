"""Many people writing at the same moment on the embedded SQLite (a file, as `make run` uses):
every request is answered (no 5xx), and nothing accepted is lost or stored twice.

SQLite has one writer at a time. A request that writes begins its transaction with BEGIN
IMMEDIATE (web.register): it waits for the writer before it (the busy timeout) and then reads what
that one committed, as a row lock makes it on PostgreSQL. Each test sends its writers from threads,
each with its own test client (its own session and connection), released together by a barrier.

The module has an application of its own, on a SQLite file of its own (tests/helpers/own_database),
so that the rows these requests really commit never reach the suite's database.
"""

import threading

import pytest
from sqlalchemy import func, select

from portal import jobs
from portal.accounts import services as account_services
from portal.accounts.models import User
from portal.audit import AuditEvent
from portal.consultations.models import ModerationMode, Response, ResponseState, Tally
from portal.decisions.models import Decision, DecisionStatus
from portal.documents.models import PublicationLogEntry
from portal.documents.services import verify_archive
from portal.extensions import db as _db
from portal.feedback.forms import new_submission_token
from portal.feedback.models import Feedback
from portal.moderation.models import Report
from portal.schools.models import School
from tests.helpers import factories
from tests.helpers.consultations import create_consultation, respond
from tests.helpers.decisions import publishable_drafts
from tests.helpers.own_database import portal_on_own_sqlite
from tests.helpers.pages import PASSWORD, session_id

WRITERS = 50
ENGLISH = {"Accept-Language": "en"}
# Reports that hide a response until a moderator decides: lower than the number of reporters,
# so that some of them find it hidden already.
REPORT_THRESHOLD = 40


@pytest.fixture(scope="module")
def portal_app():
    with portal_on_own_sqlite(PORTAL_REPORT_THRESHOLD=REPORT_THRESHOLD) as (app, _database):
        yield app


@pytest.fixture(scope="module")
def world(portal_app):
    """A district, a school, people (committed): WRITERS parents, two moderators, a board member."""
    with portal_app.app_context():
        district = factories.authority()
        school = factories.school(district)
        parents = [factories.user(role="parent", scope=school) for _ in range(WRITERS)]
        moderators = [factories.user(role="moderator", scope=district) for _ in range(2)]
        board_member = factories.user(role="board_member", scope=school)
        world = {
            "district": district.id,
            "school": school.id,
            "slug": school.slug,
            "parents": [session_id(person) for person in parents],
            "parent_ids": [person.id for person in parents],
            "moderators": [session_id(person) for person in moderators],
            "board_member": session_id(board_member),
        }
        _db.session.remove()
        return world


def at_once(app, requests) -> list[tuple[int, str]]:
    """Send each (session id or None, method, path, data) from a thread of its own, with its own
    client, all released together; returns (status, body) in the order given. An exception (the
    test app propagates them) counts as a 500."""
    answers: list = [None] * len(requests)
    barrier = threading.Barrier(len(requests))

    def send(index, session_id, path, data):
        client = app.test_client()
        if session_id is not None:
            with client.session_transaction() as session:
                session["_user_id"] = session_id
                session["_fresh"] = True
        barrier.wait(timeout=30)
        try:
            answer = client.post(path, data=data, headers=ENGLISH)
            answers[index] = (answer.status_code, answer.get_data(as_text=True))
        except Exception as error:  # noqa: BLE001 - reported by the caller's assertion
            answers[index] = (500, repr(error)[:500])

    threads = [threading.Thread(target=send, args=(i, *request)) for i, request in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return answers


def run_as_workers(app, tasks) -> list:
    """Run each task from a thread of its own as a job worker runs it (jobs.use_app: its own
    session, SQLite's write lock taken at BEGIN), all released together; returns the errors."""
    failures: list = []
    barrier = threading.Barrier(len(tasks))

    def work(task):
        barrier.wait(timeout=30)
        try:
            task.execute()
        except Exception as error:  # noqa: BLE001 - reported by the caller's assertion
            failures.append(repr(error)[:500])

    jobs.use_app(app)
    try:
        threads = [threading.Thread(target=work, args=(task,)) for task in tasks]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    finally:
        jobs.use_app(None)
    return failures


def server_errors(answers) -> list:
    return [(status, body[:300]) for status, body in answers if status is None or status >= 500]


def count(model, *conditions) -> int:
    return _db.session.scalar(select(func.count()).select_from(model).where(*conditions))


def test_fifty_parents_responding_at_once_are_all_stored_and_counted_once(portal_app, world):
    with portal_app.app_context():
        school = _db.session.get(School, world["school"])
        # Published at once: the tallies count every response.
        consultation = create_consultation(school, moderation=ModerationMode.POST)
        consultation_id = consultation.id
        question = consultation.questions[0].id
        _db.session.remove()
    requests = [
        (
            person,
            f"/consultations/{consultation_id}/response",
            {"stance": "support", "body": f"第{n}位家长的意见。", f"answer_{question}": "1"},
        )
        for n, person in enumerate(world["parents"])
    ]

    answers = at_once(portal_app, requests)

    assert server_errors(answers) == []
    assert {status for status, _ in answers} == {303}
    with portal_app.app_context():
        assert count(Response, Response.consultation_id == consultation_id) == WRITERS
        assert count(Response, Response.consultation_id == consultation_id, Response.state == "published") == WRITERS
        tallies = dict(
            _db.session.execute(select(Tally.key, Tally.count).where(Tally.consultation_id == consultation_id)).all()
        )
        assert tallies["published"] == WRITERS and tallies["stance:support"] == WRITERS
        assert tallies[f"choice:{question}:1"] == WRITERS
        _db.session.remove()


def test_fifty_feedback_forms_sent_at_once_each_make_one_item_even_when_sent_twice(portal_app, world):
    """Half the parents press "send" twice (two requests with the same form at the same moment):
    each form makes exactly one item, with a reference of its own."""
    senders = world["parents"][: WRITERS // 2]
    tokens = [new_submission_token() for _ in senders]
    requests = [
        (
            person,
            f"/schools/{world['slug']}/feedback",
            {"category": "teaching", "body": f"第{n}条建议：请增加阅读课。", "submission_token": token},
        )
        for n, (person, token) in enumerate(zip(senders, tokens, strict=True))
    ] * 2

    answers = at_once(portal_app, requests)

    assert server_errors(answers) == []
    assert {status for status, _ in answers} == {303}  # the second press lands on the item the first made
    with portal_app.app_context():
        items = _db.session.scalars(select(Feedback).where(Feedback.submission_token.in_(tokens))).all()
        assert sorted(item.submission_token for item in items) == sorted(tokens)
        assert len({item.reference for item in items}) == len(tokens)
        assert count(AuditEvent, AuditEvent.action == "feedback.send") == len(tokens)
        _db.session.remove()


def test_fifty_registrations_at_once_make_one_account_per_address(portal_app, world):
    """Forty mailed links opened once and five opened twice at the same moment: one account each;
    the second of a pair is told the link has been used."""
    addresses = [f"new-person-{n}@example.org" for n in range(45)]
    with portal_app.app_context():
        links = {address: "/register/complete/" + account_services.registration_token(address) for address in addresses}
    requests = [
        (None, links[address], {"display_name": f"新用户{n}", "password": PASSWORD, "confirm": PASSWORD})
        for n, address in enumerate(addresses + addresses[:5])
    ]

    answers = at_once(portal_app, requests)

    assert server_errors(answers) == []
    statuses = [status for status, _ in answers]
    assert statuses.count(303) == 45 and statuses.count(410) == 5, statuses
    refused = [body for status, body in answers if status == 410]
    assert all("already been used" in body for body in refused)
    with portal_app.app_context():
        assert count(User, User.email.like("new-person-%")) == 45
        _db.session.remove()


def test_fifty_reports_at_once_are_each_stored_and_hide_the_response_once(portal_app, world):
    with portal_app.app_context():
        author = _db.session.get(User, world["parent_ids"][0])
        consultation = create_consultation(_db.session.get(School, world["school"]), questions=[])
        response = respond(consultation, author, publish=True)
        consultation_id, response_id = consultation.id, response.id
        _db.session.remove()
    requests = [
        (person, f"/consultations/{consultation_id}/responses/{response_id}/report", {"reason": "人身攻击。"})
        for person in world["parents"][1:] + world["moderators"][:1]
    ]

    answers = at_once(portal_app, requests)

    assert server_errors(answers) == []
    statuses = [status for status, _ in answers]
    # Until the threshold the report is stored; after it the response is hidden, and a hidden
    # response cannot be reported (404, as for anyone who cannot see it).
    assert statuses.count(303) == REPORT_THRESHOLD and statuses.count(404) == WRITERS - REPORT_THRESHOLD, statuses
    with portal_app.app_context():
        assert count(Report, Report.response_id == response_id) == REPORT_THRESHOLD
        assert _db.session.get(Response, response_id).state == ResponseState.HIDDEN
        hidden = count(AuditEvent, AuditEvent.action == "response.hide", AuditEvent.object_id == response_id)
        assert hidden == 1
        _db.session.remove()


def test_two_moderators_acting_on_twenty_five_responses_at_once_act_once_on_each(portal_app, world):
    """Both moderators publish every one of 25 pending responses at the same moment (50
    requests): each response is published once, by one of them; the other is told (409)."""
    with portal_app.app_context():
        consultation = create_consultation(_db.session.get(School, world["school"]), questions=[])
        authors = [_db.session.get(User, user_id) for user_id in world["parent_ids"][:25]]
        response_ids = [respond(consultation, author).id for author in authors]
        consultation_id = consultation.id
        _db.session.remove()
    requests = [
        (moderator, f"/moderation/responses/{response_id}", {"action": "publish", "expected": "pending"})
        for response_id in response_ids
        for moderator in world["moderators"]
    ]

    answers = at_once(portal_app, requests)

    assert server_errors(answers) == []
    statuses = [status for status, _ in answers]
    assert statuses.count(303) == 25 and statuses.count(409) == 25, statuses
    with portal_app.app_context():
        states = _db.session.scalars(select(Response.state).where(Response.id.in_(response_ids))).all()
        assert set(states) == {ResponseState.PUBLISHED}
        published = count(AuditEvent, AuditEvent.action == "response.publish", AuditEvent.object_id.in_(response_ids))
        assert published == 25
        tally = _db.session.scalar(
            select(Tally.count).where(Tally.consultation_id == consultation_id, Tally.key == "published")
        )
        assert tally == 25
        _db.session.remove()


def test_three_publishers_of_three_drafts_at_once_all_publish_one_after_another(portal_app, world):
    """Each publication renders and signs a PDF (about half a second) in the job worker: here two
    workers take every job at once (as a second worker, or a retry beside a slow first try,
    would), and they take their turn for the write lock, so this test takes a few seconds. Each
    draft is published once, with numbers 1, 2 and 3."""
    with portal_app.app_context():
        draft_ids = [draft.id for draft in publishable_drafts(_db.session.get(School, world["school"]), 3)]
        _db.session.remove()
    requests = [
        (world["board_member"], f"/schools/{world['slug']}/manage/decisions/{draft_id}/publish", {"confirm": "y"})
        for draft_id in draft_ids
    ]

    answers = at_once(portal_app, requests)
    assert server_errors(answers) == []
    assert [status for status, _ in answers] == [303, 303, 303]
    pending = []
    while (task := jobs.huey.dequeue()) is not None:
        pending.append(task)
    assert len(pending) == 3
    failures = run_as_workers(portal_app, pending + pending)
    # A job that waited longer than the busy timeout for the others (each holds the write lock
    # while it renders and signs) fails as a fault, and the queue tries it again later: so here.
    assert all("database is locked" in failure for failure in failures), failures
    if failures:
        assert run_as_workers(portal_app, pending) == []

    with portal_app.app_context():
        published = _db.session.scalars(select(Decision).where(Decision.id.in_(draft_ids))).all()
        assert {decision.status for decision in published} == {DecisionStatus.PUBLISHED}
        assert sorted(decision.number_sequence for decision in published) == [1, 2, 3]
        entries = count(
            PublicationLogEntry,
            PublicationLogEntry.object_type == "decision",
            PublicationLogEntry.object_id.in_(draft_ids),
        )
        assert entries == 3
        assert verify_archive() == []
        _db.session.remove()
