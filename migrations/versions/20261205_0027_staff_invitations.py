"""Staff invitations: the commission appoints someone (a school's or an authority's staff, or a
school's responsible supervisor) by an email address that no account uses yet. The invitation
(staff_invitation) holds the role, the place, a supervisor's public contact, and the hash of the
link mailed to the address; the role is granted once an account with that address exists.

Revision ID: 0027
Revises: 0026
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "staff_invitation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "parent",
                "board_member",
                "school_admin",
                "moderator",
                "commission_admin",
                "supervisor",
                name="role",
                native_enum=False,
                length=30,
            ),
            nullable=False,
        ),
        sa.Column("school_id", sa.Integer(), nullable=True),
        sa.Column("authority_id", sa.Integer(), nullable=True),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("invited_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("accepted_by_id", sa.Integer(), nullable=True),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("public_contact", sa.String(length=120), server_default="", nullable=False),
        sa.CheckConstraint(
            "(school_id IS NOT NULL AND authority_id IS NULL"
            " AND role IN ('board_member', 'school_admin', 'supervisor'))"
            " OR (school_id IS NULL AND authority_id IS NOT NULL AND role IN ('moderator', 'commission_admin'))",
            name=op.f("ck_staff_invitation_scope_matches_role"),
        ),
        sa.ForeignKeyConstraint(
            ["accepted_by_id"], ["user_account.id"], name=op.f("fk_staff_invitation_accepted_by_id_user_account")
        ),
        sa.ForeignKeyConstraint(
            ["authority_id"], ["authority.id"], name=op.f("fk_staff_invitation_authority_id_authority")
        ),
        sa.ForeignKeyConstraint(
            ["invited_by_id"], ["user_account.id"], name=op.f("fk_staff_invitation_invited_by_id_user_account")
        ),
        sa.ForeignKeyConstraint(["school_id"], ["school.id"], name=op.f("fk_staff_invitation_school_id_school")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_invitation")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_staff_invitation_token_hash")),
    )
    op.create_index(op.f("ix_staff_invitation_email"), "staff_invitation", ["email"], unique=False)
    op.create_index(op.f("ix_staff_invitation_school_id"), "staff_invitation", ["school_id"], unique=False)
    op.create_index(op.f("ix_staff_invitation_authority_id"), "staff_invitation", ["authority_id"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_staff_invitation_authority_id"), table_name="staff_invitation")
    op.drop_index(op.f("ix_staff_invitation_school_id"), table_name="staff_invitation")
    op.drop_index(op.f("ix_staff_invitation_email"), table_name="staff_invitation")
    op.drop_table("staff_invitation")
