"""The disclosure checklist (校务公开): the catalogue of items schools must publish, and what each
school published against them. The responsible supervisor (责任督学): a school role with a public
contact, and the cases referred to them (feedback's new status "escalated" and the notification
kind "supervision" are values of VARCHAR columns: nothing to change for them).

Revision ID: 0021
Revises: 0020
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def _enum(name, *values):
    return sa.Enum(*values, name=name, native_enum=False, length=30)


OLD_SCOPE_RULE = (
    "(school_id IS NOT NULL AND authority_id IS NULL AND role IN ('parent', 'board_member', 'school_admin')) "
    "OR (school_id IS NULL AND authority_id IS NOT NULL AND role IN ('moderator', 'commission_admin'))"
)
NEW_SCOPE_RULE = (
    "(school_id IS NOT NULL AND authority_id IS NULL"
    " AND role IN ('parent', 'board_member', 'school_admin', 'supervisor'))"
    " OR (school_id IS NULL AND authority_id IS NOT NULL AND role IN ('moderator', 'commission_admin'))"
)


def _membership_scope_rule(rule: str) -> None:
    """Replace membership's CHECK constraint. SQLite cannot alter one: the table is copied (a batch;
    nothing references membership), and the copy gets the new rule in place of the old."""
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table("membership", recreate="always") as batch_op:
            batch_op.drop_constraint(op.f("ck_membership_scope_matches_role"), type_="check")
            batch_op.create_check_constraint(op.f("ck_membership_scope_matches_role"), sa.text(rule))
        return
    op.drop_constraint(op.f("ck_membership_scope_matches_role"), "membership", type_="check")
    op.create_check_constraint(op.f("ck_membership_scope_matches_role"), "membership", sa.text(rule))


def upgrade():
    op.add_column("membership", sa.Column("public_contact", sa.String(length=120), server_default="", nullable=False))
    _membership_scope_rule(NEW_SCOPE_RULE)
    op.create_table(
        "supervision_case",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("feedback_id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("kind", _enum("casekind", "escalated", "review"), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("answer_public", sa.Boolean(), nullable=False),
        sa.Column("school_to_answer_by", sa.Date(), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answered_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("kind = 'escalated' OR reason <> ''", name=op.f("ck_supervision_case_review_has_reason")),
        sa.ForeignKeyConstraint(
            ["answered_by_id"], ["user_account.id"], name=op.f("fk_supervision_case_answered_by_id_user_account")
        ),
        sa.ForeignKeyConstraint(
            ["feedback_id"], ["feedback.id"], name=op.f("fk_supervision_case_feedback_id_feedback")
        ),
        sa.ForeignKeyConstraint(["school_id"], ["school.id"], name=op.f("fk_supervision_case_school_id_school")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supervision_case")),
        sa.UniqueConstraint("feedback_id", "kind", name="uq_supervision_case_feedback_kind"),
    )
    op.create_index(
        "ix_supervision_case_school_answered_opened",
        "supervision_case",
        ["school_id", "answered_at", "opened_at"],
        unique=False,
    )
    op.create_table(
        "disclosure_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("authority_id", sa.Integer(), nullable=True),
        sa.Column(
            "category",
            _enum("disclosurecategory", "basic", "admissions", "finance", "governance", "safety"),
            nullable=False,
        ),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title_zh", sa.String(length=200), nullable=False),
        sa.Column("title_en", sa.String(length=200), nullable=False),
        sa.Column("content_zh", sa.String(length=1000), nullable=False),
        sa.Column("content_en", sa.String(length=1000), nullable=False),
        sa.Column("basis", sa.String(length=500), nullable=False),
        sa.Column("deadline_days", sa.Integer(), nullable=False),
        sa.Column("publisher", _enum("publisher", "school", "bureau"), nullable=False),
        sa.Column("audience", _enum("disclosureaudience", "public", "parents"), nullable=False),
        sa.Column(
            "satisfied_by", _enum("satisfiedby", "", "charter", "decision", "minutes", "outcome"), nullable=False
        ),
        sa.Column("source_title", sa.String(length=200), nullable=False),
        sa.Column("source_url", sa.String(length=500), nullable=False),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "deadline_days > 0 AND deadline_days <= 250", name=op.f("ck_disclosure_item_deadline_in_range")
        ),
        sa.ForeignKeyConstraint(
            ["authority_id"], ["authority.id"], name=op.f("fk_disclosure_item_authority_id_authority")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disclosure_item")),
        sa.UniqueConstraint("code", name=op.f("uq_disclosure_item_code")),
    )
    op.create_index(op.f("ix_disclosure_item_authority_id"), "disclosure_item", ["authority_id"], unique=False)
    op.create_table(
        "school_disclosure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("status", _enum("disclosurestatus", "draft", "published"), nullable=False),
        sa.Column("formed_on", sa.Date(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("document_sha256", sa.String(length=64), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("published_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status = 'draft' OR published_at IS NOT NULL", name=op.f("ck_school_disclosure_published_has_time")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["user_account.id"], name=op.f("fk_school_disclosure_created_by_id_user_account")
        ),
        sa.ForeignKeyConstraint(
            ["document_sha256"], ["document.sha256"], name=op.f("fk_school_disclosure_document_sha256_document")
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["disclosure_item.id"], name=op.f("fk_school_disclosure_item_id_disclosure_item")
        ),
        sa.ForeignKeyConstraint(
            ["published_by_id"], ["user_account.id"], name=op.f("fk_school_disclosure_published_by_id_user_account")
        ),
        sa.ForeignKeyConstraint(["school_id"], ["school.id"], name=op.f("fk_school_disclosure_school_id_school")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_school_disclosure")),
    )
    op.create_index(op.f("ix_school_disclosure_item_id"), "school_disclosure", ["item_id"], unique=False)
    op.create_index(
        "ix_school_disclosure_school_item_status", "school_disclosure", ["school_id", "item_id", "status"], unique=False
    )


def downgrade():
    op.drop_index("ix_supervision_case_school_answered_opened", table_name="supervision_case")
    op.drop_table("supervision_case")
    op.execute("DELETE FROM membership WHERE role = 'supervisor'")
    _membership_scope_rule(OLD_SCOPE_RULE)
    op.drop_column("membership", "public_contact")
    op.drop_index("ix_school_disclosure_school_item_status", table_name="school_disclosure")
    op.drop_index(op.f("ix_school_disclosure_item_id"), table_name="school_disclosure")
    op.drop_table("school_disclosure")
    op.drop_index(op.f("ix_disclosure_item_authority_id"), table_name="disclosure_item")
    op.drop_table("disclosure_item")
