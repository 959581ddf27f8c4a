"""The transparency log: append leaves, keep the tree's subtree hashes, sign checkpoints, answer
proofs, take witnesses' cosignatures, and check the archive's records against the log.

Every function flushes and never commits: a leaf and the checkpoint that covers it are written in
the transaction of the publication they record (the listeners call `record_leaves()`), so the
served checkpoint is never older than the log and nothing is logged that was not published.
"""

import base64
import hashlib
import json
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import and_, func, or_, select, text

from portal.clock import utcnow
from portal.extensions import db
from portal.transparency import merkle, notes
from portal.transparency.models import LogCheckpoint, LogCosignature, LogLeaf, LogNode

# pg_advisory_xact_lock key serialising appends to the transparency log ("TLOG").
LOG_LOCK_KEY = 0x544C4F47
ENTRIES_PAGE_MAX = 1000
SHA256_HEX_LENGTH = 64


class LogKeyMissing(RuntimeError):
    """PORTAL_LOG_KEY names no readable key."""


# --- the log key ----------------------------------------------------------------------------


def origin() -> str:
    """The checkpoint's origin line: the public host (and port, and path) of PORTAL_PUBLIC_URL + "/log"."""
    public = urlsplit(current_app.config["PORTAL_PUBLIC_URL"])
    return f"{public.netloc}{public.path.rstrip('/')}/log"


@lru_cache(maxsize=4)
def _read_key(value: str, stamp) -> notes.SignerKey:
    text_value = value if value.startswith("PRIVATE+KEY+") else Path(value).read_text(encoding="ascii")
    return notes.parse_signer_key(text_value)


def log_key() -> notes.SignerKey:
    """PORTAL_LOG_KEY: the note-format private key itself, or the path of a file holding it."""
    value = (current_app.config.get("PORTAL_LOG_KEY") or "").strip()
    if not value:
        raise LogKeyMissing("PORTAL_LOG_KEY is not set")
    stamp = None
    if not value.startswith("PRIVATE+KEY+"):
        try:
            stat = Path(value).stat()
        except OSError as error:
            raise LogKeyMissing(f"cannot read the log key {value}: {error.strerror}") from error
        stamp = (stat.st_mtime_ns, stat.st_size)
    try:
        return _read_key(value, stamp)
    except (OSError, UnicodeDecodeError, notes.NoteError) as error:
        raise LogKeyMissing(f"the log key {value} is not a note-format Ed25519 private key") from error


def verifier_key() -> notes.VerifierKey:
    return log_key().verifier


