"""Decisions: drafts and published decisions with their numbers per school and year, the
decision-number prefix of a school, and the archived PDFs of charter versions and minutes.

Reviewed by hand after autogenerate. The decision table is new. The new columns on existing
tables are nullable or have a server default ('' for the prefix), so existing rows stay valid.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 11:38:11.265912

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "decision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("draft", "published", "superseded", "revoked", name="decisionstatus", native_enum=False, length=30),
            nullable=False,
        ),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=True),
        sa.Column("votes_for", sa.Integer(), nullable=False),
        sa.Column("votes_against", sa.Integer(), nullable=False),
        sa.Column("votes_abstain", sa.Integer(), nullable=False),
        sa.Column("effective_on", sa.Date(), nullable=True),
        sa.Column("supersedes_id", sa.Integer(), nullable=True),
        sa.Column("revokes_id", sa.Integer(), nullable=True),
        sa.Column("charter_version_id", sa.Integer(), nullable=True),
        sa.Column("number", sa.String(length=70), nullable=True),
        sa.Column("number_year", sa.Integer(), nullable=True),
        sa.Column("number_sequence", sa.Integer(), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("published_by_id", sa.Integer(), nullable=True),
        sa.Column("document_sha256", sa.String(length=64), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(status = 'draft') = (number IS NULL)", name=op.f("ck_decision_number_only_when_published")
        ),
        sa.CheckConstraint(
            "votes_for >= 0 AND votes_against >= 0 AND votes_abstain >= 0", name=op.f("ck_decision_votes_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["charter_version_id"], ["charter_version.id"], name=op.f("fk_decision_charter_version_id_charter_version")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["user_account.id"], name=op.f("fk_decision_created_by_id_user_account")
        ),
        sa.ForeignKeyConstraint(
            ["document_sha256"], ["document.sha256"], name=op.f("fk_decision_document_sha256_document")
        ),
        sa.ForeignKeyConstraint(["meeting_id"], ["meeting.id"], name=op.f("fk_decision_meeting_id_meeting")),
        sa.ForeignKeyConstraint(
            ["published_by_id"], ["user_account.id"], name=op.f("fk_decision_published_by_id_user_account")
        ),
        sa.ForeignKeyConstraint(["revokes_id"], ["decision.id"], name=op.f("fk_decision_revokes_id_decision")),
        sa.ForeignKeyConstraint(["school_id"], ["school.id"], name=op.f("fk_decision_school_id_school")),
        sa.ForeignKeyConstraint(["supersedes_id"], ["decision.id"], name=op.f("fk_decision_supersedes_id_decision")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_decision")),
        sa.UniqueConstraint("school_id", "number_year", "number_sequence", name="uq_decision_school_year_sequence"),
    )
    with op.batch_alter_table("decision", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_decision_charter_version_id"), ["charter_version_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_decision_document_sha256"), ["document_sha256"], unique=False)
        batch_op.create_index(batch_op.f("ix_decision_meeting_id"), ["meeting_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_decision_revokes_id"), ["revokes_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_decision_school_id"), ["school_id"], unique=False)
        batch_op.create_index(
            "ix_decision_school_status_published_at", ["school_id", "status", "published_at"], unique=False
        )
        batch_op.create_index("ix_decision_status_published_at", ["status", "published_at"], unique=False)
        batch_op.create_index("ix_decision_published_at_id", ["published_at", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_decision_supersedes_id"), ["supersedes_id"], unique=False)

    with op.batch_alter_table("charter_version", schema=None) as batch_op:
        batch_op.add_column(sa.Column("document_sha256", sa.String(length=64), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_charter_version_document_sha256_document"), "document", ["document_sha256"], ["sha256"]
        )

    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.add_column(sa.Column("minutes_document_sha256", sa.String(length=64), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_meeting_minutes_document_sha256_document"),
            "document",
            ["minutes_document_sha256"],
            ["sha256"],
        )

    with op.batch_alter_table("school", schema=None) as batch_op:
        batch_op.add_column(sa.Column("decision_prefix", sa.String(length=40), server_default="", nullable=False))


def downgrade():
    with op.batch_alter_table("school", schema=None) as batch_op:
        batch_op.drop_column("decision_prefix")

    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_meeting_minutes_document_sha256_document"), type_="foreignkey")
        batch_op.drop_column("minutes_document_sha256")

    with op.batch_alter_table("charter_version", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_charter_version_document_sha256_document"), type_="foreignkey")
        batch_op.drop_column("document_sha256")

    with op.batch_alter_table("decision", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_decision_supersedes_id"))
        batch_op.drop_index("ix_decision_status_published_at")
        batch_op.drop_index("ix_decision_published_at_id")
        batch_op.drop_index("ix_decision_school_status_published_at")
        batch_op.drop_index(batch_op.f("ix_decision_school_id"))
        batch_op.drop_index(batch_op.f("ix_decision_revokes_id"))
        batch_op.drop_index(batch_op.f("ix_decision_meeting_id"))
        batch_op.drop_index(batch_op.f("ix_decision_document_sha256"))
        batch_op.drop_index(batch_op.f("ix_decision_charter_version_id"))

    op.drop_table("decision")
