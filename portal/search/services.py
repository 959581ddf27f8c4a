"""Keeping the index and asking it.

Indexing (`put_*`, `remove`) runs in the transaction of the change that makes a record public
(or no longer public): the listeners in portal/search/indexing.py call it, and the reindex
command calls it for everything. It flushes, never commits.

`search` turns what someone typed into a full-text match for the engine in use and returns one
page of hits in at most five statements: a survey (is the word common: how many of the newest
200 entries match), the newest matches' kinds and ids (the counts; a common word's from a walk
of the newest 3,000 entries, and the older ones after them if that walk falls short), the page's
ids by rank, and those entries with their schools. On PostgreSQL the ranks come with the newest
matches, and two statements around them set and restore the planner settings that make a word
that is not common come from the GIN index."""

import math
import re
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, time

from markupsafe import Markup, escape
from sqlalchemy import and_, case, delete, func, literal_column, or_, select, text
from sqlalchemy.orm import aliased, defer, load_only

from portal.charters.models import CharterStatus, CharterVersion
from portal.consultations.models import Consultation, ConsultationStatus
from portal.decisions.models import PUBLIC_STATUSES, Decision
from portal.extensions import db
from portal.meetings.models import Meeting, MinutesStatus
from portal.schools.models import Authority, School
from portal.search import segment
from portal.search.models import FTS_TABLE, TITLE_MAX, Kind, SearchEntry
from portal.text import plain_text

# What one record gives the index at most: minutes run to 100,000 characters, and cutting that
# many would make the change that publishes them wait; the first 30,000 hold what people look for.
INDEXED_TEXT_MAX = 30_000
# What is kept to cut the snippet from.
BODY_KEPT_MAX = 30_000

# What a search may ask (a longer query, or one of more terms, is refused with a message).
QUERY_MAX = 100
TERMS_MAX = 8
PER_PAGE = 20
# Hits counted at most, by kind: beyond that the page says "more than 1,000".
COUNT_MAX = 1000
# Matches ranked at most, the newest (the first pages); the pages after them list the older
# matches counted newest first.
RANK_MAX = 200


def _is_postgres() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


# --- indexing --------------------------------------------------------------------------------


def _put(
    kind: Kind,
    record_id: int,
    *,
    title: str,
    body: str = "",
    title_en: str = "",
    school: School | None = None,
    authority_id: int | None = None,
    published_at: datetime | None = None,
    name_pinyin: bool = False,
) -> SearchEntry:
    # Its words and their tsvector are replaced, never read: not loaded (the widest columns).
    entry = db.session.scalar(
        select(SearchEntry)
        .options(defer(SearchEntry.terms), defer(SearchEntry.search_vector))
        .where(SearchEntry.kind == kind, SearchEntry.record_id == record_id)
    )
    if entry is None:
        entry = SearchEntry(kind=kind, record_id=record_id)
        db.session.add(entry)
    body = plain_text(body or "")[:BODY_KEPT_MAX]
    title_terms = segment.index_terms(f"{title} {title_en}", pinyin=name_pinyin)
    # The title's words twice: both engines rank a word that is found more often higher.
    terms = f"{title_terms} {title_terms} {segment.index_terms(body[:INDEXED_TEXT_MAX])}"
    entry.title, entry.title_en, entry.body, entry.terms = title[:TITLE_MAX], title_en[:TITLE_MAX], body, terms
    entry.school_id = school.id if school is not None else None
    entry.authority_id = authority_id if authority_id is not None else (school.authority_id if school else None)
    entry.published_at = published_at
    entry.year = published_at.year if published_at is not None else None
    if _is_postgres():
        entry.search_vector = func.to_tsvector("simple", terms)
    db.session.flush()
    if not _is_postgres():
        db.session.execute(text(f"DELETE FROM {FTS_TABLE} WHERE rowid = :id"), {"id": entry.id})
        db.session.execute(
            text(f"INSERT INTO {FTS_TABLE} (rowid, terms) VALUES (:id, :terms)"), {"id": entry.id, "terms": terms}
        )
    return entry