def generate_log_key(path, name: str, *, force: bool = False) -> Path:
    """Write a new note-format Ed25519 private key named `name` to `path` (mode 0600)."""
    path = Path(path)
    if path.exists() and not force:
        raise FileExistsError(str(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    key = notes.generate_signer(name)
    path.touch(mode=0o600, exist_ok=True)
    path.chmod(0o600)
    path.write_text(str(key) + "\n", encoding="ascii")
    return path


def witness_keys() -> list[notes.VerifierKey]:
    """PORTAL_WITNESS_KEYS: the witnesses whose cosignatures the portal keeps."""
    keys = []
    for item in current_app.config.get("PORTAL_WITNESS_KEYS") or []:
        key = notes.parse_verifier_key(item)
        if key.kind == notes.COSIGNATURE_V1:
            keys.append(key)
    return keys


# --- leaves ---------------------------------------------------------------------------------


def rfc3339(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("naive datetime in the transparency log")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_leaf(fields: dict) -> bytes:
    """Canonical JSON: UTF-8, sorted keys, no spaces."""
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


@dataclass(frozen=True)
class NewLeaf:
    kind: str
    record: str
    status: str
    sha256: str | None = None
    extra: dict | None = None


def _lock_log() -> None:
    """Serialise appends (as documents' publication log does): a transaction-scoped advisory lock
    on PostgreSQL; SQLite has one writer at a time. The unique leaf index is the last defence."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOG_LOCK_KEY})


def tree_size() -> int:
    """The number of leaves: the highest index + 1, read from the unique index (a count would
    read every row)."""
    highest = db.session.scalar(select(func.max(LogLeaf.leaf_index)))
    return 0 if highest is None else highest + 1


def _append(new: NewLeaf, index: int, at: datetime) -> LogLeaf:
    fields = {
        **(new.extra or {}),
        "kind": new.kind,
        "record": new.record,
        "sha256": new.sha256,
        "status": new.status,
        "published_at": rfc3339(at),
    }
    leaf_bytes = canonical_leaf(fields)
    leaf = LogLeaf(
        leaf_index=index,
        leaf=leaf_bytes,
        kind=new.kind,
        record=new.record,
        sha256=new.sha256,
        status=new.status,
        published_at=at,
    )
    db.session.add(leaf)
    digest = merkle.leaf_hash(leaf_bytes)
    db.session.add(LogNode(level=0, position=index, hash=digest))
    # Each complete subtree this leaf finishes gets its hash: at most log2(n), amortised 2.
    level, position = 0, index
    while position & 1:
        left = _node(level, position - 1)
        digest = merkle.node_hash(left, digest)
        level, position = level + 1, position >> 1
        db.session.add(LogNode(level=level, position=position, hash=digest))
    return leaf


def _node(level: int, position: int) -> bytes:
    for pending in db.session.new:  # written in this flush-less stretch
        if isinstance(pending, LogNode) and pending.level == level and pending.position == position:
            return pending.hash
    found = db.session.scalar(select(LogNode.hash).where(LogNode.level == level, LogNode.position == position))
    if found is None:
        raise RuntimeError(f"the log has no node ({level}, {position})")
    return found


def record_leaves(new_leaves: Iterable[NewLeaf]) -> tuple[list[LogLeaf], LogCheckpoint]:
    """Append the leaves (in order) and sign a checkpoint of the new tree, in the caller's
    transaction. Raises LogKeyMissing before writing anything if the log key cannot be read."""
    key = log_key()
    _lock_log()
    size = tree_size()
    at = utcnow()
    leaves = []
    for new in new_leaves:
        leaves.append(_append(new, size, at))
        size += 1
    db.session.flush()
    return leaves, _sign_checkpoint(key, size)


def _sign_checkpoint(key: notes.SignerKey, size: int) -> LogCheckpoint:
    root = root_hash(size)
    body = notes.Checkpoint(origin(), size, root).body
    checkpoint = LogCheckpoint(tree_size=size, root_hash=root, note=notes.sign_note(body, key))
    db.session.add(checkpoint)
    db.session.flush()
    return checkpoint


def sign_checkpoint() -> LogCheckpoint:
    """A fresh checkpoint of the tree as it is (e.g. after a key change or for an empty log)."""
    _lock_log()
    return _sign_checkpoint(log_key(), tree_size())


# --- reading the tree -----------------------------------------------------------------------


def _perfect_hashes(wanted: set[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
    found = {}
    by_level: dict[int, list[int]] = {}
    for level, position in wanted:
        by_level.setdefault(level, []).append(position)
    if by_level:
        condition = or_(
            *(and_(LogNode.level == level, LogNode.position.in_(positions)) for level, positions in by_level.items())
        )
        for level, position, digest in db.session.execute(
            select(LogNode.level, LogNode.position, LogNode.hash).where(condition)
        ):
            found[(level, position)] = digest
    missing = wanted - found.keys()
    if missing:
        raise RuntimeError(f"the log has no node {sorted(missing)[0]}")
    return found


def _with_subtrees(compute):
    """Run `compute(subtree)` twice: once to learn which complete subtrees it reads, then with
    their hashes fetched in one query."""
    wanted: set[tuple[int, int]] = set()

    def record(start, end):
        wanted.update(merkle.perfect_subtrees(start, end))
        return b"\0" * 32

    compute(record)
    hashes = _perfect_hashes(wanted)

    def subtree(start, end):
        return merkle.range_hash(start, end, lambda level, position: hashes[(level, position)])

    return compute(subtree)


def root_hash(size: int) -> bytes:
    if size == 0:
        return merkle.EMPTY_ROOT
    return _with_subtrees(lambda subtree: subtree(0, size))


def inclusion_proof(index: int, size: int) -> list[bytes]:
    return _with_subtrees(lambda subtree: merkle.inclusion_proof(index, size, subtree))


def consistency_proof(first: int, second: int) -> list[bytes]:
    return _with_subtrees(lambda subtree: merkle.consistency_proof(first, second, subtree))


def latest_checkpoint() -> LogCheckpoint | None:
    return db.session.scalar(select(LogCheckpoint).order_by(LogCheckpoint.id.desc()).limit(1))


def checkpoint_with_cosignatures(checkpoint: LogCheckpoint) -> str:
    """The signed note with the stored cosignatures' lines added (a note may carry several)."""
    lines = db.session.scalars(
        select(LogCosignature.line).where(LogCosignature.checkpoint_id == checkpoint.id).order_by(LogCosignature.id)
    ).all()
    return checkpoint.note + "".join(f"{line}\n" for line in lines)


def entries(start: int, end: int) -> list[LogLeaf]:
    return list(
        db.session.scalars(
            select(LogLeaf).where(LogLeaf.leaf_index >= start, LogLeaf.leaf_index < end).order_by(LogLeaf.leaf_index)
        )
    )


def leaf_fields(leaf: LogLeaf) -> dict:
    return json.loads(leaf.leaf.decode("utf-8"))


def describe(leaf: LogLeaf) -> dict:
    """A leaf as /log/entries shows it: index, the exact bytes (base64), and its fields."""
    return {**leaf_fields(leaf), "index": leaf.leaf_index, "leaf": base64.b64encode(leaf.leaf).decode()}


def newest_leaf_for_sha256(hex_digest: str, below: int | None = None) -> LogLeaf | None:
    query = select(LogLeaf).where(LogLeaf.sha256 == hex_digest.strip().lower())
    if below is not None:
        query = query.where(LogLeaf.leaf_index < below)
    return db.session.scalar(query.order_by(LogLeaf.leaf_index.desc()).limit(1))


def publication_leaf(record: str, sha256: str) -> LogLeaf | None:
    """The leaf that published `record` with the file `sha256`: the first one naming both (later
    ones record changes of status)."""
    return db.session.scalar(
        select(LogLeaf).where(LogLeaf.record == record, LogLeaf.sha256 == sha256).order_by(LogLeaf.leaf_index).limit(1)
    )


def entry_for_sha256(hex_digest: str) -> tuple[int, LogCheckpoint] | None:
    """(index of the newest leaf naming this file hash, the latest checkpoint, which contains it),
    or None when the log has no such leaf (or the hash is not 64 hex digits)."""
    if not isinstance(hex_digest, str):
        return None
    digest = hex_digest.strip().lower()
    if len(digest) != SHA256_HEX_LENGTH or any(c not in "0123456789abcdef" for c in digest):
        return None
    leaf = newest_leaf_for_sha256(digest)
    checkpoint = latest_checkpoint()
    if leaf is None or checkpoint is None or checkpoint.tree_size <= leaf.leaf_index:
        return None
    return leaf.leaf_index, checkpoint


# --- cosignatures ---------------------------------------------------------------------------


class CosignatureRefused(ValueError):
    pass


def add_cosignatures(note_text: str) -> list[LogCosignature]:
    """Store the cosignatures of configured witnesses found on a checkpoint note the portal signed.
    Raises CosignatureRefused when the checkpoint is not one of ours or no cosignature verifies."""
    try:
        body, signatures = notes.split_note(note_text)
        parsed = notes.parse_checkpoint_body(body)
    except notes.NoteError as error:
        raise CosignatureRefused(str(error)) from error
    checkpoint = db.session.scalar(
        select(LogCheckpoint)
        .where(LogCheckpoint.tree_size == parsed.size, LogCheckpoint.root_hash == parsed.root)
        .order_by(LogCheckpoint.id.desc())
        .limit(1)
    )
    if checkpoint is None or notes.split_note(checkpoint.note)[0] != body:
        raise CosignatureRefused("not a checkpoint of this log")
    stored = []
    for key in witness_keys():
        for signature in signatures:
            timestamp = notes.verify_cosignature(body, signature, key)
            if timestamp is None:
                continue
            exists = db.session.scalar(
                select(LogCosignature.id).where(
                    LogCosignature.checkpoint_id == checkpoint.id, LogCosignature.witness_key == str(key)
                )
            )
            if exists is None:
                cosignature = LogCosignature(
                    checkpoint_id=checkpoint.id,
                    witness_key=str(key),
                    signed_at=datetime.fromtimestamp(timestamp, UTC),
                    line=signature.line,
                )
                db.session.add(cosignature)
                stored.append(cosignature)
    if not stored and not any(
        notes.verify_cosignature(body, s, k) is not None for k in witness_keys() for s in signatures
    ):
        raise CosignatureRefused("no cosignature of a configured witness verifies")
    db.session.flush()
    return stored


def now_timestamp() -> int:
    return int(time.time())


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- evidence bundles -----------------------------------------------------------------------

EVIDENCE_FORMAT = "portal-evidence/v1"


def evidence_bundle(record: str, sha256: str, certificates_pem: list[str], document_url: str) -> dict | None:
    """What proves, without the portal, that the file `sha256` was published as `record`: its
    publication leaf, the inclusion proof into the latest checkpoint (with the stored
    cosignatures), the log's verifier key and the signing certificate chain. None when the log
    has no such leaf (or no checkpoint covering it)."""
    leaf = publication_leaf(record, sha256)
    checkpoint = latest_checkpoint()
    if leaf is None or checkpoint is None or checkpoint.tree_size <= leaf.leaf_index:
        return None
    proof = inclusion_proof(leaf.leaf_index, checkpoint.tree_size)
    return {
        "format": EVIDENCE_FORMAT,
        "record": record,
        "document": document_url,
        "leaf": describe(leaf),
        "tree_size": checkpoint.tree_size,
        "inclusion": [node.hex() for node in proof],
        "checkpoint": checkpoint_with_cosignatures(checkpoint),
        "log_key": str(verifier_key()),
        "certificates": certificates_pem,
    }
