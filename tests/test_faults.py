"""Faults answered with the prepared page: when the disk fills, the database goes away, or
SQLite's lock does not clear in time while someone publishes a decision, sends feedback, responds
to a consultation or moderates, they get their own "not done, try again" page (503, Retry-After),
never the generic 500, and nothing is half done. The page keeps what they sent: its "send again"
button, pressed once the fault is gone, does it.

The faults are injected where they really happen: at a write statement, at the commit, and (for
the lock) by another connection really holding SQLite's write lock,
longer than this module's short busy timeout. The module has an application of its own on a
SQLite file (tests/helpers/own_database): the requests really commit.
"""

import re
import sqlite3
from contextlib import contextmanager
from html.parser import HTMLParser

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from portal import jobs
from portal.accounts import services as account_services
from portal.audit import AuditEvent
from portal.consultations.models import ModerationMode, Response, ResponseState, Tally
from portal.decisions.models import Decision, DecisionStatus
from portal.documents import signing
from portal.documents.models import Document, PublicationLogEntry
from portal.extensions import db as _db
from portal.feedback.forms import new_submission_token
from portal.feedback.models import Feedback
from portal.schools.models import School
from tests.helpers import factories
from tests.helpers.consultations import create_consultation, respond
from tests.helpers.decisions import publishable_drafts
from tests.helpers.own_database import portal_on_own_sqlite
from tests.helpers.pages import ENGLISH, HTMX, PASSWORD, field_error, heading, session_id

BUSY_SECONDS = 0.3  # how long a writer waits for the lock here: a lock held longer "does not clear"


@pytest.fixture(scope="module")
def portal():
    with portal_on_own_sqlite(PORTAL_SQLITE_BUSY_SECONDS=BUSY_SECONDS) as (app, database):
        with app.app_context():
            district = factories.authority()
            school = factories.school(district)
            people = {
                "parent": factories.user(role="parent", scope=school),
                "moderator": factories.user(role="moderator", scope=district),
                "board_member": factories.user(role="board_member", scope=school),
            }
            world = {"school": school.id, "slug": school.slug, **{k: session_id(v) for k, v in people.items()}}
            _db.session.remove()
        yield app, database, world


def count(model, *conditions) -> int:
    return _db.session.scalar(select(func.count()).select_from(model).where(*conditions))


def logged_in(app, session_id: str):
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = session_id
        session["_fresh"] = True
    return client


# --- the four paths: what is posted, the page's words, and what must not be half done ---------


class Publishing:
    title = "Nothing was published"
    words = "nothing was published: the draft is unchanged and no number was used"
    user = "board_member"

    def prepare(self, world):
        draft = publishable_drafts(_db.session.get(School, world["school"]), 1)[0]
        self.decision_id = draft.id
        return f"/schools/{world['slug']}/manage/decisions/{draft.id}/publish", {"confirm": "y"}

    def unchanged(self):
        decision = _db.session.get(Decision, self.decision_id)
        assert decision.status == DecisionStatus.DRAFT and decision.number is None
        assert decision.document_sha256 is None and decision.publishing_key is None  # not even asked for
        assert count(PublicationLogEntry, PublicationLogEntry.object_id == self.decision_id) == 0
        assert count(AuditEvent, AuditEvent.action == "decision.publish", AuditEvent.object_id == self.decision_id) == 0

    def done(self):
        # The request asked for it; the job worker publishes it (a fault there is the queue's to
        # retry: tests/decisions/test_decision_drafting.py).
        while (task := jobs.huey.dequeue()) is not None:
            task.execute()
        decision = _db.session.get(Decision, self.decision_id)
        assert decision.status == DecisionStatus.PUBLISHED and decision.number
        assert count(Document, Document.sha256 == decision.document_sha256) == 1
        assert count(PublicationLogEntry, PublicationLogEntry.object_id == self.decision_id) == 1


