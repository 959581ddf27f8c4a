"""Signing certificates: every certificate the portal has signed with, kept when the key is
rotated and published at /log/certificates; and each document's text fingerprint (the SHA-256
printed at the foot of its pages), so that /verify finds a record from a paper copy.

Revision ID: 0017
Revises: 0016
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "signing_certificate",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("pem", sa.Text(), nullable=False),
        sa.Column("subject", sa.String(length=500), nullable=False),
        sa.Column("not_before", sa.DateTime(timezone=True), nullable=False),
        sa.Column("not_after", sa.DateTime(timezone=True), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "length(sha256) = 64 AND lower(sha256) = sha256", name=op.f("ck_signing_certificate_sha256_lowercase_hex")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signing_certificate")),
        sa.UniqueConstraint("sha256", name=op.f("uq_signing_certificate_sha256")),
    )
    # Natively, never in a batch (a batch copies the table, which the publication log references).
    op.add_column("document", sa.Column("text_sha256", sa.String(length=64), nullable=True))
    op.create_index(op.f("ix_document_text_sha256"), "document", ["text_sha256"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_document_text_sha256"), table_name="document")
    op.execute("ALTER TABLE document DROP COLUMN text_sha256")
    op.drop_table("signing_certificate")
