"""What `flask portal verify-archive` checks against the transparency log (registered with
documents.services.verify_archive):

- the log itself: leaves numbered 0..n-1, each leaf's columns say what its bytes say, the stored
  subtree hashes give the root the leaves give, and the latest checkpoint signs that root;
- a checkpoint saved earlier (`--checkpoint`, e.g. a witness's): signed by the log key, and the
  first entries of today's log are exactly the ones it signed — so a removed, reordered, edited or
  erased entry cannot hide behind a log rebuilt to match the database;
- the records against their leaves: every published decision has its publication leaf naming its
  file, number and text, and the status of its latest leaf is its status; no leaf names a record
  that is not published; every publication of a record kind the log keeps is in the log, and the
  files the log names are stored and carry the portal's signature.
"""

import json

from sqlalchemy import select

from portal.charters.models import CharterStatus, CharterVersion
from portal.consultations.models import Consultation
from portal.decisions.models import PUBLIC_STATUSES, Decision
from portal.documents import services as documents
from portal.documents.models import Document, PublicationLogEntry
from portal.documents.render import body_fingerprint
from portal.extensions import db
from portal.meetings.models import Meeting
from portal.schools.models import School
from portal.transparency import merkle, notes, services
from portal.transparency.models import LogCheckpoint, LogLeaf

Problem = documents.Problem
LOGGED_PUBLICATIONS = {"decision", "charter_version", "minutes", "outcome"}  # PublicationLogEntry.object_type


@documents.archive_check
def check_against_the_log(saved_checkpoint: str | None) -> list[Problem]:
    problems: list[Problem] = []
    leaves, hashes = _read_leaves(problems)
    _check_tree(hashes, problems)
    if saved_checkpoint is not None:
        _check_saved_checkpoint(saved_checkpoint, hashes, problems)
    _check_decisions(leaves, problems)
    _check_other_records(leaves, problems)
    _check_publications(leaves, problems)
    return problems


