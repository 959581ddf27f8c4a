"""Consultations: proposals open for comment with their questions, responses (and their earlier
versions), running tallies of the published responses, reports, outcome themes; and the link
from a decision to the consultation it answers.

Reviewed by hand after autogenerate. Every table is new; the new column on decision is nullable.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "consultation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=True),
        sa.Column("authority_id", sa.Integer(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "submitted",
                "approved",
                "closed",
                "outcome_published",
                name="consultationstatus",
                native_enum=False,
                length=30,
            ),
            nullable=False,
        ),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("summary", sa.String(length=500), nullable=False),
        sa.Column("proposal", sa.Text(), nullable=False),
        sa.Column(
            "audience", sa.Enum("registered", "parents", name="audience", native_enum=False, length=30), nullable=False
        ),
        sa.Column(
            "moderation", sa.Enum("pre", "post", name="moderationmode", native_enum=False, length=30), nullable=False
        ),
        sa.Column("opens_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closes_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_back_reason", sa.Text(), nullable=False),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("approved_by_id", sa.Integer(), nullable=True),
        sa.Column("closed_early_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("close_reason", sa.Text(), nullable=False),
        sa.Column("outcome_heard", sa.Text(), nullable=False),
        sa.Column("outcome_changes", sa.Text(), nullable=False),
        sa.Column("outcome_published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome_document_sha256", sa.String(length=64), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("(school_id IS NULL) <> (authority_id IS NULL)", name=op.f("ck_consultation_one_owner")),
        sa.CheckConstraint("closes_at > opens_at", name=op.f("ck_consultation_closes_after_opening")),
        sa.ForeignKeyConstraint(
            ["approved_by_id"], ["user_account.id"], name=op.f("fk_consultation_approved_by_id_user_account")
        ),
        sa.ForeignKeyConstraint(
            ["authority_id"], ["authority.id"], name=op.f("fk_consultation_authority_id_authority")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["user_account.id"], name=op.f("fk_consultation_created_by_id_user_account")
        ),
        sa.ForeignKeyConstraint(
            ["outcome_document_sha256"],
            ["document.sha256"],
            name=op.f("fk_consultation_outcome_document_sha256_document"),
        ),
        sa.ForeignKeyConstraint(["school_id"], ["school.id"], name=op.f("fk_consultation_school_id_school")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consultation")),
    )
    with op.batch_alter_table("consultation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_consultation_authority_id"), ["authority_id"], unique=False)
        batch_op.create_index("ix_consultation_school_status", ["school_id", "status"], unique=False)
        batch_op.create_index("ix_consultation_status_closes_at", ["status", "closes_at"], unique=False)

    op.create_table(
        "consultation_outcome_theme",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("consultation_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["consultation_id"],
            ["consultation.id"],
            name=op.f("fk_consultation_outcome_theme_consultation_id_consultation"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consultation_outcome_theme")),
    )
    with op.batch_alter_table("consultation_outcome_theme", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_consultation_outcome_theme_consultation_id"), ["consultation_id"], unique=False
        )

    op.create_table(
        "consultation_question",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("consultation_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("text", "single", "multiple", name="questionkind", native_enum=False, length=30),
            nullable=False,
        ),
        sa.Column("prompt", sa.String(length=300), nullable=False),
        sa.Column("choices", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["consultation_id"], ["consultation.id"], name=op.f("fk_consultation_question_consultation_id_consultation")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consultation_question")),
        sa.UniqueConstraint("consultation_id", "position", name="uq_consultation_question_position"),
    )
    with op.batch_alter_table("consultation_question", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_consultation_question_consultation_id"), ["consultation_id"], unique=False)

    op.create_table(
        "consultation_response",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("consultation_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column(
            "stance",
            sa.Enum("support", "oppose", "neutral", name="stance", native_enum=False, length=30),
            nullable=False,
        ),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("show_name", sa.Boolean(), nullable=False),
        sa.Column(
            "state",
            sa.Enum("pending", "published", "rejected", "hidden", name="responsestate", native_enum=False, length=30),
            nullable=False,
        ),
        sa.Column("reject_reason", sa.Text(), nullable=False),
        sa.Column("moderated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("moderated_by_id", sa.Integer(), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["user_account.id"], name=op.f("fk_consultation_response_author_id_user_account")
        ),
        sa.ForeignKeyConstraint(
            ["consultation_id"], ["consultation.id"], name=op.f("fk_consultation_response_consultation_id_consultation")
        ),
        sa.ForeignKeyConstraint(
            ["moderated_by_id"], ["user_account.id"], name=op.f("fk_consultation_response_moderated_by_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consultation_response")),
        sa.UniqueConstraint("consultation_id", "author_id", name="uq_consultation_response_author"),
    )
    with op.batch_alter_table("consultation_response", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_consultation_response_author_id"), ["author_id"], unique=False)
        batch_op.create_index("ix_consultation_response_list", ["consultation_id", "state", "id"], unique=False)
        batch_op.create_index(
            "ix_consultation_response_stance", ["consultation_id", "state", "stance", "id"], unique=False
        )
        batch_op.create_index("ix_consultation_response_state_created", ["state", "created_at"], unique=False)

    op.create_table(
        "consultation_tally",
        sa.Column("consultation_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=60), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["consultation_id"], ["consultation.id"], name=op.f("fk_consultation_tally_consultation_id_consultation")
        ),
        sa.PrimaryKeyConstraint("consultation_id", "key", name=op.f("pk_consultation_tally")),
    )
    op.create_table(
        "consultation_report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("response_id", sa.Integer(), nullable=False),
        sa.Column("reporter_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=1000), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_by_id", sa.Integer(), nullable=True),
        sa.Column("resolution", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["reporter_id"], ["user_account.id"], name=op.f("fk_consultation_report_reporter_id_user_account")
        ),
        sa.ForeignKeyConstraint(
            ["resolved_by_id"], ["user_account.id"], name=op.f("fk_consultation_report_resolved_by_id_user_account")
        ),
        sa.ForeignKeyConstraint(
            ["response_id"],
            ["consultation_response.id"],
            name=op.f("fk_consultation_report_response_id_consultation_response"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consultation_report")),
        sa.UniqueConstraint("response_id", "reporter_id", name="uq_consultation_report_reporter"),
    )
    with op.batch_alter_table("consultation_report", schema=None) as batch_op:
        batch_op.create_index("ix_consultation_report_open", ["resolved_at", "created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_consultation_report_reporter_id"), ["reporter_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_consultation_report_response_id"), ["response_id"], unique=False)

    op.create_table(
        "consultation_response_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("response_id", sa.Integer(), nullable=False),
        sa.Column(
            "stance",
            sa.Enum("support", "oppose", "neutral", name="stance", native_enum=False, length=30),
            nullable=False,
        ),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("show_name", sa.Boolean(), nullable=False),
        sa.Column(
            "state",
            sa.Enum("pending", "published", "rejected", "hidden", name="responsestate", native_enum=False, length=30),
            nullable=False,
        ),
        sa.Column("written_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["response_id"],
            ["consultation_response.id"],
            name=op.f("fk_consultation_response_version_response_id_consultation_response"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consultation_response_version")),
    )
    with op.batch_alter_table("consultation_response_version", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_consultation_response_version_response_id"), ["response_id"], unique=False)

    with op.batch_alter_table("decision", schema=None) as batch_op:
        batch_op.add_column(sa.Column("consultation_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_decision_consultation_id"), ["consultation_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_decision_consultation_id_consultation"), "consultation", ["consultation_id"], ["id"]
        )


def downgrade():
    with op.batch_alter_table("decision", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_decision_consultation_id_consultation"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_decision_consultation_id"))
        batch_op.drop_column("consultation_id")

    with op.batch_alter_table("consultation_response_version", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consultation_response_version_response_id"))

    op.drop_table("consultation_response_version")
    with op.batch_alter_table("consultation_report", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consultation_report_response_id"))
        batch_op.drop_index(batch_op.f("ix_consultation_report_reporter_id"))
        batch_op.drop_index("ix_consultation_report_open")

    op.drop_table("consultation_report")
    op.drop_table("consultation_tally")
    with op.batch_alter_table("consultation_response", schema=None) as batch_op:
        batch_op.drop_index("ix_consultation_response_state_created")
        batch_op.drop_index("ix_consultation_response_stance")
        batch_op.drop_index("ix_consultation_response_list")
        batch_op.drop_index(batch_op.f("ix_consultation_response_author_id"))

    op.drop_table("consultation_response")
    with op.batch_alter_table("consultation_question", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consultation_question_consultation_id"))

    op.drop_table("consultation_question")
    with op.batch_alter_table("consultation_outcome_theme", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consultation_outcome_theme_consultation_id"))

    op.drop_table("consultation_outcome_theme")
    with op.batch_alter_table("consultation", schema=None) as batch_op:
        batch_op.drop_index("ix_consultation_status_closes_at")
        batch_op.drop_index("ix_consultation_school_status")
        batch_op.drop_index(batch_op.f("ix_consultation_authority_id"))

    op.drop_table("consultation")