class SendingFeedback:
    title = "Your feedback was not sent"
    words = "so the school has not received it"
    user = "parent"

    def prepare(self, world):
        self.token = new_submission_token()
        self.sent_before = count(Feedback)
        body = {"category": "canteen", "body": "食堂的饭菜太咸了，请少放盐。", "submission_token": self.token}
        return f"/schools/{world['slug']}/feedback", body

    def unchanged(self):
        assert count(Feedback) == self.sent_before
        assert count(AuditEvent, AuditEvent.action == "feedback.send") == self.sent_before

    def done(self):
        item = _db.session.scalar(select(Feedback).where(Feedback.submission_token == self.token))
        assert item.body == "食堂的饭菜太咸了，请少放盐。"  # what was typed, sent again from the page


class Responding:
    title = "Your response was not saved"
    words = "so it has not been received"
    user = "parent"

    def prepare(self, world):
        school = _db.session.get(School, world["school"])
        consultation = create_consultation(school, questions=[], moderation=ModerationMode.POST)
        self.consultation_id = consultation.id
        return f"/consultations/{consultation.id}/response", {"stance": "oppose", "body": "不同意延长。"}

    def unchanged(self):
        assert count(Response, Response.consultation_id == self.consultation_id) == 0
        assert count(Tally, Tally.consultation_id == self.consultation_id, Tally.count != 0) == 0

    def done(self):
        response = _db.session.scalar(select(Response).where(Response.consultation_id == self.consultation_id))
        assert response.body == "不同意延长。" and response.state == ResponseState.PUBLISHED
        tally = _db.session.get(Tally, (self.consultation_id, "published"))
        assert tally.count == 1


class Moderating:
    title = "Nothing was changed"
    words = "could not record this moderation action, so the item is as it was"
    user = "moderator"

    def prepare(self, world):
        school = _db.session.get(School, world["school"])
        consultation = create_consultation(school, questions=[])
        author = factories.user()
        self.response_id = respond(consultation, author).id
        self.consultation_id = consultation.id
        return f"/moderation/responses/{self.response_id}", {"action": "publish", "expected": "pending"}

    def unchanged(self):
        assert _db.session.get(Response, self.response_id).state == ResponseState.PENDING
        assert count(AuditEvent, AuditEvent.action == "response.publish", AuditEvent.object_id == self.response_id) == 0
        tally = _db.session.get(Tally, (self.consultation_id, "published"))
        assert tally is None or tally.count == 0

    def done(self):
        assert _db.session.get(Response, self.response_id).state == ResponseState.PUBLISHED


PATHS = {"publish": Publishing, "feedback": SendingFeedback, "response": Responding, "moderation": Moderating}


# --- the faults ----------------------------------------------------------------------------


def _sqlite_error(message: str) -> OperationalError:
    return OperationalError("INSERT …", {}, sqlite3.OperationalError(message))


