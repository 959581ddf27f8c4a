"""Archiving: sign a rendered PDF, store its bytes once, append it to the publication log, and
check the whole archive.

`archive_pdf()` flushes and never commits: the caller commits once, together with the change
the document records (a decision marked published, …), or rolls everything back. Any failure
— signing, storing, the log — raises, so nothing half-published can be committed.

`verify_upload()` and `verify_sha256()` answer the public verification page: is this copy a
record the portal published, and which one?
"""

import hashlib
import re
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from flask import current_app
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from portal import audit, events
from portal.clock import utcnow
from portal.documents import checking, signing
from portal.documents.models import (
    GENESIS_HASH,
    Document,
    DocumentKind,
    PublicationLogEntry,
    SigningCertificate,
    entry_hash,
)
from portal.extensions import db

PDF_MEDIA_TYPE = "application/pdf"
SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")
# pg_advisory_xact_lock key serialising appends to the publication log (any constant; "PUBLOG").
LOG_LOCK_KEY = 0x5055424C4F47
YIELD_PER = 20  # documents held in memory at once while the archive is checked


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def find_by_sha256(hex_digest: str) -> Document | None:
    """The stored document with this SHA-256 (64 hex digits, either case), or None."""
    if not isinstance(hex_digest, str):
        return None
    hex_digest = hex_digest.strip().lower()
    if not SHA256_HEX.match(hex_digest):
        return None
    return db.session.scalar(select(Document).where(Document.sha256 == hex_digest))


def find_by_text_sha256(hex_digest: str) -> list[Document]:
    """The stored documents whose text has this SHA-256 (the fingerprint printed at the foot of
    their pages), oldest first."""
    if not isinstance(hex_digest, str) or not SHA256_HEX.match(hex_digest.strip().lower()):
        return []
    return list(
        db.session.scalars(
            select(Document).where(Document.text_sha256 == hex_digest.strip().lower()).order_by(Document.id)
        )
    )


def archive_pdf(
    actor,
    *,
    kind,
    object_type: str,
    object_id: int,
    pdf_bytes: bytes,
    school_id: int | None = None,
    text_sha256: str | None = None,
) -> Document:
    """Sign `pdf_bytes`, store the signed bytes (once per SHA-256), append a publication log entry
    for (object_type, object_id), and record the audit event "document.archive". `text_sha256`:
    the fingerprint of its text the PDF prints (render.body_fingerprint), by which /verify finds it
    from a paper copy. The certificate it is signed with is kept among the portal's certificates.
    Flushes, never commits. Returns the Document; its `sha256` is the fingerprint of the signed file."""
    kind = DocumentKind(kind)
    if not pdf_bytes:
        raise ValueError("nothing to archive")
    if text_sha256 is not None and not SHA256_HEX.match(text_sha256):
        raise ValueError("text_sha256 is 64 lowercase hex digits")
    signed = signing.sign_pdf(pdf_bytes)
    register_certificate(Path(current_app.config["PORTAL_SIGNING_CERT"]).read_bytes())
    digest = sha256_hex(signed)
    document = find_by_sha256(digest)
    if document is None:
        document = Document(
            sha256=digest,
            media_type=PDF_MEDIA_TYPE,
            size=len(signed),
            content=signed,
            kind=kind,
            signed=True,
            text_sha256=text_sha256,
        )
        db.session.add(document)
        db.session.flush()
    entry = _append_to_log(document, object_type, object_id)
    audit.record(
        actor,
        "document.archive",
        document,
        school_id=school_id,
        kind=kind.value,
        sha256=digest,
        size=document.size,
        object_type=object_type,
        object_id=object_id,
        sequence=entry.sequence,
    )
    db.session.flush()
    return document


def _lock_log() -> None:
    """Serialise appends: on PostgreSQL a transaction-scoped advisory lock, held until the caller
    commits or rolls back, so the next publication reads the last entry only after this one is
    committed. SQLite allows one writer at a time anyway (a second one fails with "database is
    locked" rather than chaining to a stale entry). The unique sequence is the last defence."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOG_LOCK_KEY})


def _append_to_log(document: Document, object_type: str, object_id: int) -> PublicationLogEntry:
    if not object_type or object_id is None:
        raise ValueError("a publication records an object: object_type and object_id are required")
    _lock_log()
    last = db.session.scalar(select(PublicationLogEntry).order_by(PublicationLogEntry.sequence.desc()).limit(1))
    entry = PublicationLogEntry(
        sequence=(last.sequence + 1) if last else 1,
        created_at=utcnow(),
        document_sha256=document.sha256,
        object_type=object_type,
        object_id=int(object_id),
        previous_hash=last.entry_hash if last else GENESIS_HASH,
    )
    entry.entry_hash = entry.compute_hash()
    db.session.add(entry)
    db.session.flush()
    return entry


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the archive: `where` is "document <sha256>" or "entry <sequence>"."""

    where: str
    what: str

    def __str__(self):
        return f"{self.where}: {self.what}"


