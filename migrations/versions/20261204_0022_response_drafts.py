"""Unfinished responses: what a person typed into a consultation's response form without sending
it, kept so that they find it again and are told once before the consultation closes.

Revision ID: 0022
Revises: 0021
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "response_draft",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("consultation_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["consultation_id"], ["consultation.id"], name=op.f("fk_response_draft_consultation_id_consultation")
        ),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], name=op.f("fk_response_draft_user_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_response_draft")),
        sa.UniqueConstraint("consultation_id", "user_id", name="uq_response_draft_consultation_user"),
    )
    op.create_index("ix_response_draft_user_id", "response_draft", ["user_id"], unique=False)


def downgrade():
    op.drop_index("ix_response_draft_user_id", table_name="response_draft")
    op.drop_table("response_draft")