@contextmanager
def fails_at_a_write(app, message):
    """The first INSERT, UPDATE or DELETE fails as SQLite fails it (after the reads went well)."""

    def refuse(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")):
            raise _sqlite_error(message)

    with app.app_context():
        engine = _db.engine
    event.listen(engine, "before_cursor_execute", refuse)
    try:
        yield
    finally:
        event.remove(engine, "before_cursor_execute", refuse)


@contextmanager
def fails_at_commit(app, message):
    """Everything was written; the commit fails."""

    def refuse(session):
        raise _sqlite_error(message)

    event.listen(Session, "before_commit", refuse)
    try:
        yield
    finally:
        event.remove(Session, "before_commit", refuse)


@contextmanager
def lock_held(database):
    """Another connection holds SQLite's write lock for longer than the busy timeout."""
    holder = sqlite3.connect(database, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        holder.execute("ROLLBACK")
        holder.close()


FAULTS = {
    "disk full at a write": (lambda app, db, mp: fails_at_a_write(app, "database or disk is full"), "30"),
    "disk full at the commit": (lambda app, db, mp: fails_at_commit(app, "database or disk is full"), "30"),
    "database gone": (lambda app, db, mp: fails_at_a_write(app, "unable to open database file"), "30"),
    "lock not cleared": (lambda app, db, mp: lock_held(db), "5"),
}
CASES = [(path, fault) for path in PATHS for fault in FAULTS]


class _SendAgainForm(HTMLParser):
    """The "send again" form of the page: its action and hidden fields."""

    def __init__(self):
        super().__init__()
        self.action, self.fields, self._inside = None, [], False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and "send-again" in (attrs.get("class") or ""):
            self.action, self._inside = attrs["action"], True
        elif tag == "input" and self._inside and attrs.get("type") == "hidden":
            self.fields.append((attrs["name"], attrs.get("value", "")))

    def handle_endtag(self, tag):
        if tag == "form":
            self._inside = False


def send_again_form(page: str):
    parser = _SendAgainForm()
    parser.feed(page)
    return parser.action, parser.fields


@pytest.mark.parametrize(("path", "fault"), CASES)
def test_a_fault_shows_the_paths_own_page_changes_nothing_and_sending_again_does_it(portal, monkeypatch, path, fault):
    app, database, world = portal
    case = PATHS[path]()
    with app.app_context():
        address, data = case.prepare(world)
        _db.session.remove()
    client = logged_in(app, world[case.user])
    injected, retry_after = FAULTS[fault]

    with injected(app, database, monkeypatch):
        answer = client.post(address, data=data, headers=ENGLISH)

    page = answer.get_data(as_text=True)
    assert answer.status_code == 503
    assert answer.headers["Retry-After"] == retry_after
    assert heading(page) == case.title
    assert case.words in re.sub(r"\s+", " ", page)
    with app.app_context():
        case.unchanged()
        _db.session.remove()

    action, fields = send_again_form(page)
    assert action == address and dict(fields).items() >= {k: v for k, v in data.items()}.items()
    again = client.post(action, data=MultiDict(fields), headers=ENGLISH)

    assert again.status_code == 303
    with app.app_context():
        case.done()
        _db.session.remove()


def test_htmx_gets_the_message_for_its_alert_and_the_form_stays_as_typed(portal):
    app, database, world = portal
    case = SendingFeedback()
    with app.app_context():
        address, data = case.prepare(world)
        _db.session.remove()
    client = logged_in(app, world["parent"])

    with lock_held(database):
        answer = client.post(address, data=data, headers={**ENGLISH, **HTMX})

    fragment = answer.get_data(as_text=True)
    assert answer.status_code == 503 and answer.headers["Retry-After"] == "5"
    assert "<html" not in fragment  # htmx does not swap it; portal.js shows its [data-problem] in the alert
    assert re.search(r"<p data-problem>[^<]*so the school has not received it", fragment)


def test_registering_during_a_fault_says_so_without_writing_the_password_into_the_page(portal):
    app, database, world = portal
    client = app.test_client()
    with app.app_context():
        link = "/register/complete/" + account_services.registration_token("fault-new@example.org")
    data = {"display_name": "新用户", "password": PASSWORD, "confirm": PASSWORD}

    with lock_held(database):
        asked = client.post("/register", data={"email": "fault-asks@example.org"}, headers=ENGLISH)
        answer = client.post(link, data=data, headers=ENGLISH)

    assert asked.status_code == 503 and heading(asked.get_data(as_text=True)) == "No email was sent"
    page = answer.get_data(as_text=True)
    assert answer.status_code == 503 and heading(page) == "Your account was not created"
    assert PASSWORD not in page and "send-again" not in page  # typed again, never echoed
    assert client.post(link, data=data).status_code == 303


def test_pages_are_read_while_a_writer_holds_the_lock(portal):
    """Readers never wait for the writer (WAL): a page is shown while the lock is held."""
    app, database, world = portal

    with lock_held(database):
        answer = app.test_client().get("/schools", headers=ENGLISH)

    assert answer.status_code == 200


def test_a_change_without_words_of_its_own_gets_the_general_unavailable_page(portal):
    app, database, world = portal
    client = logged_in(app, world["parent"])

    with lock_held(database):
        answer = client.post("/me/profile", data={"display_name": "新名字", "language": "zh"}, headers=ENGLISH)

    page = answer.get_data(as_text=True)
    assert answer.status_code == 503 and answer.headers["Retry-After"] == "5"
    assert heading(page) == "Temporarily unavailable" and "send-again" not in page


def test_a_post_that_only_reads_does_not_wait_for_the_writer(portal):
    """The email check while registering (htmx) and /verify change nothing in the database: they
    are answered while another connection holds the write lock. (Logging out writes: the server
    forgets the session, so a copied cookie opens nothing.)"""
    app, database, world = portal
    client = app.test_client()

    with lock_held(database):
        check = client.post("/register/email", data={"email": "someone@example.org"}, headers={**ENGLISH, **HTMX})
        verify = client.post("/verify", data={"sha256": "0" * 64}, headers=ENGLISH)

    assert check.status_code == 200 and verify.status_code == 200


def test_a_fault_after_the_commit_does_not_say_the_feedback_was_not_sent(portal, monkeypatch):
    """The item is stored; the database goes away while the answer is being made. The page is the
    general one (no "not sent", no button that would send it twice)."""
    from portal.feedback import views as feedback_views

    app, database, world = portal
    case = SendingFeedback()
    with app.app_context():
        address, data = case.prepare(world)
        _db.session.remove()

    def gone(*args, **kwargs):
        raise _sqlite_error("disk I/O error")

    monkeypatch.setattr(feedback_views, "flash", gone)  # called right after the commit
    answer = logged_in(app, world["parent"]).post(address, data=data, headers=ENGLISH)

    page = answer.get_data(as_text=True)
    assert answer.status_code == 503 and heading(page) == "Temporarily unavailable"
    assert "send-again" not in page
    with app.app_context():
        case.done()
        _db.session.remove()


def test_a_missing_file_is_a_bug_not_a_fault_and_gets_the_500_page(portal, monkeypatch):
    from portal.feedback import services as feedback_services

    app, database, world = portal
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)  # the page a person would see
    case = SendingFeedback()
    with app.app_context():
        address, data = case.prepare(world)
        _db.session.remove()

    def missing(*args, **kwargs):
        raise FileNotFoundError(2, "No such file or directory", "template.txt")

    monkeypatch.setattr(feedback_services, "send_feedback", missing)
    answer = logged_in(app, world["parent"]).post(address, data=data, headers=ENGLISH)

    assert answer.status_code == 500 and "Retry-After" not in answer.headers
    assert heading(answer.get_data(as_text=True)) == "Something went wrong"


def test_a_pdf_that_cannot_be_made_for_another_reason_keeps_the_publish_forms_own_message(portal, monkeypatch):
    """Not a fault that passes (a key missing): the job gives up at once, and the draft's publish
    form says the PDF could not be made and to tell the administrators if it happens again;
    nothing is published."""
    app, database, world = portal
    case = Publishing()
    with app.app_context():
        address, data = case.prepare(world)
        _db.session.remove()

    def missing(*args, **kwargs):
        raise FileNotFoundError(2, "No such file or directory", "signing-key.pem")

    monkeypatch.setattr(signing, "sign_pdf", missing)
    client = logged_in(app, world["board_member"])
    asked = client.post(address, data=data, headers=ENGLISH)
    with app.app_context():
        while (task := jobs.huey.dequeue()) is not None:
            task.execute()
        _db.session.remove()
    answer = client.get(address.removesuffix("/publish"), headers=ENGLISH)

    assert asked.status_code == 303
    assert "if it happens again, tell the portal's administrators" in field_error(answer.text, "confirm")
    with app.app_context():
        case.unchanged()
        _db.session.remove()
