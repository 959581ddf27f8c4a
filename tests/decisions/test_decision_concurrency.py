"""Two publish requests for one draft at once, in two real transactions: exactly one publication,
one number, one log entry. On PostgreSQL the draft's row lock makes the second wait and then see
the decision published; SQLite has a single writer, so the second transaction fails instead.
Both ways the record is whole and nothing is published twice."""

import threading
import time
from datetime import UTC, date, datetime

from sqlalchemy import func, select, text

from portal import jobs
from portal.decisions import services
from portal.decisions.models import Decision, DecisionStatus
from portal.documents.models import PublicationLogEntry
from portal.documents.services import verify_archive
from portal.domain import DomainError
from portal.extensions import db as _db
from portal.meetings import services as meetings
from portal.meetings.models import BodyKind, Constituency, Position
from portal.schools.models import Authority, School, SchoolType


def _committed_draft(app) -> tuple[int, int, int]:
    """A school with a board, a past meeting (3 present) and a draft, really committed.
    Returns (authority id, school id, decision id)."""
    with app.app_context():
        authority = Authority(name_zh="并发测试区", name_en="Concurrency district")
        _db.session.add(authority)
        _db.session.flush()
        authority.path = f"/{authority.id}"
        school = School(
            slug="concurrency-school",
            name_zh="并发测试学校",
            name_en="Concurrency school",
            authority=authority,
            type=SchoolType.PRIMARY,
        )
        _db.session.add(school)
        _db.session.flush()
        body = meetings.create_body(
            None, school, {"kind": BodyKind.SCHOOL_BOARD, "name": "校务委员会", "description": ""}
        )
        members = [
            meetings.add_member(
                None,
                body,
                {
                    "name": name,
                    "position": Position.MEMBER,
                    "constituency": Constituency.TEACHER,
                    "term_start": date(2024, 9, 1),
                    "term_end": None,
                    "account_email": None,
                },
            )
            for name in ("甲", "乙", "丙")
        ]
        meeting = meetings.create_meeting(
            None,
            school,
            {
                "body_id": body.id,
                "title": "会议",
                "starts_at": datetime(2026, 3, 2, 7, 30, tzinfo=UTC),
                "place": "",
            },
        )
        meetings.record_attendance(None, meeting, {member.id: True for member in members})
        decision = services.create_draft(
            None,
            school,
            {
                "title": "关于并发的决定",
                "body": "正文。",
                "meeting_id": meeting.id,
                "votes_for": 3,
                "votes_against": 0,
                "votes_abstain": 0,
            },
        )
        _db.session.commit()
        return authority.id, school.id, decision.id


def _certificates(app) -> set[str]:
    with app.app_context():
        return set(_db.session.scalars(text("SELECT sha256 FROM signing_certificate")))


def _remove(app, authority_id, school_id, certificates_before: set[str]):
    """These rows were really committed: remove them behind the ORM's back (the archive and the
    audit log refuse deletes through the ORM). The certificate the publication stored goes too:
    left behind, it was a certificate the next module's tests had never signed with."""
    with app.app_context():
        for sha256 in _certificates(app) - certificates_before:
            _db.session.execute(text("DELETE FROM signing_certificate WHERE sha256 = :sha256"), {"sha256": sha256})
        ids = {"school": school_id}
        statements = [
            # The transparency log holds only these publications' leaves: the other tests roll back.
            "DELETE FROM log_cosignature",
            "DELETE FROM log_checkpoint",
            "DELETE FROM log_node",
            "DELETE FROM log_leaf",
            "DELETE FROM publication_log_entry WHERE object_type = 'decision'"
            " AND object_id IN (SELECT id FROM decision WHERE school_id = :school)",
            "DELETE FROM decision WHERE school_id = :school",
            "DELETE FROM document WHERE sha256 NOT IN (SELECT document_sha256 FROM publication_log_entry)"
            " AND sha256 NOT IN (SELECT document_sha256 FROM decision WHERE document_sha256 IS NOT NULL)"
            " AND sha256 NOT IN (SELECT document_sha256 FROM charter_version WHERE document_sha256 IS NOT NULL)"
            " AND sha256 NOT IN"
            " (SELECT minutes_document_sha256 FROM meeting WHERE minutes_document_sha256 IS NOT NULL)",
            "DELETE FROM attendance WHERE meeting_id IN (SELECT id FROM meeting WHERE school_id = :school)",
            "DELETE FROM meeting WHERE school_id = :school",
            "DELETE FROM body_member WHERE body_id IN (SELECT id FROM governing_body WHERE school_id = :school)",
            "DELETE FROM governing_body WHERE school_id = :school",
            "DELETE FROM audit_event WHERE school_id = :school",
            "DELETE FROM school WHERE id = :school",
        ]
        for statement in statements:
            _db.session.execute(text(statement), ids)
        _db.session.execute(text("DELETE FROM authority WHERE id = :authority"), {"authority": authority_id})
        _db.session.commit()


