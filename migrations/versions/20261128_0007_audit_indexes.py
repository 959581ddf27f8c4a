"""The audit log at /audit filters by object ("everything that happened to decision 42"): an index
on (object_type, object_id). The other filters (actor, action, school, authority, date) use the
indexes audit_event has had since 0001; pages are ordered by id, the primary key.

Written by hand. No data changes; on SQLite and PostgreSQL alike a plain CREATE INDEX.

Revision ID: 0007
Revises: 0006
"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.create_index("ix_audit_event_object_type_object_id", ["object_type", "object_id"], unique=False)


def downgrade():
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_event_object_type_object_id")
