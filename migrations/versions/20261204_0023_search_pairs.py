"""Search: the pair tokens of the index (each two Chinese characters side by side, 陪餐 -> 陪餐x), by
which a word the dictionary does not know is found without positions (portal/search/segment.py).
Upgrading adds them to every entry's words (and its tsvector on PostgreSQL, its row of the FTS5
table on SQLite); downgrading takes them out again. `flask portal search reindex` builds the
same from the records.

Revision ID: 0023
Revises: 0022
"""

import re
import unicodedata

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

# As portal/search/segment.py says them today (a migration does not follow later changes there).
_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
PAIR_MARK = "x"
_RUN = re.compile(f"[{_CJK}]+")
_PAIR = re.compile(f"^[{_CJK}]{{2}}{PAIR_MARK}$")
BATCH = 500
INDEXED_TEXT_MAX = 30_000

entries = sa.table(
    "search_entry",
    sa.column("id", sa.Integer),
    sa.column("title", sa.String),
    sa.column("title_en", sa.String),
    sa.column("body", sa.Text),
    sa.column("terms", sa.Text),
)


def _pairs(text: str) -> list[str]:
    text = unicodedata.normalize("NFKC", text or "").lower()
    return [run[n : n + 2] + PAIR_MARK for run in _RUN.findall(text) for n in range(len(run) - 1)]


def _with_pairs(title: str, title_en: str, body: str, terms: str) -> str:
    """The entry's words and the pairs of its title (twice, as the title's words) and its text (once
    each, if an entry indexed by the code of this revision already has them)."""
    title_pairs = _pairs(f"{title} {title_en}")
    words = _without_pairs(title, title_en, body, terms)
    return " ".join([words, *title_pairs, *title_pairs, *_pairs((body or "")[:INDEXED_TEXT_MAX])])


def _without_pairs(title: str, title_en: str, body: str, terms: str) -> str:
    return " ".join(word for word in (terms or "").split(" ") if not _PAIR.match(word))


def _rewrite(new_terms) -> None:
    connection = op.get_bind()
    postgres = connection.dialect.name == "postgresql"
    last = 0
    while True:
        rows = connection.execute(
            sa.select(entries.c.id, entries.c.title, entries.c.title_en, entries.c.body, entries.c.terms)
            .where(entries.c.id > last)
            .order_by(entries.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        changes = [{"entry_id": row.id, "terms": new_terms(*row[1:])} for row in rows]
        vector = ", search_vector = to_tsvector('simple', :terms)" if postgres else ""
        connection.execute(sa.text(f"UPDATE search_entry SET terms = :terms{vector} WHERE id = :entry_id"), changes)
        if not postgres:
            connection.execute(sa.text("UPDATE search_fts SET terms = :terms WHERE rowid = :entry_id"), changes)
        last = rows[-1].id


def upgrade():
    _rewrite(_with_pairs)


def downgrade():
    _rewrite(_without_pairs)