def archive_counts() -> tuple[int, int]:
    """(stored documents, publication log entries)."""
    return (
        db.session.scalar(select(func.count()).select_from(Document)),
        db.session.scalar(select(func.count()).select_from(PublicationLogEntry)),
    )


# More checks of the archive, registered by whoever keeps a record of it elsewhere (the
# transparency log): each is called with the text of a checkpoint saved earlier (or None) and
# returns its problems. The documents room does not know who they are.
_archive_checks: list = []


def archive_check(check):
    """Register `check(saved_checkpoint: str | None) -> list[Problem]` with verify_archive()."""
    _archive_checks.append(check)
    return check


def verify_archive(saved_checkpoint: str | None = None) -> list[Problem]:
    """Re-hash every stored document, check every signature, and walk the publication log from the
    first entry: sequence gaps, an entry not chained to the one before it, an entry whose hash no
    longer matches its fields, an entry whose document is missing, a document no entry records.
    Then the registered checks (the transparency log: the records against its leaves, the log
    against its checkpoint and against `saved_checkpoint`, a signed checkpoint kept elsewhere).
    Returns the problems found, documents first, then the log in order; [] when all is intact.
    Streams rows (yield_per), so it does not hold the whole archive in memory."""
    problems = _verify_documents_and_chain()
    for check in _archive_checks:
        problems.extend(check(saved_checkpoint))
    return problems


def _verify_documents_and_chain() -> list[Problem]:
    # Plain rows, not ORM objects: nothing lands in the session's identity map, and an object the
    # caller already holds cannot hide what is really stored.
    problems: list[Problem] = []
    certificates, tsa_certificates = certificate_ders(), tsa_certificate_ders()
    documents = (
        select(Document.sha256, Document.size, Document.signed, Document.content)
        .order_by(Document.id)
        .execution_options(yield_per=YIELD_PER)
    )
    for digest, size, signed, content in db.session.execute(documents):
        where = f"document {digest}"
        if sha256_hex(content) != digest:
            problems.append(Problem(where, "its bytes no longer match its SHA-256"))
        if len(content) != size:
            problems.append(Problem(where, f"it has {len(content)} bytes, {size} were stored"))
        if signed:
            verdict = signing.verify_signature(content, certificates=certificates, tsa_certificates=tsa_certificates)
            if verdict != "valid":
                problems.append(Problem(where, f"its signature is {verdict}"))

    entries = (
        select(
            PublicationLogEntry.sequence,
            PublicationLogEntry.previous_hash,
            PublicationLogEntry.document_sha256,
            PublicationLogEntry.object_type,
            PublicationLogEntry.object_id,
            PublicationLogEntry.created_at,
            PublicationLogEntry.entry_hash,
            Document.id,
        )
        .outerjoin(Document, Document.sha256 == PublicationLogEntry.document_sha256)
        .order_by(PublicationLogEntry.sequence)
        .execution_options(yield_per=500)
    )
    expected_sequence, expected_previous = 1, GENESIS_HASH
    for (
        sequence,
        previous_hash,
        document_sha256,
        object_type,
        object_id,
        created_at,
        stored_hash,
        document_id,
    ) in db.session.execute(entries):
        where = f"entry {sequence}"
        if sequence != expected_sequence:
            problems.append(
                Problem(where, f"expected entry {expected_sequence} here: entries are missing or reordered")
            )
        if previous_hash != expected_previous:
            problems.append(Problem(where, "does not chain to the entry before it"))
        recomputed = entry_hash(
            sequence=sequence,
            previous_hash=previous_hash,
            document_sha256=document_sha256,
            object_type=object_type,
            object_id=object_id,
            created_at=created_at,
        )
        if recomputed != stored_hash:
            problems.append(Problem(where, "its hash does not match its contents"))
        if document_id is None:
            problems.append(Problem(where, f"its document {document_sha256} is missing"))
        expected_sequence, expected_previous = sequence + 1, stored_hash

    unrecorded = select(Document.sha256).where(
        ~select(PublicationLogEntry.id).where(PublicationLogEntry.document_sha256 == Document.sha256).exists()
    )
    for digest in db.session.scalars(unrecorded):
        problems.append(Problem(f"document {digest}", "no publication log entry records it"))
    return problems


