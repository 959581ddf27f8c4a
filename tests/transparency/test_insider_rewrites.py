"""Someone who controls the database rewrites history; `flask portal verify-archive --checkpoint`
with a checkpoint saved before (as a witness keeps one) exits 1 and says what it found — for each
of the seven rewrites the audit found undetected, both when the insider leaves the log alone and
when they also rebuild the log (and re-sign it with the log key) to match the rewritten records."""

import hashlib

import pytest
from sqlalchemy import select, text

from portal.decisions.models import Decision, DecisionStatus
from portal.documents.models import GENESIS_HASH, Document, PublicationLogEntry, entry_hash
from portal.documents.render import body_fingerprint
from portal.extensions import db as _db
from portal.transparency import notes, services
from portal.transparency.services import NewLeaf
from tests.helpers.decisions import stand_in_pdf


@pytest.fixture
def saved_checkpoint(app, client, log_world, tmp_path):
    path = tmp_path / "checkpoint.txt"
    path.write_text(client.get("/log/checkpoint").get_data(as_text=True), encoding="utf-8")
    return path


@pytest.fixture
def verify(app, saved_checkpoint):
    runner = app.test_cli_runner()

    def run(*extra):
        args = ["portal", "verify-archive", *(extra or ("--checkpoint", str(saved_checkpoint)))]
        return runner.invoke(args=args)

    return run


def sql(statement, **values):
    _db.session.execute(text(statement), values)


def recompute_chain(order=None):
    """Rewrite the publication log's chain so it verifies again (optionally in another order)."""
    entries = list(_db.session.scalars(select(PublicationLogEntry).order_by(PublicationLogEntry.sequence)))
    if order:
        entries = [entries[i] for i in order]
    rows = [(e.id, e.document_sha256, e.object_type, e.object_id, e.created_at) for e in entries]
    sql("UPDATE publication_log_entry SET sequence = sequence + 1000")
    previous = GENESIS_HASH
    for sequence, (row_id, document, object_type, object_id, created_at) in enumerate(rows, start=1):
        digest = entry_hash(
            sequence=sequence,
            previous_hash=previous,
            document_sha256=document,
            object_type=object_type,
            object_id=object_id,
            created_at=created_at,
        )
        sql(
            "UPDATE publication_log_entry SET sequence = :s, previous_hash = :p, entry_hash = :h WHERE id = :id",
            s=sequence,
            p=previous,
            h=digest,
            id=row_id,
        )
        previous = digest
    _db.session.expunge_all()


def rebuild_log(app, order=None):
    """Throw the log away and write one that matches the records as they now are, re-signed."""
    for table in ("log_cosignature", "log_checkpoint", "log_node", "log_leaf"):
        sql(f"DELETE FROM {table}")
    _db.session.expunge_all()
    decisions = list(
        _db.session.scalars(select(Decision).where(Decision.status != DecisionStatus.DRAFT).order_by(Decision.id))
    )
    leaves = [
        NewLeaf(
            "decision",
            f"/decisions/{d.id}",
            "published",
            d.document_sha256,
            {"number": d.number, "text_sha256": body_fingerprint(d.body)},
        )
        for d in decisions
    ]
    if order:
        leaves = [leaves[i] for i in order]
    leaves += [
        NewLeaf("decision", f"/decisions/{d.id}", d.status.value, d.document_sha256)
        for d in decisions
        if d.status != DecisionStatus.PUBLISHED
    ]
    with app.app_context():  # leaving it closes the session: commit inside, as a request does
        services.record_leaves(leaves)
        _db.session.commit()


def delete_last_entry_and_its_document(world, app, rebuild):
    first, _second, third = world["decision_ids"]
    sql("UPDATE decision SET status = 'published' WHERE id = :id", id=first)
    sql("DELETE FROM decision WHERE id = :id", id=third)
    sql("DELETE FROM publication_log_entry WHERE document_sha256 = :sha", sha=world["sha256"][2])
    sql("DELETE FROM document WHERE sha256 = :sha", sha=world["sha256"][2])
    _db.session.expunge_all()
    if rebuild:
        rebuild_log(app)


def reorder_and_recompute_the_chain(world, app, rebuild):
    recompute_chain(order=[1, 0, 2])
    if rebuild:
        rebuild_log(app, order=[1, 0, 2])


def erase_a_decision(world, app, rebuild):
    second = world["decision_ids"][1]
    sql("DELETE FROM decision WHERE id = :id", id=second)
    if rebuild:
        sql("DELETE FROM publication_log_entry WHERE document_sha256 = :sha", sha=world["sha256"][1])
        sql("DELETE FROM document WHERE sha256 = :sha", sha=world["sha256"][1])
        recompute_chain()
        rebuild_log(app)


