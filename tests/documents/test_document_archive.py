"""Archiving: signed bytes stored once by SHA-256, a hash-chained publication log, an audit event,
rows the ORM will not change, and `verify_archive()` catching what was changed behind its back."""

import hashlib

import pytest
from sqlalchemy import delete, func, select, text, update

from portal.audit import AuditEvent
from portal.documents import services, signing
from portal.documents.models import GENESIS_HASH, ArchiveIsAppendOnly, Document, PublicationLogEntry


@pytest.fixture(autouse=True)
def _app_context(app_context):
    return app_context


@pytest.fixture
def archive(db, sample_pdf):
    """archive(object_id) -> Document: archives the sample PDF as decision `object_id`."""

    def add(object_id=1, actor=None, school_id=None, pdf=sample_pdf, kind="decision", object_type="Decision"):
        document = services.archive_pdf(
            actor, kind=kind, object_type=object_type, object_id=object_id, pdf_bytes=pdf, school_id=school_id
        )
        db.session.commit()
        return document

    return add


def entries(db):
    return db.session.scalars(select(PublicationLogEntry).order_by(PublicationLogEntry.sequence)).all()


def count(db, model):
    return db.session.scalar(select(func.count()).select_from(model))


def test_archiving_stores_the_signed_bytes(db, archive, sample_pdf, app):
    document = archive()
    stored = db.session.scalar(select(Document.content).where(Document.id == document.id))
    assert stored.startswith(sample_pdf) and len(stored) > len(sample_pdf)
    assert document.sha256 == hashlib.sha256(stored).hexdigest()
    assert document.size == len(stored)
    assert document.media_type == "application/pdf"
    assert document.signed and document.kind == "decision"
    with app.app_context():
        assert signing.verify_signature(stored) == "valid"


def test_the_log_is_a_hash_chain(db, archive):
    first, second, third = archive(1), archive(2), archive(3)
    log = entries(db)
    assert [e.sequence for e in log] == [1, 2, 3]
    assert [e.document_sha256 for e in log] == [first.sha256, second.sha256, third.sha256]
    assert [(e.object_type, e.object_id) for e in log] == [("Decision", 1), ("Decision", 2), ("Decision", 3)]
    assert log[0].previous_hash == GENESIS_HASH
    assert log[1].previous_hash == log[0].entry_hash
    assert log[2].previous_hash == log[1].entry_hash
    assert all(e.entry_hash == e.compute_hash() for e in log)
    assert services.verify_archive() == []


def test_the_same_bytes_are_stored_once(db, archive, monkeypatch):
    monkeypatch.setattr(signing, "sign_pdf", lambda pdf: pdf + b"%signed")  # deterministic "signature"
    first = archive(1, pdf=b"%PDF-1.7 same bytes")
    again = archive(2, pdf=b"%PDF-1.7 same bytes")
    assert again.id == first.id
    assert count(db, Document) == 1
    assert [(e.object_id, e.document_sha256) for e in entries(db)] == [(1, first.sha256), (2, first.sha256)]


def test_archiving_writes_an_audit_event(db, archive, make_user, school):
    actor = make_user()
    document = archive(7, actor=actor, school_id=school.id)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "document.archive"))
    assert event.actor_id == actor.id
    assert (event.object_type, event.object_id) == ("Document", document.id)
    assert event.school_id == school.id
    assert event.data["sha256"] == document.sha256
    assert event.data["object_type"] == "Decision" and event.data["object_id"] == 7
    assert event.data["sequence"] == 1


