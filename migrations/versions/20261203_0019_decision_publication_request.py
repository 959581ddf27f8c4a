"""Publishing a decision happens in the job worker: the draft records that its publication was
asked for (the request's key and when), and why the last attempt failed, if it did.

Revision ID: 0019
Revises: 0017
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0019"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade():
    # Natively, never in a batch: nullable columns need no copy of the table.
    op.add_column("decision", sa.Column("publishing_key", sa.String(length=36), nullable=True))
    op.add_column("decision", sa.Column("publishing_since", sa.DateTime(timezone=True), nullable=True))
    op.add_column("decision", sa.Column("publishing_failure", sa.String(length=40), nullable=True))


def downgrade():
    # As 0015 does: natively on both (SQLite ≥ 3.35), without copying the table.
    op.execute("ALTER TABLE decision DROP COLUMN publishing_failure")
    op.execute("ALTER TABLE decision DROP COLUMN publishing_since")
    op.execute("ALTER TABLE decision DROP COLUMN publishing_key")