def remove(kind: Kind, record_id: int) -> None:
    """Take a record out of the index (hidden, no longer public). Nothing happens if it is not in."""
    entry_id = db.session.scalar(
        select(SearchEntry.id).where(SearchEntry.kind == kind, SearchEntry.record_id == record_id)
    )
    if entry_id is None:
        return
    if not _is_postgres():
        db.session.execute(text(f"DELETE FROM {FTS_TABLE} WHERE rowid = :id"), {"id": entry_id})
    db.session.execute(delete(SearchEntry).where(SearchEntry.id == entry_id))


def put_school(school: School) -> SearchEntry:
    segment.add_names([school.name_zh])
    return _put(
        Kind.SCHOOL,
        school.id,
        title=school.name_zh,
        title_en=school.name_en,
        body=" ".join(part for part in (school.address, school.description) if part),
        school=school,
        published_at=school.created_at,
        name_pinyin=True,
    )


def put_decision(decision) -> SearchEntry:
    return _put(
        Kind.DECISION,
        decision.id,
        title=decision.title,
        body=f"{decision.number or ''}\n{decision.body}",
        school=decision.school,
        published_at=decision.published_at,
    )


def put_charter(version) -> SearchEntry:
    """The school's charter as its newest adopted version says it (earlier versions stay readable
    in its history, but the search finds the charter once)."""
    older = select(SearchEntry.record_id).where(
        SearchEntry.kind == Kind.CHARTER, SearchEntry.school_id == version.school_id
    )
    for record_id in db.session.scalars(older).all():
        if record_id != version.id:
            remove(Kind.CHARTER, record_id)
    adopted = datetime.combine(version.adopted_on, time.min, tzinfo=UTC) if version.adopted_on else None
    return _put(
        Kind.CHARTER,
        version.id,
        title=version.school.name_zh + "章程",
        body=version.body,
        school=version.school,
        published_at=adopted,
    )


def put_minutes(meeting) -> SearchEntry:
    agenda = "\n".join(item.title for item in meeting.agenda_items)
    return _put(
        Kind.MINUTES,
        meeting.id,
        title=meeting.title,
        body=f"{agenda}\n{meeting.minutes}",
        school=meeting.school,
        published_at=meeting.minutes_approved_at or meeting.starts_at,
    )


def _consultation_owner(consultation) -> dict:
    if consultation.school is not None:
        return {"school": consultation.school}
    return {"authority_id": consultation.authority_id}


def put_consultation(consultation) -> SearchEntry:
    return _put(
        Kind.CONSULTATION,
        consultation.id,
        title=consultation.title,
        body=f"{consultation.summary}\n{consultation.proposal}",
        published_at=consultation.opens_at,
        **_consultation_owner(consultation),
    )


def put_outcome(consultation) -> SearchEntry:
    return _put(
        Kind.OUTCOME,
        consultation.id,
        title=consultation.title,
        body=f"{consultation.outcome_heard}\n{consultation.outcome_changes}",
        published_at=consultation.outcome_published_at,
        **_consultation_owner(consultation),
    )


def reindex() -> dict[str, int]:
    """Empty the index and index every public record again (`flask portal search reindex`).
    Returns how many of each kind."""
    if not _is_postgres():
        db.session.execute(text(f"DELETE FROM {FTS_TABLE}"))
    db.session.execute(delete(SearchEntry))
    segment.add_names(db.session.scalars(select(School.name_zh)))
    counts = dict.fromkeys((kind.value for kind in Kind), 0)

    def each(statement, put, kind):
        for record in db.session.scalars(statement.execution_options(yield_per=500)):
            put(record)
            counts[kind] += 1

    each(select(School), put_school, Kind.SCHOOL)
    each(select(Decision).where(Decision.status.in_(PUBLIC_STATUSES)), put_decision, Kind.DECISION)
    latest = aliased(CharterVersion)
    each(
        select(CharterVersion).where(
            CharterVersion.status == CharterStatus.ADOPTED,
            CharterVersion.number
            == select(func.max(latest.number))
            .where(latest.school_id == CharterVersion.school_id, latest.status == CharterStatus.ADOPTED)
            .scalar_subquery(),
        ),
        put_charter,
        Kind.CHARTER,
    )
    each(select(Meeting).where(Meeting.minutes_status == MinutesStatus.APPROVED), put_minutes, Kind.MINUTES)
    each(select(Consultation).where(Consultation.is_public), put_consultation, Kind.CONSULTATION)
    each(
        select(Consultation).where(Consultation.status == ConsultationStatus.OUTCOME_PUBLISHED),
        put_outcome,
        Kind.OUTCOME,
    )
    return counts


