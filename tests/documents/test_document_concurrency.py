"""Two publications at once, in two real transactions on PostgreSQL: the advisory lock makes the
second wait for the first, so the entries get consecutive sequence numbers and one chain.
(SQLite has a single writer; there the second transaction fails rather than fork the chain.)"""

import os
import threading
import time

import pytest
from sqlalchemy import select, text

from portal.documents import services
from portal.documents.models import PublicationLogEntry
from portal.extensions import db as _db

pytestmark = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgresql"), reason="concurrent transactions: PostgreSQL only"
)


def test_two_publications_at_once_chain_one_after_the_other(app, sample_pdf, signing_keys):
    barrier = threading.Barrier(2)
    errors = []

    def publish(object_id):
        with app.app_context():
            try:
                barrier.wait(timeout=10)
                services.archive_pdf(
                    None, kind="decision", object_type="ConcurrencyTest", object_id=object_id, pdf_bytes=sample_pdf
                )
                time.sleep(0.3)  # keep the lock a while: the other transaction must wait, not read a stale last entry
                _db.session.commit()
            except Exception as error:  # noqa: BLE001 - reported below
                errors.append(error)
                _db.session.rollback()

    threads = [threading.Thread(target=publish, args=(n,)) for n in (1, 2)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert errors == []
        with app.app_context():
            log = _db.session.scalars(select(PublicationLogEntry).order_by(PublicationLogEntry.sequence)).all()
            ours = [entry for entry in log if entry.object_type == "ConcurrencyTest"]
            assert len(ours) == 2
            assert ours[1].sequence == ours[0].sequence + 1
            assert ours[1].previous_hash == ours[0].entry_hash
            assert services.verify_archive() == []
    finally:
        with app.app_context():  # these rows were really committed: remove them behind the ORM's back
            digests = select(PublicationLogEntry.document_sha256).where(
                PublicationLogEntry.object_type == "ConcurrencyTest"
            )
            shas = _db.session.scalars(digests).all()
            _db.session.execute(text("DELETE FROM publication_log_entry WHERE object_type = 'ConcurrencyTest'"))
            for sha in shas:
                _db.session.execute(text("DELETE FROM document WHERE sha256 = :sha"), {"sha": sha})
            _db.session.execute(
                text(
                    "DELETE FROM audit_event WHERE action = 'document.archive'"
                    " AND CAST(data AS TEXT) LIKE '%ConcurrencyTest%'"
                )
            )
            _db.session.commit()