def append_a_forged_entry(world, app, rebuild):
    pdf = stand_in_pdf("forged decision")
    sha = hashlib.sha256(pdf).hexdigest()
    _db.session.add(Document(sha256=sha, size=len(pdf), content=pdf, kind="decision", signed=False))
    _db.session.flush()
    template = _db.session.get(Decision, world["decision_ids"][1])
    forged = Decision(
        school_id=template.school_id,
        status=DecisionStatus.PUBLISHED,
        title="伪造的决定",
        body="伪造。",
        number="伪造〔2026〕99号",
        number_year=2026,
        number_sequence=99,
        published_at=template.published_at,
        document_sha256=sha,
        votes_for=3,
        votes_against=0,
        votes_abstain=0,
    )
    _db.session.add(forged)
    _db.session.flush()
    last = _db.session.scalar(select(PublicationLogEntry).order_by(PublicationLogEntry.sequence.desc()).limit(1))
    entry = PublicationLogEntry(
        sequence=last.sequence + 1,
        created_at=last.created_at,
        document_sha256=sha,
        object_type="decision",
        object_id=forged.id,
        previous_hash=last.entry_hash,
    )
    entry.entry_hash = entry.compute_hash()
    _db.session.add(entry)
    _db.session.flush()
    if rebuild:  # appended properly: consistent with every earlier checkpoint
        with app.app_context():
            leaf = {"number": forged.number, "text_sha256": body_fingerprint(forged.body)}
            services.record_leaves([NewLeaf("decision", f"/decisions/{forged.id}", "published", sha, leaf)])
            _db.session.commit()


def edit_the_text_on_the_web_page(world, app, rebuild):
    sql(
        "UPDATE decision SET body = :body WHERE id = :id",
        body="每学期组织家长代表陪餐检查不少于一次。",
        id=world["decision_ids"][1],
    )
    _db.session.expunge_all()
    if rebuild:
        rebuild_log(app)


def point_a_decision_at_another_pdf(world, app, rebuild):
    sql(
        "UPDATE decision SET document_sha256 = :sha WHERE id = :id", sha=world["sha256"][0], id=world["decision_ids"][1]
    )
    _db.session.expunge_all()
    if rebuild:
        rebuild_log(app)


def unpublish_a_decision(world, app, rebuild):
    sql("UPDATE decision SET status = 'draft', number = NULL WHERE id = :id", id=world["decision_ids"][1])
    _db.session.expunge_all()
    if rebuild:
        rebuild_log(app)


REWRITES = [
    delete_last_entry_and_its_document,
    reorder_and_recompute_the_chain,
    erase_a_decision,
    append_a_forged_entry,
    edit_the_text_on_the_web_page,
    point_a_decision_at_another_pdf,
    unpublish_a_decision,
]

# What verify-archive says first: the records against the log when the log was left alone, the
# saved checkpoint when the log was rebuilt to match.
SAYS = {
    (delete_last_entry_and_its_document, False): "which is not published",
    (delete_last_entry_and_its_document, True): "entries were removed",
    (reorder_and_recompute_the_chain, False): "it is not the entry the transparency log published",
    (reorder_and_recompute_the_chain, True): "the log was rewritten",
    (erase_a_decision, False): "which is not published",
    (erase_a_decision, True): "entries were removed",
    (append_a_forged_entry, False): "has no entry publishing it",
    (append_a_forged_entry, True): "unsigned",
    (edit_the_text_on_the_web_page, False): "its text on the web page is not the text the log published",
    (edit_the_text_on_the_web_page, True): "the log was rewritten",
    (point_a_decision_at_another_pdf, False): "its PDF is not the file the log published",
    (point_a_decision_at_another_pdf, True): "the log was rewritten",
    (unpublish_a_decision, False): "which is not published",
    (unpublish_a_decision, True): "entries were removed",
}


def test_the_untouched_archive_is_intact_against_the_saved_checkpoint(verify):
    result = verify()
    assert result.exit_code == 0, result.output
    assert "archive intact" in result.output


@pytest.mark.parametrize("rebuild", [False, True], ids=["log left alone", "log rebuilt and re-signed"])
@pytest.mark.parametrize("rewrite", REWRITES, ids=[r.__name__ for r in REWRITES])
def test_an_insider_rewrite_is_caught(verify, log_world, app, rewrite, rebuild, saved_checkpoint):
    rewrite(log_world, app, rebuild)
    result = verify()
    assert result.exit_code == 1, result.output
    assert "archive broken" in result.output
    assert SAYS[(rewrite, rebuild)] in result.output, result.output


def test_a_checkpoint_signed_by_another_key_proves_nothing(verify, tmp_path, saved_checkpoint):
    other = notes.generate_signer("portal.test/log")
    body, _ = notes.split_note(saved_checkpoint.read_text(encoding="utf-8"))
    forged = tmp_path / "forged.txt"
    forged.write_text(notes.sign_note(body, other), encoding="utf-8")
    result = verify("--checkpoint", str(forged))
    assert result.exit_code == 1
    assert "saved checkpoint: the note is not signed by portal.test/log" in result.output


def test_a_file_that_is_no_checkpoint_is_said_so(verify, tmp_path):
    junk = tmp_path / "junk.txt"
    junk.write_text("hello\n", encoding="utf-8")
    result = verify("--checkpoint", str(junk))
    assert result.exit_code == 1
    assert "saved checkpoint: a signed note is a text, a blank line, and signature lines" in result.output