# --- searching -------------------------------------------------------------------------------


class QueryProblem(Exception):
    """What someone typed cannot be searched as it is (too long, too many words, no words)."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Filters:
    kind: Kind | None = None
    authority: Authority | None = None
    school: School | None = None
    year: int | None = None


@dataclass
class Hit:
    entry: SearchEntry
    school: School | None
    title: Markup
    snippet: Markup


@dataclass
class Results:
    query: str
    hits: list[Hit]
    page: int
    by_kind: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.by_kind.values())

    @property
    def more_than_counted(self) -> bool:
        """More were found than were counted: the counts by kind are not shown, the total is "more than"."""
        return self.total > COUNT_MAX

    @property
    def pages(self) -> int:
        return max(1, math.ceil(min(self.total, COUNT_MAX) / PER_PAGE))


def parse(query: str) -> list[segment.QueryTerm]:
    """The terms of `query`, or QueryProblem: "too_long", "too_many_terms", "no_terms"."""
    if len(query) > QUERY_MAX:
        raise QueryProblem("too_long")
    terms = segment.query_terms(query)
    if not terms:
        raise QueryProblem("no_terms")
    if len(terms) > TERMS_MAX:
        raise QueryProblem("too_many_terms")
    return terms


def _as_pairs(term) -> bool:
    """A Chinese word the dictionary knows is found as that word (the index holds every such word,
    and the two- and three-character words inside it: cut_for_search); another (a word the
    segmenter guessed, characters across words) by its pairs of characters side by side, all of
    them, with no positions: the full-text index alone answers that on both engines (a phrase
    would make PostgreSQL read and test every candidate's tsvector)."""
    return len(term.text) > 1 and not segment.known_word(term.text)


def _spelled_out(terms) -> list[str]:
    """The words of three or more characters matched by their pairs: 陪餐制 has the pairs of a text
    that says 陪餐 here and 餐制 there, so these are checked in the text itself, only in the
    entries that hold all their pairs (few, for a word the dictionary does not know)."""
    return [term.text for term in terms if term.chinese and _as_pairs(term) and len(term.text) > 2]


def _fts5_match(terms) -> str:
    """An FTS5 query: every term (AND); a Chinese word as a word or its pairs; a Latin word as a
    prefix. The words hold only letters and digits: nothing in them is syntax."""
    parts = []
    for term in terms:
        if not term.chinese:
            parts.append(f'"{term.text}"*')
        elif _as_pairs(term):
            parts.extend(f'"{pair}"' for pair in term.pairs)
        else:
            parts.append(f'"{term.text}"')
    return " AND ".join(parts)


def _tsquery(terms) -> str:
    """The same as a PostgreSQL tsquery (to_tsquery('simple', ...)): `&` alone, never `<->`."""
    parts = []
    for term in terms:
        if not term.chinese:
            parts.append(f"'{term.text}':*")
        elif _as_pairs(term):
            parts.extend(f"'{pair}'" for pair in term.pairs)
        else:
            parts.append(f"'{term.text}'")
    return " & ".join(parts)


@dataclass(frozen=True)
class _Matching:
    """How the engine in use finds, filters and ranks: the match condition, the rank (ascending),
    the entry's id as the index knows it, the columns the filters read, and the FROM clause; on
    PostgreSQL the tsquery, to test and rank other rows than search_entry's (the sample, the
    newest matches)."""

    condition: object
    rank: object
    key: object
    columns: dict
    source: object = None
    tsquery: object = None
    spelled_out: tuple = ()

    def select(self, *columns):
        statement = select(*columns)
        return statement.select_from(self.source) if self.source is not None else statement


FILTER_COLUMNS = ("id", "kind", "year", "school_id", "authority_id")

# SQLite: the full-text index walked first, each match's filter columns read from their small
# index (ix_search_entry_filters), never from the rows with their text. SQLite's planner would
# otherwise start from search_entry when a filter is given (its index on kind) and evaluate the
# full-text match once per row, a hundred times slower for a common word.
_SQLITE_SOURCE = text(
    f"{FTS_TABLE} JOIN search_entry INDEXED BY ix_search_entry_filters ON search_entry.id = {FTS_TABLE}.rowid"
)


def _in_the_text(words, title, body) -> list:
    """Each word in the title or the text, as written (the words are Chinese characters only:
    nothing in them is a LIKE wildcard)."""
    return [or_(title.contains(word), body.contains(word)) for word in words]


def _pg_match(tsquery, spelled_out, entry) -> object:
    """`entry` (search_entry, or a subquery of its columns) matches: its tsvector, then its text."""
    return and_(entry.search_vector.op("@@")(tsquery), *_in_the_text(spelled_out, entry.title, entry.body))


def _matching(terms) -> _Matching:
    spelled_out = tuple(_spelled_out(terms))
    if _is_postgres():
        tsquery = func.to_tsquery(literal_column("'simple'"), _tsquery(terms))
        return _Matching(
            condition=_pg_match(tsquery, spelled_out, SearchEntry),
            rank=-func.ts_rank(SearchEntry.search_vector, tsquery),
            key=SearchEntry.id,
            columns={name: getattr(SearchEntry, name) for name in FILTER_COLUMNS},
            tsquery=tsquery,
            spelled_out=spelled_out,
        )
    condition = text(f"{FTS_TABLE} MATCH :match").bindparams(match=_fts5_match(terms))
    if spelled_out:
        entry = {name: literal_column(f"search_entry.{name}") for name in ("title", "body")}
        condition = and_(condition, *_in_the_text(spelled_out, entry["title"], entry["body"]))
    return _Matching(
        condition=condition,
        rank=literal_column(f"{FTS_TABLE}.rank"),
        key=literal_column(f"{FTS_TABLE}.rowid"),
        columns={name: literal_column(f"search_entry.{name}") for name in FILTER_COLUMNS},
        source=_SQLITE_SOURCE,
        spelled_out=spelled_out,
    )


def _filtered(matching: _Matching, *columns, filters: Filters):
    column = matching.columns
    statement = matching.select(*columns).where(matching.condition)
    if filters.kind is not None:
        statement = statement.where(column["kind"] == filters.kind.value)
    if filters.school is not None:
        statement = statement.where(column["school_id"] == filters.school.id)
    elif filters.authority is not None:
        # The district and everything below it (authority paths are ids and slashes: "/1/3/").
        statement = statement.where(
            text("search_entry.authority_id IN (SELECT id FROM authority WHERE path LIKE :below)").bindparams(
                below=filters.authority.path + "%"
            )
        )
    if filters.year is not None:
        statement = statement.where(column["year"] == filters.year)
    return statement


# A word in at least half of the newest COMMON_SAMPLE entries is common: its newest matches are
# read walking the newest entries, newest first, testing each (at most COMMON_WALK_MAX of them),
# rather than from the full-text index (PostgreSQL would make a bitmap of nearly every row and
# sort it for the newest 1,001).
COMMON_SAMPLE = 200
COMMON_WALK_MAX = 3000


def _newest_ids(limit: int):
    # The table's column, not the model's: SQLite's statements select from a text FROM clause,
    # which the ORM cannot compile.
    entry_id = SearchEntry.__table__.c.id
    return select(entry_id).order_by(entry_id.desc()).limit(limit).subquery()


def _survey(matching: _Matching) -> int:
    """The search's first statement: how many of the newest COMMON_SAMPLE entries match."""
    if matching.tsquery is not None:
        # The sample read newest first, then tested: a LIMIT in a subquery is taken before the match.
        sample = aliased(
            SearchEntry,
            select(SearchEntry.id, SearchEntry.search_vector, SearchEntry.title, SearchEntry.body)
            .order_by(SearchEntry.id.desc())
            .limit(COMMON_SAMPLE)
            .subquery(),
        )
        in_sample = (
            select(func.count()).select_from(sample).where(_pg_match(matching.tsquery, matching.spelled_out, sample))
        )
    else:
        newest = _newest_ids(COMMON_SAMPLE)
        in_sample = _filtered(matching, func.count(), filters=Filters()).where(
            matching.key >= select(func.min(newest.c.id)).scalar_subquery()
        )
    return db.session.execute(in_sample).scalar()


def _newest(matching: _Matching, filters: Filters, *, walk=None, limit=None, ranked_before=0) -> list[tuple]:
    """The newest `limit` (COUNT_MAX + 1) matches, newest first: their kind, id and (PostgreSQL) the
    rank of those among the newest RANK_MAX of the search (`ranked_before` come before them), each
    of their tsvectors read once. `walk`: "newest" only among the newest COMMON_WALK_MAX entries,
    "older" only before them."""
    key = matching.key
    limit = COUNT_MAX + 1 if limit is None else limit
    window = select(func.min(_newest_ids(COMMON_WALK_MAX).c.id)).scalar_subquery()
    pg = matching.tsquery is not None
    statement = _filtered(
        matching, matching.columns["kind"], key, *([SearchEntry.search_vector] if pg else []), filters=filters
    )
    if walk == "newest":
        statement = statement.where(key >= window)
    elif walk == "older":
        statement = statement.where(key < window)
    if not pg:
        rows = db.session.execute(statement.order_by(key.desc()).limit(limit)).all()
        return [(kind, id_, None) for kind, id_ in rows]
    newest = statement.order_by(key.desc()).limit(limit).subquery()
    rank = case(
        (
            func.row_number().over(order_by=newest.c.id.desc()) + ranked_before <= RANK_MAX,
            func.ts_rank(newest.c.search_vector, matching.tsquery),
        ),
    )
    return db.session.execute(select(newest.c.kind, newest.c.id, rank).order_by(newest.c.id.desc())).all()


def _newest_walking(matching: _Matching, filters: Filters) -> list[tuple]:
    """A common word's newest matches: the newest COMMON_WALK_MAX entries walked newest first, each
    tested, until COUNT_MAX + 1 are found (PostgreSQL's planner does this unprompted: its primary
    key walked backwards); if that walk ends first, the older matches follow, the same way (no
    more than two statements; the same matches as the index's)."""
    walked = _newest(matching, filters, walk="newest")
    if len(walked) > COUNT_MAX:
        return walked
    older = _newest(matching, filters, walk="older", limit=COUNT_MAX + 1 - len(walked), ranked_before=len(walked))
    return list(walked) + list(older)


_PLANNER_SETTINGS = ("enable_seqscan", "enable_indexscan")


@contextmanager
def _matches_from_the_index(matching: _Matching):
    """PostgreSQL: the matches taken from the GIN index (a bitmap of them, sorted newest first), never
    tested row by row. Its planner, not knowing that testing a row's tsvector reads it from its
    TOAST table, would walk the primary key newest first and test every row on the way (10,000
    tsvectors read for a word in 10% of the records) or read the whole table for a common word.
    The settings last for the block (restored after it, in the same transaction)."""
    if matching.tsquery is None:
        yield
        return
    saved = db.session.execute(
        select(
            *(func.current_setting(name) for name in _PLANNER_SETTINGS),
            *(func.set_config(name, "off", True) for name in _PLANNER_SETTINGS),
        )
    ).one()
    try:
        yield
    finally:
        db.session.execute(
            select(*(func.set_config(name, value, True) for name, value in zip(_PLANNER_SETTINGS, saved, strict=False)))
        )


# What the page shows of an entry: not its words nor their tsvector (the widest columns).
_SHOWN = (
    SearchEntry.id,
    SearchEntry.kind,
    SearchEntry.record_id,
    SearchEntry.school_id,
    SearchEntry.year,
    SearchEntry.title,
    SearchEntry.title_en,
    SearchEntry.body,
    SearchEntry.published_at,
)


def search(query: str, filters: Filters = Filters(), page: int = 1) -> Results:
    """One page of what matches `query` (QueryProblem if it cannot be searched), best first."""
    terms = parse(query)
    matching = _matching(terms)

    # The newest COUNT_MAX + 1 matches, their kind and id: how many of each kind (past COUNT_MAX
    # the page says "more than 1,000"), and the newest of them, for ranking every match of a word
    # found in most records would cost as much as there are: only the newest RANK_MAX are ranked.
    # A common word's come from a walk of the newest entries (and the older ones after them, if
    # that walk finds no more than COUNT_MAX); any other word's from the index.
    in_sample = _survey(matching)
    if in_sample and 2 * in_sample >= COMMON_SAMPLE:
        newest_first = _newest_walking(matching, filters)
    else:
        with _matches_from_the_index(matching):
            newest_first = _newest(matching, filters)
    by_kind = dict(Counter(str(kind) for kind, _id, _rank in newest_first))
    results = Results(query=query, hits=[], page=page, by_kind=by_kind)
    if not by_kind:
        return results
    page = min(page, results.pages)
    results.page = page
    # The newest RANK_MAX matches by rank (best first), then the older ones counted, newest first:
    # ranking reads each match's words, and a common word has thousands of matches.
    newest_ids = [entry_id for _kind, entry_id, _rank in newest_first[:COUNT_MAX]]
    offset = (page - 1) * PER_PAGE
    if offset >= RANK_MAX:
        ranked = newest_ids[offset : offset + PER_PAGE]
    elif matching.tsquery is not None:
        # Ranked as the newest were read (ts_rank, higher first; then the older first, as SQLite's).
        by_rank = sorted(newest_first[:RANK_MAX], key=lambda row: (-row[2], row[1]))
        ranked = [entry_id for _kind, entry_id, _rank in by_rank[offset : offset + PER_PAGE]]
    else:
        key = matching.key
        ranked_query = _filtered(matching, key, filters=filters)
        if len(newest_ids) > RANK_MAX:
            ranked_query = ranked_query.where(key >= newest_ids[RANK_MAX - 1])
        # The page's ids by rank first, reading only the index and the filters' columns; then those
        # twenty entries (their text is what is large).
        ranked = (
            db.session.execute(
                ranked_query.order_by(matching.rank, key).limit(min(PER_PAGE, RANK_MAX - offset)).offset(offset)
            )
            .scalars()
            .all()
        )
    loaded = {
        entry.id: (entry, school)
        for entry, school in db.session.execute(
            select(SearchEntry, School)
            .options(load_only(*_SHOWN))
            .outerjoin(School, School.id == SearchEntry.school_id)
            .where(SearchEntry.id.in_(ranked))
        )
    }
    rows = [loaded[entry_id] for entry_id in ranked if entry_id in loaded]
    results.hits = [
        Hit(entry, school, highlight(entry.title, terms), snippet(entry.body, terms)) for entry, school in rows
    ]
    return results


# --- highlights ------------------------------------------------------------------------------

SNIPPET_LENGTH = 120
SNIPPET_BEFORE = 30


def _pattern(terms) -> re.Pattern | None:
    words = sorted({term.text for term in terms}, key=len, reverse=True)
    if not words:
        return None
    return re.compile("|".join(re.escape(word) for word in words), re.IGNORECASE)


def highlight(text_: str, terms) -> Markup:
    """`text_` escaped, with what matches the terms in <mark>: the query never becomes HTML."""
    pattern = _pattern(terms)
    if pattern is None:
        return escape(text_)
    parts, last = [], 0
    for found in pattern.finditer(text_):
        parts.append(escape(text_[last : found.start()]))
        parts.append(Markup("<mark>%s</mark>") % text_[found.start() : found.end()])
        last = found.end()
    parts.append(escape(text_[last:]))
    return Markup("").join(parts)


def snippet(body: str, terms) -> Markup:
    """About SNIPPET_LENGTH characters of `body` around the first match, highlighted."""
    body = " ".join(body.split())
    pattern = _pattern(terms)
    found = pattern.search(body) if pattern is not None else None
    start = max(0, found.start() - SNIPPET_BEFORE) if found else 0
    piece = body[start : start + SNIPPET_LENGTH]
    text_ = ("…" if start > 0 else "") + piece + ("…" if start + SNIPPET_LENGTH < len(body) else "")
    return highlight(text_, terms)