# --- the signing certificates -------------------------------------------------------------


def _certificate_facts(pem_or_der: bytes) -> x509.Certificate:
    data = bytes(pem_or_der)
    return x509.load_pem_x509_certificate(data) if b"-----BEGIN" in data else x509.load_der_x509_certificate(data)


def certificate_sha256(certificate: x509.Certificate) -> str:
    return certificate.fingerprint(hashes.SHA256()).hex()


def register_certificate(pem_or_der: bytes) -> SigningCertificate:
    """Keep a certificate the portal signs with among its published certificates (once: the
    stored row when it is there already). Flushes, never commits; a concurrent registration of
    the same certificate is not an error."""
    certificate = _certificate_facts(pem_or_der)
    digest = certificate_sha256(certificate)
    stored = db.session.scalar(select(SigningCertificate).where(SigningCertificate.sha256 == digest))
    if stored is not None:
        return stored
    row = SigningCertificate(
        sha256=digest,
        pem=certificate.public_bytes(serialization.Encoding.PEM).decode("ascii"),
        subject=certificate.subject.rfc4514_string()[:500],
        not_before=certificate.not_valid_before_utc,
        not_after=certificate.not_valid_after_utc,
        added_at=utcnow(),
    )
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:  # another publication stored it first
        return db.session.scalar(select(SigningCertificate).where(SigningCertificate.sha256 == digest))
    return row


def signing_certificates() -> list[SigningCertificate]:
    """Every certificate the portal has signed with, oldest first."""
    return list(db.session.scalars(select(SigningCertificate).order_by(SigningCertificate.id)))


def current_certificate_sha256() -> str | None:
    """The SHA-256 of the certificate the portal signs with now (PORTAL_SIGNING_CERT), if readable."""
    try:
        return certificate_sha256(_certificate_facts(Path(current_app.config["PORTAL_SIGNING_CERT"]).read_bytes()))
    except (OSError, ValueError):
        return None


def certificate_ders() -> list[bytes]:
    """The DER bytes of every certificate a published signature may carry: the stored ones and
    the one configured now (which is stored when it first signs)."""
    ders = [
        _certificate_facts(row.pem.encode("ascii")).public_bytes(serialization.Encoding.DER)
        for row in signing_certificates()
    ]
    try:
        current = _certificate_facts(Path(current_app.config["PORTAL_SIGNING_CERT"]).read_bytes())
    except (OSError, ValueError):
        return ders
    der = current.public_bytes(serialization.Encoding.DER)
    return ders if der in ders else [*ders, der]


def tsa_certificate_ders() -> list[bytes]:
    """The certificate of the local development TSA, when the portal uses it (PORTAL_TSA_URL unset),
    to trust its timestamps; a public TSA's are checked to be intact."""
    config = current_app.config
    if config.get("PORTAL_TSA_URL"):
        return []
    try:
        certificate = _certificate_facts(Path(config.get("PORTAL_TSA_CERT") or "").read_bytes())
    except (OSError, ValueError):
        return []
    return [certificate.public_bytes(serialization.Encoding.DER)]


@dataclass(frozen=True)
class RotatedKey:
    """A new signing key and its certificate (PEM), stored among the portal's certificates: the
    caller commits, then puts the files in place (write_key_pair)."""

    key_pem: bytes
    cert_pem: bytes
    certificate: SigningCertificate


def rotate_signing_key(actor) -> RotatedKey:
    """A new key pair for signing from now on. The certificate in use so far stays among the
    portal's certificates (stored now if it never was), so every document signed with it keeps
    verifying; the new one is stored, the audit event "signing.rotate_key" recorded and the event
    "signing.key_rotated" emitted (data: certificate_sha256, not_before). Flushes, never commits;
    the files are replaced by write_key_pair() after the commit."""
    try:
        register_certificate(Path(current_app.config["PORTAL_SIGNING_CERT"]).read_bytes())
    except OSError:
        pass  # no key yet: nothing signed with it
    key_pem, cert_pem = signing.development_key_pair()
    row = register_certificate(cert_pem)
    not_before = row.not_before.isoformat()
    audit.record(actor, "signing.rotate_key", row, certificate_sha256=row.sha256, not_before=not_before)
    events.emit("signing.key_rotated", row, actor, certificate_sha256=row.sha256, not_before=not_before)
    db.session.flush()
    return RotatedKey(key_pem, cert_pem, row)


