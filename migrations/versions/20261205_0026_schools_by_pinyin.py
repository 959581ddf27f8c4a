"""Schools in the order of their names by pinyin: school.name_sort, the Chinese name's syllables
with their tones (解放路小学: jie3 fang4 lu4 xiao3 xue2), set with the name (School._sorted_by_its_name)
and compared byte by byte (PostgreSQL's "C" collation). Lists of schools (the directory, the home
page's districts, the filters) were in the order of the names' code points, which is the order of
a character dictionary's radicals. The index of each authority's schools (0025) is now by this key.
Upgrading gives every school its key; downgrading removes the column and puts the index by name
back.

Revision ID: 0026
Revises: 0025
"""

import sqlalchemy as sa
from alembic import op

from portal.text import pinyin_sort_key

# revision identifiers, used by Alembic.
revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None

# The key as the code that runs this migration computes it, which is what that code compares new
# names' keys with (a later change to the key comes with a migration of its own that computes them
# again, as this one does).
schools = sa.table(
    "school", sa.column("id", sa.Integer), sa.column("name_zh", sa.String), sa.column("name_sort", sa.String)
)


def upgrade():
    op.add_column(
        "school",
        sa.Column(
            "name_sort",
            sa.String(1000).with_variant(sa.String(1000, collation="C"), "postgresql"),
            nullable=False,
            server_default="",
        ),
    )
    connection = op.get_bind()
    for school_id, name in connection.execute(sa.select(schools.c.id, schools.c.name_zh)).all():
        connection.execute(schools.update().where(schools.c.id == school_id).values(name_sort=pinyin_sort_key(name)))
    op.drop_index("ix_school_authority_name", table_name="school")
    op.create_index("ix_school_authority_sort", "school", ["authority_id", "name_sort"])


def downgrade():
    op.drop_index("ix_school_authority_sort", table_name="school")
    op.create_index("ix_school_authority_name", "school", ["authority_id", "name_zh"])
    # Not in batch mode: SQLite (3.35 and later) drops the column in place, where a copy of the
    # table would have to drop the old one, which the rows that refer to schools forbid.
    op.drop_column("school", "name_sort")
