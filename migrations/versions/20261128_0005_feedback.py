"""Feedback: the suggestion box. Items sent to a school (feedback), their timeline of status
changes and replies (feedback_event), and the counter that numbers them per year
(feedback_reference_counter, one row a year, incremented in the sending transaction).

Reviewed by hand after autogenerate. Three new tables and nothing changed on existing ones, so
existing rows are untouched. The indexes serve the school's inbox (school, status, age) and a
person's "my feedback" (author, newest first).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 12:14:22.761476

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "feedback_reference_counter",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_sequence", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_feedback_reference_counter")),
    )
    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column(
            "category",
            sa.Enum(
                "teaching",
                "safety",
                "canteen",
                "fees",
                "facilities",
                "other",
                name="feedbackcategory",
                native_enum=False,
                length=30,
            ),
            nullable=False,
        ),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("private", sa.Boolean(), nullable=False),
        sa.Column("reference", sa.String(length=20), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "received", "in_progress", "answered", "closed", name="feedbackstatus", native_enum=False, length=30
            ),
            nullable=False,
        ),
        sa.Column("submission_token", sa.String(length=32), nullable=False),
        sa.Column("replied_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("sequence > 0", name=op.f("ck_feedback_sequence_positive")),
        sa.ForeignKeyConstraint(["author_id"], ["user_account.id"], name=op.f("fk_feedback_author_id_user_account")),
        sa.ForeignKeyConstraint(["school_id"], ["school.id"], name=op.f("fk_feedback_school_id_school")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback")),
        sa.UniqueConstraint("author_id", "submission_token", name="uq_feedback_author_submission_token"),
        sa.UniqueConstraint("reference", name=op.f("uq_feedback_reference")),
        sa.UniqueConstraint("year", "sequence", name="uq_feedback_year_sequence"),
    )
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.create_index("ix_feedback_author_created_at", ["author_id", "created_at"], unique=False)
        batch_op.create_index(
            "ix_feedback_school_status_created_at", ["school_id", "status", "created_at"], unique=False
        )

    op.create_table(
        "feedback_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("feedback_id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column(
            "kind", sa.Enum("status_change", "reply", name="eventkind", native_enum=False, length=30), nullable=False
        ),
        sa.Column(
            "status",
            sa.Enum(
                "received", "in_progress", "answered", "closed", name="feedbackstatus", native_enum=False, length=30
            ),
            nullable=True,
        ),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind = 'reply' OR status IS NOT NULL", name=op.f("ck_feedback_event_status_change_has_status")
        ),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["user_account.id"], name=op.f("fk_feedback_event_actor_id_user_account")
        ),
        sa.ForeignKeyConstraint(["feedback_id"], ["feedback.id"], name=op.f("fk_feedback_event_feedback_id_feedback")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_event")),
    )
    with op.batch_alter_table("feedback_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_feedback_event_feedback_id"), ["feedback_id"], unique=False)


def downgrade():
    with op.batch_alter_table("feedback_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_feedback_event_feedback_id"))

    op.drop_table("feedback_event")
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.drop_index("ix_feedback_school_status_created_at")
        batch_op.drop_index("ix_feedback_author_created_at")

    op.drop_table("feedback")
    op.drop_table("feedback_reference_counter")
