"""Account sessions: one row per logged-in device, deleted at logout, so that a copied session
or remember cookie stops working; listed at /me/sessions. Replaces the one token per account
(user_account.session_token): everyone logs in once more after this upgrade.

Revision ID: 0014
Revises: 0012
"""

import secrets

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0014"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "account_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("device", sa.String(length=120), nullable=False),
        sa.Column("ip_prefix", sa.String(length=64), nullable=False),
        sa.Column("remember", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], name=op.f("fk_account_session_user_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_session")),
        sa.UniqueConstraint("token", name=op.f("uq_account_session_token")),
    )
    with op.batch_alter_table("account_session", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_account_session_user_id"), ["user_id"], unique=False)
    # Natively on SQLite too (3.35+): a batch would copy user_account, which the rows of other
    # tables reference, and fail on their foreign keys in a database with data.
    op.execute("ALTER TABLE user_account DROP COLUMN session_token")


def downgrade():
    # Back to one token per account, a new one each (everyone logs in again); NOT NULL with a
    # placeholder default, so that SQLite adds it without copying the table.
    op.add_column("user_account", sa.Column("session_token", sa.String(length=32), nullable=False, server_default=""))
    connection = op.get_bind()
    accounts = sa.table("user_account", sa.column("id", sa.Integer()), sa.column("session_token", sa.String()))
    for (account_id,) in connection.execute(sa.select(accounts.c.id)).all():
        connection.execute(
            accounts.update().where(accounts.c.id == account_id).values(session_token=secrets.token_hex(16))
        )
    with op.batch_alter_table("account_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_account_session_user_id"))
    op.drop_table("account_session")