def write_key_pair(key_pem: bytes, cert_pem: bytes) -> None:
    """Put a key pair in place at PORTAL_SIGNING_KEY / PORTAL_SIGNING_CERT (mode 0600): each file
    is written beside its target and renamed over it, so a reader sees the old file or the new."""
    config = current_app.config
    for target, data in (
        (Path(config["PORTAL_SIGNING_KEY"]), key_pem),
        (Path(config["PORTAL_SIGNING_CERT"]), cert_pem),
    ):
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".{target.name}.new")
        temporary.unlink(missing_ok=True)
        signing.write_private(temporary, data)
        temporary.replace(target)


# --- verifying a copy ---------------------------------------------------------------------


class Verdict(StrEnum):
    AUTHENTIC = "authentic"  # exactly the bytes of a published record
    ALTERED = "altered"  # carries the portal's signature, but is not what was published
    UNKNOWN = "unknown"  # nothing the portal published: no portal signature, or an unknown SHA-256
    UNCHECKED = "unchecked"  # not published, and too costly to read within the limits: not checked


@dataclass(frozen=True)
class Verification:
    """What a check found. `publications`: the log entries of the document (oldest first), each
    naming the object it records by object_type and object_id; the features know what those are."""

    verdict: Verdict
    sha256: str  # of the uploaded bytes, or the SHA-256 or fingerprint typed (lowercase)
    document: Document | None = None
    publications: list[PublicationLogEntry] = field(default_factory=list)
    # "file": the file's SHA-256 matched; "text": the fingerprint of a record's text did (the
    # records of every document with that text are in `publications`).
    matched: str = "file"


def publications_of(document: Document) -> list[PublicationLogEntry]:
    """Every publication of `document`, oldest first."""
    return list(
        db.session.scalars(
            select(PublicationLogEntry)
            .where(PublicationLogEntry.document_sha256 == document.sha256)
            .order_by(PublicationLogEntry.sequence)
        )
    )


def _authentic(document: Document) -> Verification:
    return Verification(Verdict.AUTHENTIC, document.sha256, document, publications_of(document))


def verify_upload(pdf_bytes: bytes) -> Verification:
    """Is this file a record the portal published? AUTHENTIC when these exact bytes are in the
    archive (answered from the SHA-256 alone: no parsing); ALTERED when they carry the portal's
    signature (intact or broken) but are not in the archive — a signed record changed afterwards,
    or signed and never published; UNKNOWN for anything else; UNCHECKED when reading the file hit
    the limits of portal.documents.checking. Raises checking.CheckerBusy when too many files are
    being read at once; never raises for what it is given."""
    digest = sha256_hex(pdf_bytes)
    document = find_by_sha256(digest)
    if document is not None:
        return _authentic(document)
    outcome = checking.check_signature(
        pdf_bytes, certificates=certificate_ders(), tsa_certificates=tsa_certificate_ders()
    )
    if outcome in ("valid", "broken"):
        return Verification(Verdict.ALTERED, digest)
    if outcome == "unchecked":
        return Verification(Verdict.UNCHECKED, digest)
    return Verification(Verdict.UNKNOWN, digest)


def verify_sha256(hex_digest: str) -> Verification:
    """Is a file with this SHA-256 (64 hex digits, either case) a published record?
    AUTHENTIC with what it records, or UNKNOWN."""
    digest = hex_digest.strip().lower()
    document = find_by_sha256(digest)
    return _authentic(document) if document is not None else Verification(Verdict.UNKNOWN, digest)


def verify_fingerprint(hex_digest: str) -> Verification:
    """Is this the fingerprint printed at the foot of a published record's pages (the SHA-256 of
    its text)? AUTHENTIC (matched "text") with the records of every document with that text, or
    UNKNOWN."""
    digest = hex_digest.strip().lower()
    documents = find_by_text_sha256(digest)
    if not documents:
        return Verification(Verdict.UNKNOWN, digest)
    publications = [entry for document in documents for entry in publications_of(document)]
    publications.sort(key=lambda entry: entry.sequence)
    return Verification(Verdict.AUTHENTIC, digest, documents[0], publications, matched="text")


def verify_digest(hex_digest: str) -> Verification:
    """What someone typed into /verify: a file's SHA-256 or a text fingerprint (both are 64 hex
    digits). The file's SHA-256 first, then the fingerprint; UNKNOWN when neither is published."""
    verification = verify_sha256(hex_digest)
    return verification if verification.verdict != Verdict.UNKNOWN else verify_fingerprint(hex_digest)
