"""An invitation code can be withdrawn by its school (a code handed to the wrong family, or
leaked): invitation.withdrawn_at, when it was. A withdrawn code verifies nobody.

Revision ID: 0028
Revises: 0027
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("invitation", sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    # Not in batch mode: SQLite (3.35 and later) drops the column in place.
    op.drop_column("invitation", "withdrawn_at")
