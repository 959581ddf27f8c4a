"""The transparency log: leaves, subtree hashes, signed checkpoints, witnesses' cosignatures.

Revision ID: 0016
Revises: 0015
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "log_leaf",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("leaf_index", sa.Integer(), nullable=False),
        sa.Column("leaf", sa.LargeBinary(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("record", sa.String(length=200), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("leaf_index >= 0", name=op.f("ck_log_leaf_leaf_index_not_negative")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_log_leaf")),
        sa.UniqueConstraint("leaf_index", name=op.f("uq_log_leaf_leaf_index")),
    )
    op.create_index("ix_log_leaf_record", "log_leaf", ["record", "leaf_index"], unique=False)
    op.create_index(op.f("ix_log_leaf_sha256"), "log_leaf", ["sha256"], unique=False)
    op.create_table(
        "log_node",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("hash", sa.LargeBinary(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_log_node")),
        sa.UniqueConstraint("level", "position", name=op.f("uq_log_node_level_position")),
    )
    op.create_table(
        "log_checkpoint",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tree_size", sa.Integer(), nullable=False),
        sa.Column("root_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("tree_size >= 0", name=op.f("ck_log_checkpoint_tree_size_not_negative")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_log_checkpoint")),
    )
    op.create_index(op.f("ix_log_checkpoint_tree_size"), "log_checkpoint", ["tree_size"], unique=False)
    op.create_table(
        "log_cosignature",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("checkpoint_id", sa.Integer(), nullable=False),
        sa.Column("witness_key", sa.String(length=300), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("line", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["checkpoint_id"], ["log_checkpoint.id"], name=op.f("fk_log_cosignature_checkpoint_id_log_checkpoint")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_log_cosignature")),
        sa.UniqueConstraint("checkpoint_id", "witness_key", name=op.f("uq_log_cosignature_checkpoint_id_witness_key")),
    )
    op.create_index(op.f("ix_log_cosignature_checkpoint_id"), "log_cosignature", ["checkpoint_id"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_log_cosignature_checkpoint_id"), table_name="log_cosignature")
    op.drop_table("log_cosignature")
    op.drop_index(op.f("ix_log_checkpoint_tree_size"), table_name="log_checkpoint")
    op.drop_table("log_checkpoint")
    op.drop_table("log_node")
    op.drop_index(op.f("ix_log_leaf_sha256"), table_name="log_leaf")
    op.drop_index("ix_log_leaf_record", table_name="log_leaf")
    op.drop_table("log_leaf")
