"""An index of each authority's schools by name (school.authority_id, school.name_zh): the home page
lists the first few schools of every district, and with it reads a few index entries per district
instead of ranking every school of the city (schools.services.districts_overview).

Revision ID: 0025
Revises: 0024
"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_school_authority_name", "school", ["authority_id", "name_zh"])


def downgrade():
    op.drop_index("ix_school_authority_name", table_name="school")
