"""Archived documents and the publication log. Both are append-only: the ORM refuses to change
or delete a row (as for the audit trail), and `verify_archive()` finds what was changed behind
the ORM's back."""

import hashlib
import json
from datetime import UTC, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.clock import utcnow
from portal.domain import Labelled
from portal.extensions import AppendOnly, AppendOnlyError, db, str_enum

SHA256_HEX_LENGTH = 64
GENESIS_HASH = "0" * SHA256_HEX_LENGTH  # the "previous hash" of the first entry


class ArchiveIsAppendOnly(AppendOnlyError):
    pass


class DocumentKind(Labelled):
    DECISION = "decision", _l("Decision")
    CHARTER_VERSION = "charter_version", _l("Charter")
    MINUTES = "minutes", _l("Minutes of a meeting")
    OUTCOME = "outcome", _l("Outcome of a consultation")
    DISCLOSURE = "disclosure", _l("Disclosure of a school")


class Document(AppendOnly, db.Model):
    """The bytes of one published file, exactly as rendered and signed, stored once."""

    __tablename__ = "document"
    append_only_error = ArchiveIsAppendOnly
    __table_args__ = (
        CheckConstraint(
            f"length(sha256) = {SHA256_HEX_LENGTH} AND lower(sha256) = sha256", name="sha256_lowercase_hex"
        ),
        CheckConstraint("size >= 0", name="size_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(SHA256_HEX_LENGTH), unique=True, index=True)
    media_type: Mapped[str] = mapped_column(String(100), default="application/pdf")
    size: Mapped[int]
    # Deferred: lists and lookups never load the bytes; reading .content loads them.
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    kind: Mapped[DocumentKind] = mapped_column(str_enum(DocumentKind))
    signed: Mapped[bool] = mapped_column(default=False)
    # The SHA-256 of the document's text, as printed at the foot of its pages (render.body_fingerprint):
    # what a reader of a paper copy types into /verify. None for documents archived before it was kept.
    text_sha256: Mapped[str | None] = mapped_column(String(SHA256_HEX_LENGTH), index=True)

    def __repr__(self):
        return f"<Document {self.id} {self.kind} {self.sha256[:12]}>"


class SigningCertificate(AppendOnly, db.Model):
    """A certificate the portal has signed documents with. Kept for ever, and published at
    /log/certificates: a document is checked against the certificate in its own signature,
    accepted when it is one of these, so rotating the key never makes an older document fail."""

    __tablename__ = "signing_certificate"
    append_only_error = ArchiveIsAppendOnly
    __table_args__ = (
        CheckConstraint(
            f"length(sha256) = {SHA256_HEX_LENGTH} AND lower(sha256) = sha256", name="sha256_lowercase_hex"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(SHA256_HEX_LENGTH), unique=True)  # of the DER bytes
    pem: Mapped[str] = mapped_column(Text)
    subject: Mapped[str] = mapped_column(String(500))
    not_before: Mapped[datetime]
    not_after: Mapped[datetime]
    added_at: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self):
        return f"<SigningCertificate {self.id} {self.sha256[:12]}>"


class PublicationLogEntry(AppendOnly, db.Model):
    """One publication: which document records which object, when. Every entry's hash covers the
    previous entry's hash, so removing, reordering or editing an entry breaks the chain."""

    __tablename__ = "publication_log_entry"
    append_only_error = ArchiveIsAppendOnly
    __table_args__ = (CheckConstraint("sequence >= 1", name="sequence_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sequence: Mapped[int] = mapped_column(unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    document_sha256: Mapped[str] = mapped_column(ForeignKey("document.sha256"), index=True)
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[int]
    previous_hash: Mapped[str] = mapped_column(String(SHA256_HEX_LENGTH))
    entry_hash: Mapped[str] = mapped_column(String(SHA256_HEX_LENGTH), unique=True)

    def compute_hash(self) -> str:
        return entry_hash(
            sequence=self.sequence,
            previous_hash=self.previous_hash,
            document_sha256=self.document_sha256,
            object_type=self.object_type,
            object_id=self.object_id,
            created_at=self.created_at,
        )

    def __repr__(self):
        return f"<PublicationLogEntry {self.sequence} {self.object_type}:{self.object_id}>"


def iso_utc(moment: datetime) -> str:
    """The one textual form of a timestamp inside a hash: UTC, microseconds, 'Z'."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime in the publication log")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def entry_hash(
    *, sequence: int, previous_hash: str, document_sha256: str, object_type: str, object_id: int, created_at: datetime
) -> str:
    """SHA-256 (lowercase hex) of the canonical JSON of an entry: sorted keys, no spaces, UTF-8.
    Anyone can recompute it from an export of the log."""
    canonical = json.dumps(
        {
            "sequence": int(sequence),
            "previous_hash": previous_hash,
            "document_sha256": document_sha256,
            "object_type": object_type,
            "object_id": int(object_id),
            "created_at": iso_utc(created_at),
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