def _read_leaves(problems) -> tuple[list[tuple[int, dict]], list[bytes]]:
    leaves, hashes = [], []
    rows = select(LogLeaf.leaf_index, LogLeaf.leaf, LogLeaf.record, LogLeaf.sha256, LogLeaf.status, LogLeaf.kind)
    for index, leaf, record, sha256, status, kind in db.session.execute(
        rows.order_by(LogLeaf.leaf_index).execution_options(yield_per=1000)
    ):
        where = f"log entry {index}"
        if index != len(hashes):
            problems.append(Problem(where, f"expected log entry {len(hashes)} here: entries are missing"))
        hashes.append(merkle.leaf_hash(leaf))
        try:
            fields = json.loads(leaf.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            problems.append(Problem(where, "its leaf is not JSON"))
            continue
        if (fields.get("record"), fields.get("sha256"), fields.get("status"), fields.get("kind")) != (
            record,
            sha256,
            status,
            kind,
        ):
            problems.append(Problem(where, "its columns do not say what its leaf says"))
        leaves.append((index, fields))
    return leaves, hashes


def _check_tree(hashes: list[bytes], problems) -> None:
    size = len(hashes)
    root = merkle.root_of_hashes(hashes)
    try:
        if services.root_hash(size) != root:
            problems.append(Problem("log", "its stored subtree hashes do not give the root of its entries"))
    except RuntimeError as missing:
        problems.append(Problem("log", str(missing)))
    checkpoint = db.session.scalar(select(LogCheckpoint).order_by(LogCheckpoint.id.desc()).limit(1))
    if checkpoint is None:
        if size:
            problems.append(Problem("log", "no checkpoint was signed"))
        return
    try:
        signed = notes.verify_checkpoint(checkpoint.note, services.verifier_key())
    except notes.NoteError as error:
        problems.append(Problem("latest checkpoint", f"{error}"))
        return
    if signed.size != size or signed.root != root:
        problems.append(
            Problem("latest checkpoint", f"it signs {signed.size} entries and another root than the log's {size}")
        )


def _check_saved_checkpoint(text: str, hashes: list[bytes], problems) -> None:
    where = "saved checkpoint"
    try:
        saved = notes.verify_checkpoint(text, services.verifier_key(), origin=services.origin())
    except notes.NoteError as error:
        problems.append(Problem(where, f"{error}"))
        return
    if saved.size > len(hashes):
        problems.append(
            Problem(where, f"it signs {saved.size} entries but the log has {len(hashes)}: entries were removed")
        )
    elif merkle.root_of_hashes(hashes[: saved.size]) != saved.root:
        problems.append(
            Problem(where, f"the log's first {saved.size} entries are not the ones it signed: the log was rewritten")
        )


def _latest_by_record(leaves) -> dict[str, list[tuple[int, dict]]]:
    by_record: dict[str, list[tuple[int, dict]]] = {}
    for index, fields in leaves:
        by_record.setdefault(fields.get("record"), []).append((index, fields))
    return by_record


def _check_decisions(leaves, problems) -> None:
    by_record = _latest_by_record(leaves)
    public = {}
    for decision in db.session.scalars(select(Decision).where(Decision.status.in_(PUBLIC_STATUSES))):
        record = f"/decisions/{decision.id}"
        public[record] = decision
        where = f"decision {decision.id}"
        mine = [fields for _index, fields in by_record.get(record, []) if fields.get("kind") == "decision"]
        published = [fields for fields in mine if fields.get("status") == "published"]
        if not published:
            problems.append(Problem(where, "the transparency log has no entry publishing it"))
            continue
        leaf = published[0]
        if leaf.get("sha256") != decision.document_sha256:
            problems.append(Problem(where, "its PDF is not the file the log published"))
        if leaf.get("number") != decision.number:
            problems.append(Problem(where, "its number is not the one the log published"))
        if leaf.get("text_sha256") != body_fingerprint(decision.body):
            problems.append(Problem(where, "its text on the web page is not the text the log published"))
        if mine[-1].get("status") != decision.status.value:
            problems.append(Problem(where, f"it is {decision.status.value}, but the log says {mine[-1].get('status')}"))
    for record, entries in by_record.items():
        if record and record.startswith("/decisions/") and record not in public:
            index = entries[0][0]
            problems.append(
                Problem(f"log entry {index}", f"it publishes {record}, which is not published (erased or withdrawn)")
            )


def _check_other_records(leaves, problems) -> None:
    by_record = _latest_by_record(leaves)
    expected: dict[str, str | None] = {}
    for version, slug in db.session.execute(
        select(CharterVersion, School.slug)
        .join(School, School.id == CharterVersion.school_id)
        .where(CharterVersion.status == CharterStatus.ADOPTED)
    ):
        expected[f"/schools/{slug}/charter/versions/{version.number}"] = version.document_sha256
    for meeting in db.session.scalars(select(Meeting).where(Meeting.minutes_document_sha256.is_not(None))):
        expected[f"/meetings/{meeting.id}"] = meeting.minutes_document_sha256
    for consultation in db.session.scalars(
        select(Consultation).where(Consultation.outcome_document_sha256.is_not(None))
    ):
        expected[f"/consultations/{consultation.id}"] = consultation.outcome_document_sha256
    for record, sha256 in expected.items():
        named = {fields.get("sha256") for _index, fields in by_record.get(record, [])}
        if sha256 not in named:
            problems.append(Problem(record, "its PDF is not one the transparency log published"))


def _check_publications(leaves, problems) -> None:
    in_log = {fields.get("sha256") for _index, fields in leaves if fields.get("kind") != "signing_key"}
    in_log.discard(None)
    committed = {fields["archive_entry"]: index for index, fields in leaves if fields.get("archive_entry")}
    entries = select(
        PublicationLogEntry.sequence, PublicationLogEntry.document_sha256, PublicationLogEntry.entry_hash
    ).where(PublicationLogEntry.object_type.in_(LOGGED_PUBLICATIONS))
    found = set()
    for sequence, sha256, entry_hash in db.session.execute(entries.order_by(PublicationLogEntry.sequence)):
        if sha256 not in in_log:
            problems.append(Problem(f"entry {sequence}", f"its document {sha256} is not in the transparency log"))
        elif committed and entry_hash not in committed:
            # The log's leaves name the archive's entries by hash: a chain reordered or
            # recomputed no longer has the entries the log published.
            problems.append(Problem(f"entry {sequence}", "it is not the entry the transparency log published"))
        found.add(entry_hash)
    for entry_hash, index in committed.items():
        if entry_hash not in found:
            problems.append(Problem(f"log entry {index}", "the archive's publication log no longer has its entry"))
    if in_log:
        signed_rows = db.session.execute(select(Document.sha256, Document.signed).where(Document.sha256.in_(in_log)))
        stored = {sha256: signed for sha256, signed in signed_rows}
        for sha256 in sorted(in_log):
            if sha256 not in stored:
                problems.append(Problem(f"document {sha256}", "the transparency log publishes it, but it is missing"))
            elif not stored[sha256]:
                problems.append(Problem(f"document {sha256}", "the transparency log publishes it, but it is unsigned"))
