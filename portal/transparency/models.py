"""The transparency log: leaves (one per publication or change of status), the hashes of its
complete subtrees (so roots and proofs read O(log n) rows, not n), the signed checkpoints and the
witnesses' cosignatures. Every table is append-only (the ORM refuses changes and deletions, as for
the publication log); what an insider changes behind the ORM's back, a saved checkpoint reveals."""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.clock import utcnow
from portal.extensions import AppendOnly, AppendOnlyError, db


class LogIsAppendOnly(AppendOnlyError):
    pass


class LogLeaf(AppendOnly, db.Model):
    """One leaf: `leaf` holds the exact bytes hashed into the tree (canonical JSON); the other
    columns repeat some of its fields for lookups."""

    __tablename__ = "log_leaf"
    append_only_error = LogIsAppendOnly
    __table_args__ = (
        CheckConstraint("leaf_index >= 0", name="leaf_index_not_negative"),
        Index("ix_log_leaf_record", "record", "leaf_index"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    leaf_index: Mapped[int] = mapped_column(unique=True)
    leaf: Mapped[bytes] = mapped_column(LargeBinary)
    kind: Mapped[str] = mapped_column(String(30))
    record: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(30))
    published_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self):
        return f"<LogLeaf {self.leaf_index} {self.kind} {self.record} {self.status}>"


class LogNode(AppendOnly, db.Model):
    """The hash of the complete subtree of 2**level leaves starting at leaf position * 2**level
    (level 0: the leaf hashes). Written once, when its last leaf is appended."""

    __tablename__ = "log_node"
    append_only_error = LogIsAppendOnly
    __table_args__ = (UniqueConstraint("level", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    level: Mapped[int]
    position: Mapped[int]
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class LogCheckpoint(AppendOnly, db.Model):
    """A signed checkpoint (the whole signed note, as served)."""

    __tablename__ = "log_checkpoint"
    append_only_error = LogIsAppendOnly
    __table_args__ = (CheckConstraint("tree_size >= 0", name="tree_size_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tree_size: Mapped[int] = mapped_column(index=True)
    root_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    note: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LogCosignature(AppendOnly, db.Model):
    """A configured witness's cosignature of a checkpoint, verified before it was stored."""

    __tablename__ = "log_cosignature"
    append_only_error = LogIsAppendOnly
    __table_args__ = (UniqueConstraint("checkpoint_id", "witness_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    checkpoint_id: Mapped[int] = mapped_column(ForeignKey("log_checkpoint.id"), index=True)
    witness_key: Mapped[str] = mapped_column(String(300))
    signed_at: Mapped[datetime]
    line: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
