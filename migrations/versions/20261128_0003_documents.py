"""Documents: archived PDFs stored once by SHA-256, and the hash-chained publication log.

Reviewed by hand after autogenerate. Both tables are new and start empty. The log's entries
point at documents by SHA-256 (unique), so a referenced document cannot be deleted.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 10:33:26.884433

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "document",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "decision", "charter_version", "minutes", "outcome", name="documentkind", native_enum=False, length=30
            ),
            nullable=False,
        ),
        sa.Column("signed", sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            "length(sha256) = 64 AND lower(sha256) = sha256", name=op.f("ck_document_sha256_lowercase_hex")
        ),
        sa.CheckConstraint("size >= 0", name=op.f("ck_document_size_not_negative")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document")),
    )
    with op.batch_alter_table("document", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_document_sha256"), ["sha256"], unique=True)

    op.create_table(
        "publication_log_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("document_sha256", sa.String(length=64), nullable=False),
        sa.Column("object_type", sa.String(length=40), nullable=False),
        sa.Column("object_id", sa.Integer(), nullable=False),
        sa.Column("previous_hash", sa.String(length=64), nullable=False),
        sa.Column("entry_hash", sa.String(length=64), nullable=False),
        sa.CheckConstraint("sequence >= 1", name=op.f("ck_publication_log_entry_sequence_positive")),
        sa.ForeignKeyConstraint(
            ["document_sha256"], ["document.sha256"], name=op.f("fk_publication_log_entry_document_sha256_document")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_publication_log_entry")),
        sa.UniqueConstraint("entry_hash", name=op.f("uq_publication_log_entry_entry_hash")),
        sa.UniqueConstraint("sequence", name=op.f("uq_publication_log_entry_sequence")),
    )
    with op.batch_alter_table("publication_log_entry", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_publication_log_entry_document_sha256"), ["document_sha256"], unique=False)


def downgrade():
    with op.batch_alter_table("publication_log_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_publication_log_entry_document_sha256"))

    op.drop_table("publication_log_entry")
    with op.batch_alter_table("document", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_document_sha256"))

    op.drop_table("document")