def test_a_failure_leaves_nothing_behind(db, archive, monkeypatch, sample_pdf):
    archive(1)
    before = count(db, Document), count(db, PublicationLogEntry), count(db, AuditEvent)

    def failing_audit(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(services.audit, "record", failing_audit)
    with pytest.raises(OSError):
        services.archive_pdf(None, kind="decision", object_type="Decision", object_id=2, pdf_bytes=sample_pdf)
    db.session.rollback()
    assert (count(db, Document), count(db, PublicationLogEntry), count(db, AuditEvent)) == before

    monkeypatch.setattr(signing, "sign_pdf", failing_audit)
    with pytest.raises(OSError):
        services.archive_pdf(None, kind="decision", object_type="Decision", object_id=2, pdf_bytes=sample_pdf)
    db.session.rollback()
    assert (count(db, Document), count(db, PublicationLogEntry), count(db, AuditEvent)) == before
    assert services.verify_archive() == []


def test_bad_arguments_are_refused(db, sample_pdf):
    with pytest.raises(ValueError):
        services.archive_pdf(None, kind="poster", object_type="Decision", object_id=1, pdf_bytes=sample_pdf)
    with pytest.raises(ValueError):
        services.archive_pdf(None, kind="decision", object_type="Decision", object_id=1, pdf_bytes=b"")
    db.session.rollback()
    assert count(db, Document) == 0


def test_find_by_sha256(db, archive):
    document = archive()
    assert services.find_by_sha256(document.sha256).id == document.id
    assert services.find_by_sha256(document.sha256.upper()).id == document.id
    assert services.find_by_sha256(" " + document.sha256 + "\n").id == document.id
    assert services.find_by_sha256("0" * 64) is None
    for bad in ("", "xyz", document.sha256[:63], document.sha256 + "0", "g" * 64, None, 42):
        assert services.find_by_sha256(bad) is None


def test_the_orm_refuses_to_change_or_delete_archive_rows(db, archive):
    document = archive()
    entry = entries(db)[0]

    document.content = b"%PDF-forged"
    with pytest.raises(ArchiveIsAppendOnly):
        db.session.flush()
    db.session.rollback()

    entry.object_id = 99
    with pytest.raises(ArchiveIsAppendOnly):
        db.session.flush()
    db.session.rollback()

    for row in (document, entry):
        db.session.delete(db.session.get(type(row), row.id))
        with pytest.raises(ArchiveIsAppendOnly):
            db.session.flush()
        db.session.rollback()

    for statement in (
        update(Document).values(size=1),
        delete(Document),
        update(PublicationLogEntry).values(object_id=2),
        delete(PublicationLogEntry),
    ):
        with pytest.raises(ArchiveIsAppendOnly):
            db.session.execute(statement)
        db.session.rollback()
    assert services.verify_archive() == []


# Tampering with raw SQL, as someone with database access could: verify_archive() must notice.


def test_verify_archive_catches_a_deleted_log_entry(db, archive):
    archive(1), archive(2), archive(3)
    db.session.execute(text("DELETE FROM publication_log_entry WHERE sequence = 2"))
    problems = [str(p) for p in services.verify_archive()]
    assert any(p.startswith("entry 3: expected entry 2") for p in problems), problems
    assert "entry 3: does not chain to the entry before it" in problems


def test_verify_archive_catches_one_altered_byte(db, archive):
    archive(1)
    document = archive(2)
    content = bytearray(db.session.scalar(select(Document.content).where(Document.id == document.id)))
    content[len(content) // 2] ^= 0x01
    db.session.execute(
        text("UPDATE document SET content = :content WHERE id = :id"), {"content": bytes(content), "id": document.id}
    )
    problems = [str(p) for p in services.verify_archive()]
    assert f"document {document.sha256}: its bytes no longer match its SHA-256" in problems
    assert f"document {document.sha256}: its signature is broken" in problems
    assert len(problems) == 2


def test_verify_archive_catches_two_reordered_entries(db, archive):
    archive(1), archive(2), archive(3)
    # Swap sequences 2 and 3 (through a free number: the sequence is unique).
    for old, new in ((2, 1000), (3, 2), (1000, 3)):
        db.session.execute(
            text("UPDATE publication_log_entry SET sequence = :new WHERE sequence = :old"), {"old": old, "new": new}
        )
    problems = [str(p) for p in services.verify_archive()]
    assert "entry 2: does not chain to the entry before it" in problems
    assert "entry 2: its hash does not match its contents" in problems
    assert "entry 3: its hash does not match its contents" in problems


def test_verify_archive_catches_an_edited_entry(db, archive):
    archive(1), archive(2)
    db.session.execute(text("UPDATE publication_log_entry SET object_id = 99 WHERE sequence = 1"))
    problems = [str(p) for p in services.verify_archive()]
    assert problems == ["entry 1: its hash does not match its contents"]


def test_verify_archive_catches_a_document_without_entry(db, archive):
    archive(1), archive(2)
    last = entries(db)[-1]
    db.session.execute(text("DELETE FROM publication_log_entry WHERE sequence = 2"))
    problems = [str(p) for p in services.verify_archive()]
    assert problems == [f"document {last.document_sha256}: no publication log entry records it"]


def test_an_empty_archive_is_intact(db):
    assert services.verify_archive() == []
    assert services.archive_counts() == (0, 0)
