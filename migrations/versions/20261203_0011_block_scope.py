"""Blocks have a scope: account_block.authority_id, the authority where a block applies (that
authority and everything below it). A district moderator's block applies in that district; the
city commission's everywhere (portal/moderation/models.py, Block).

Existing blocks get the broadest authority at which the moderator who made them was a moderator
or commission admin; a block whose maker is unknown (or no longer holds such a role) applies
everywhere: the root authority, the city. The column is then made NOT NULL.

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

AUTHORITY_ROLES = ("moderator", "commission_admin")


def upgrade():
    with op.batch_alter_table("account_block", schema=None) as batch_op:
        batch_op.add_column(sa.Column("authority_id", sa.Integer(), nullable=True))

    connection = op.get_bind()
    blocks = sa.table(
        "account_block", sa.column("id", sa.Integer), sa.column("blocked_by_id"), sa.column("authority_id")
    )
    authority = sa.table("authority", sa.column("id", sa.Integer), sa.column("parent_id"), sa.column("path"))
    membership = sa.table(
        "membership", sa.column("user_id"), sa.column("role", sa.String), sa.column("authority_id", sa.Integer)
    )
    city = connection.execute(
        sa.select(authority.c.id).where(authority.c.parent_id.is_(None)).order_by(authority.c.id).limit(1)
    ).scalar()
    for block_id, maker in connection.execute(sa.select(blocks.c.id, blocks.c.blocked_by_id)).all():
        broadest = None
        if maker is not None:
            broadest = connection.execute(
                sa.select(authority.c.id)
                .join(membership, membership.c.authority_id == authority.c.id)
                .where(membership.c.user_id == maker, membership.c.role.in_(AUTHORITY_ROLES))
                .order_by(sa.func.length(authority.c.path), authority.c.id)
                .limit(1)
            ).scalar()
        connection.execute(
            blocks.update().where(blocks.c.id == block_id).values(authority_id=broadest if broadest else city)
        )

    with op.batch_alter_table("account_block", schema=None) as batch_op:
        batch_op.alter_column("authority_id", existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_account_block_authority_id_authority"), "authority", ["authority_id"], ["id"]
        )


def downgrade():
    with op.batch_alter_table("account_block", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_account_block_authority_id_authority"), type_="foreignkey")
        batch_op.drop_column("authority_id")