def test_two_publish_requests_for_one_draft_publish_it_once(app):
    certificates = _certificates(app)
    authority_id, school_id, decision_id = _committed_draft(app)
    barrier = threading.Barrier(2)
    outcomes = []

    def publish():
        with app.app_context():
            try:
                school = _db.session.get(School, school_id)
                barrier.wait(timeout=10)
                decision = services.decision_in_school(school, decision_id, for_update=True)
                services.publish_decision(None, decision)
                time.sleep(0.3)  # hold the lock a while: the other request must wait, not publish too
                _db.session.commit()
                outcomes.append("published")
            except DomainError as error:
                _db.session.rollback()
                outcomes.append(error.reason)
            except Exception as error:  # noqa: BLE001 - SQLite: "database is locked" for the second writer
                _db.session.rollback()
                outcomes.append(type(error).__name__)

    threads = [threading.Thread(target=publish) for _ in range(2)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert outcomes.count("published") == 1, outcomes
        with app.app_context():
            decision = _db.session.get(Decision, decision_id)
            assert decision.status == DecisionStatus.PUBLISHED and decision.number_sequence == 1
            entries = _db.session.scalar(
                select(func.count())
                .select_from(PublicationLogEntry)
                .where(PublicationLogEntry.object_type == "decision", PublicationLogEntry.object_id == decision_id)
            )
            assert entries == 1
            assert verify_archive() == []
    finally:
        _remove(app, authority_id, school_id, certificates)


def test_two_workers_running_the_publishing_job_of_one_draft_at_once_publish_it_once(app):
    """The job is taken by two workers at once (or retried beside a slow first try): as a worker
    runs it (jobs.use_app: its own session; SQLite's write lock at BEGIN, the draft's row lock on
    PostgreSQL), the second waits for the first and then finds the decision published."""
    certificates = _certificates(app)
    authority_id, school_id, decision_id = _committed_draft(app)
    with app.app_context():
        services.request_publication(None, _db.session.get(Decision, decision_id))
        _db.session.commit()  # enqueues the job
        _db.session.remove()
    job = jobs.huey.dequeue()
    assert job is not None and job.name.endswith("publish_requested_decision")
    barrier = threading.Barrier(2)
    failures = []

    def work():
        barrier.wait(timeout=10)
        try:
            job.execute()
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            failures.append(repr(error))

    jobs.use_app(app)
    threads = [threading.Thread(target=work) for _ in range(2)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert failures == []
        with app.app_context():
            decision = _db.session.get(Decision, decision_id)
            assert decision.status == DecisionStatus.PUBLISHED and decision.number_sequence == 1
            entries = _db.session.scalar(
                select(func.count())
                .select_from(PublicationLogEntry)
                .where(PublicationLogEntry.object_type == "decision", PublicationLogEntry.object_id == decision_id)
            )
            assert entries == 1
            assert verify_archive() == []
            _db.session.remove()
    finally:
        jobs.use_app(None)
        _remove(app, authority_id, school_id, certificates)
