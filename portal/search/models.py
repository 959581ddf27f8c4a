"""The search index: one row per public thing that can be found, with its words already
segmented (portal.search.segment). The full-text part differs by engine, the rows do not:

- SQLite: the FTS5 table `search_fts` (made by the migration; not a model, autogenerate cannot
  describe a virtual table) holds each entry's `terms` under the entry's id as its rowid.
- PostgreSQL: `search_vector`, the tsvector of `terms` in the `simple` configuration (the words
  are already cut, so no stemming or stop words), GIN-indexed. On SQLite the column stays empty.
  The migration keeps the rows narrow on PostgreSQL (every value that would make a row longer
  than 128 bytes out of line, the tsvector uncompressed): a search reads many rows to a page.
"""

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from portal.domain import Labelled
from portal.extensions import db, str_enum

# SQLite's full-text table and the tables FTS5 keeps for it: in the database, not in the models.
FTS_TABLE = "search_fts"


def not_a_model_table(name: str) -> bool:
    return name == FTS_TABLE or name.startswith(f"{FTS_TABLE}_")


class Kind(Labelled):
    SCHOOL = "school", _l("Schools")
    DECISION = "decision", _l("Decisions")
    CHARTER = "charter", _l("Charters")
    MINUTES = "minutes", _l("Meeting minutes")
    CONSULTATION = "consultation", _l("Consultations")
    OUTCOME = "outcome", _l("Consultation outcomes")


TITLE_MAX = 300


class SearchEntry(db.Model):
    __tablename__ = "search_entry"
    __table_args__ = (
        UniqueConstraint("kind", "record_id", name="uq_search_entry_kind_record"),
        Index("ix_search_entry_vector", "search_vector", postgresql_using="gin"),
        # What the filters read of each match, in a small index: checking the thousands of matches
        # of a common word reads this, not the rows with their text.
        Index("ix_search_entry_filters", "id", "kind", "year", "school_id", "authority_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[Kind] = mapped_column(str_enum(Kind))
    # The id of the school, decision, charter version, meeting or consultation (outcome: the consultation's).
    record_id: Mapped[int]
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id", ondelete="CASCADE"), index=True)
    # The district (the school's authority, or the authority that consults).
    authority_id: Mapped[int | None] = mapped_column(ForeignKey("authority.id", ondelete="CASCADE"), index=True)
    year: Mapped[int | None] = mapped_column(index=True)
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    title_en: Mapped[str] = mapped_column(String(TITLE_MAX), default="")
    # The plain text the snippet is cut from (what the public page shows).
    body: Mapped[str] = mapped_column(Text, default="")
    terms: Mapped[str] = mapped_column(Text, default="")
    search_vector: Mapped[str | None] = mapped_column(Text().with_variant(TSVECTOR(), "postgresql"))
    published_at: Mapped[datetime | None]

    def __repr__(self):
        return f"<SearchEntry {self.kind} {self.record_id}>"
