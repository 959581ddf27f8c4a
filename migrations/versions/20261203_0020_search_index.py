"""The search index: search_entry (one row per public thing that can be found) and its
full-text index, which differs by engine: an FTS5 table on SQLite, a GIN index over a tsvector
column on PostgreSQL. Existing records are indexed by `flask portal search reindex`.

Revision ID: 0020
Revises: 0019
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

KINDS = ("school", "decision", "charter", "minutes", "consultation", "outcome")


def upgrade():
    op.create_table(
        "search_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.Enum(*KINDS, name="kind", native_enum=False, length=30), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=True),
        sa.Column("authority_id", sa.Integer(), nullable=True),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("title_en", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("terms", sa.Text(), nullable=False),
        sa.Column("search_vector", sa.Text().with_variant(postgresql.TSVECTOR(), "postgresql"), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["authority_id"],
            ["authority.id"],
            name=op.f("fk_search_entry_authority_id_authority"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["school_id"], ["school.id"], name=op.f("fk_search_entry_school_id_school"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_entry")),
        sa.UniqueConstraint("kind", "record_id", name="uq_search_entry_kind_record"),
    )
    op.create_index(op.f("ix_search_entry_authority_id"), "search_entry", ["authority_id"], unique=False)
    op.create_index(op.f("ix_search_entry_school_id"), "search_entry", ["school_id"], unique=False)
    op.create_index(op.f("ix_search_entry_year"), "search_entry", ["year"], unique=False)
    op.create_index(
        "ix_search_entry_filters", "search_entry", ["id", "kind", "year", "school_id", "authority_id"], unique=False
    )
    op.create_index("ix_search_entry_vector", "search_entry", ["search_vector"], unique=False, postgresql_using="gin")
    if op.get_bind().dialect.name == "postgresql":
        # Narrow rows: every value that makes a row longer than 128 bytes (the text, the words, the
        # tsvector) is kept out of line, so the filters and the walk newest first read many rows to a
        # page (issue #17: 20,000 entries, 30 MB of rows before, 3 MB after), and the tsvector is
        # kept uncompressed (EXTERNAL): ts_rank and @@ read it without decompressing it.
        op.execute("ALTER TABLE search_entry SET (toast_tuple_target = 128)")
        op.execute("ALTER TABLE search_entry ALTER COLUMN search_vector SET STORAGE EXTERNAL")
    if op.get_bind().dialect.name == "sqlite":
        # The words are already cut and lowercased (portal.search.segment): unicode61 only splits
        # them at the spaces. Its rowid is the search_entry's id.
        op.execute("CREATE VIRTUAL TABLE search_fts USING fts5(terms, tokenize = 'unicode61 remove_diacritics 0')")


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE search_fts")
    op.drop_index("ix_search_entry_vector", table_name="search_entry")
    op.drop_index("ix_search_entry_filters", table_name="search_entry")
    op.drop_index(op.f("ix_search_entry_year"), table_name="search_entry")
    op.drop_index(op.f("ix_search_entry_school_id"), table_name="search_entry")
    op.drop_index(op.f("ix_search_entry_authority_id"), table_name="search_entry")
    op.drop_table("search_entry")
