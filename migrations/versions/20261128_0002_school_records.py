"""School records: contact details, charter versions, governing bodies, members, meetings.

Reviewed by hand after autogenerate. The new school columns have server defaults, so existing
rows get empty strings.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 09:49:06.020660

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "charter_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column(
            "status", sa.Enum("draft", "adopted", name="charterstatus", native_enum=False, length=30), nullable=False
        ),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("change_note", sa.String(length=500), nullable=False),
        sa.Column("based_on_number", sa.Integer(), nullable=True),
        sa.Column("adopted_on", sa.Date(), nullable=True),
        sa.Column("effective_on", sa.Date(), nullable=True),
        sa.Column("adopted_by_id", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["adopted_by_id"], ["user_account.id"], name=op.f("fk_charter_version_adopted_by_id_user_account")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["user_account.id"], name=op.f("fk_charter_version_created_by_id_user_account")
        ),
        sa.ForeignKeyConstraint(["school_id"], ["school.id"], name=op.f("fk_charter_version_school_id_school")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_charter_version")),
        sa.UniqueConstraint("school_id", "number", name="uq_charter_version_school_number"),
    )
    with op.batch_alter_table("charter_version", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_charter_version_school_id"), ["school_id"], unique=False)

    op.create_table(
        "governing_body",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "school_board",
                "parents_committee",
                "staff_congress",
                "other",
                name="bodykind",
                native_enum=False,
                length=30,
            ),
            nullable=False,
        ),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["school_id"], ["school.id"], name=op.f("fk_governing_body_school_id_school")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_governing_body")),
    )
    with op.batch_alter_table("governing_body", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_governing_body_school_id"), ["school_id"], unique=False)

    op.create_table(
        "body_member",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("body_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column(
            "position",
            sa.Enum("chair", "vice_chair", "secretary", "member", name="position", native_enum=False, length=30),
            nullable=False,
        ),
        sa.Column(
            "constituency",
            sa.Enum(
                "parent",
                "teacher",
                "staff",
                "community",
                "student",
                "principal",
                name="constituency",
                native_enum=False,
                length=30,
            ),
            nullable=False,
        ),
        sa.Column("term_start", sa.Date(), nullable=False),
        sa.Column("term_end", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "term_end IS NULL OR term_end >= term_start", name=op.f("ck_body_member_term_ends_after_start")
        ),
        sa.ForeignKeyConstraint(["body_id"], ["governing_body.id"], name=op.f("fk_body_member_body_id_governing_body")),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], name=op.f("fk_body_member_user_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_body_member")),
    )
    with op.batch_alter_table("body_member", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_body_member_body_id"), ["body_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_body_member_user_id"), ["user_id"], unique=False)

    op.create_table(
        "meeting",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("body_id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=False),
        sa.Column("minutes", sa.Text(), nullable=False),
        sa.Column(
            "minutes_status",
            sa.Enum("draft", "approved", name="minutesstatus", native_enum=False, length=30),
            nullable=False,
        ),
        sa.Column("minutes_approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("minutes_approved_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["body_id"], ["governing_body.id"], name=op.f("fk_meeting_body_id_governing_body")),
        sa.ForeignKeyConstraint(
            ["minutes_approved_by_id"], ["user_account.id"], name=op.f("fk_meeting_minutes_approved_by_id_user_account")
        ),
        sa.ForeignKeyConstraint(["school_id"], ["school.id"], name=op.f("fk_meeting_school_id_school")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting")),
    )
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_meeting_body_id"), ["body_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_meeting_school_id"), ["school_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_meeting_starts_at"), ["starts_at"], unique=False)

    op.create_table(
        "agenda_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["meeting_id"], ["meeting.id"], name=op.f("fk_agenda_item_meeting_id_meeting")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agenda_item")),
        sa.UniqueConstraint("meeting_id", "position", name="uq_agenda_item_meeting_position"),
    )
    with op.batch_alter_table("agenda_item", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_agenda_item_meeting_id"), ["meeting_id"], unique=False)

    op.create_table(
        "attendance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("present", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["meeting_id"], ["meeting.id"], name=op.f("fk_attendance_meeting_id_meeting")),
        sa.ForeignKeyConstraint(["member_id"], ["body_member.id"], name=op.f("fk_attendance_member_id_body_member")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attendance")),
        sa.UniqueConstraint("meeting_id", "member_id", name="uq_attendance_meeting_member"),
    )
    with op.batch_alter_table("attendance", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_attendance_meeting_id"), ["meeting_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_attendance_member_id"), ["member_id"], unique=False)

    with op.batch_alter_table("school", schema=None) as batch_op:
        batch_op.add_column(sa.Column("phone", sa.String(length=40), server_default="", nullable=False))
        batch_op.add_column(sa.Column("email", sa.String(length=254), server_default="", nullable=False))
        batch_op.add_column(sa.Column("website", sa.String(length=255), server_default="", nullable=False))
        batch_op.add_column(sa.Column("description", sa.Text(), server_default="", nullable=False))


def downgrade():
    with op.batch_alter_table("school", schema=None) as batch_op:
        batch_op.drop_column("description")
        batch_op.drop_column("website")
        batch_op.drop_column("email")
        batch_op.drop_column("phone")

    with op.batch_alter_table("attendance", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_attendance_member_id"))
        batch_op.drop_index(batch_op.f("ix_attendance_meeting_id"))

    op.drop_table("attendance")
    with op.batch_alter_table("agenda_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agenda_item_meeting_id"))

    op.drop_table("agenda_item")
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_meeting_starts_at"))
        batch_op.drop_index(batch_op.f("ix_meeting_school_id"))
        batch_op.drop_index(batch_op.f("ix_meeting_body_id"))

    op.drop_table("meeting")
    with op.batch_alter_table("body_member", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_body_member_user_id"))
        batch_op.drop_index(batch_op.f("ix_body_member_body_id"))

    op.drop_table("body_member")
    with op.batch_alter_table("governing_body", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_governing_body_school_id"))

    op.drop_table("governing_body")
    with op.batch_alter_table("charter_version", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_charter_version_school_id"))

    op.drop_table("charter_version")
