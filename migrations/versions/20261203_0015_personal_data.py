"""Personal data (PIPL): the privacy notice a person accepted, when an account was erased, and
the copies of their data prepared for download (the files live under instance/exports/).

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade():
    # Natively, never in a batch: a batch would copy user_account, which other tables' rows
    # reference, and fail on their foreign keys in a database with data (SQLite).
    op.add_column("user_account", sa.Column("privacy_version", sa.String(length=20), nullable=True))
    op.add_column("user_account", sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "data_export",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("preparing", "ready", "failed", name="exportstatus", native_enum=False, length=30),
            nullable=False,
        ),
        sa.Column("file_name", sa.String(length=80), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ready_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], name=op.f("fk_data_export_user_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_export")),
    )
    op.create_index(op.f("ix_data_export_user_id"), "data_export", ["user_id"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_data_export_user_id"), table_name="data_export")
    op.drop_table("data_export")
    op.execute("ALTER TABLE user_account DROP COLUMN deleted_at")
    op.execute("ALTER TABLE user_account DROP COLUMN privacy_version")
