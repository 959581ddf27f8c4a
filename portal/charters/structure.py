"""The structure of a charter's Markdown: chapters (章), sections (节) and articles (条), and what
changed between two versions.

The convention a charter's text follows (the edit page's help tells authors the same):

- A chapter is a heading of level one or two whose text begins with its label:
  ``# 第一章 总则`` or ``## 第三章 组织机构与管理`` (``# Chapter 1 General provisions`` in English).
- A section is a heading of any level whose text begins with its label: ``### 第一节 校长``.
  It belongs to the chapter it is in, ends the article before it, and has an anchor of its own.
- An article is a paragraph that begins with its label, optionally in bold:
  ``第一条 本校名称为……`` or ``**第十二条** 学校实行校长负责制……`` (``**Article 12** ...``).
  An article inserted later between two others keeps their numbers: ``**第十六条之一** ……``
  (之二, 之三 … likewise). The article goes on, over several paragraphs or lists if need be,
  until the next article, the next heading, or the end of the text.
- Text before the first chapter (the charter's own title, a preamble 序言) is kept as it is.
  Other headings are kept too; they end the article before them.
- Labels carry Chinese numerals (一 二 三 … 十 百 千, 零/〇, 两) or Arabic digits:
  第十二条 is article 12, 第一百零五条 article 105, 第十六条之一 article 16, first inserted
  after it. The number gives the anchor (``id="article-12"``, ``id="article-16-sub1"``,
  ``id="chapter-3"``) and lines versions up for the diff.

Nothing here touches the database; `parse` is cached by text, so pages that show a summary,
a table of contents and the text parse each version once. The comparison of two versions
(`compare`) does bounded work whatever the texts: past `DIFF_WORK_BUDGET` it gives up and says
so (`CharterDiff.too_large`), and its result can be stored (`CharterDiff.to_dict`) since adopted
versions never change.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from functools import cached_property, lru_cache

from portal.text import chinese_number, plain_text

NUMERAL = r"[零〇一二三四五六七八九十百千两\d]+"

SUB_NUMERAL = r"[一二三四五六七八九十百\d]+"

CHAPTER_LINE = re.compile(
    rf"^ {{0,3}}#{{1,2}}[ \t]+(?P<label>第{NUMERAL}章|Chapter[ \t]+(?:\d+|[IVXLC]+)\b)"
    r"[ \t\u3000:：.、]*(?P<title>.*?)[ \t#]*$",
    re.IGNORECASE,
)
SECTION_LINE = re.compile(
    rf"^ {{0,3}}#{{1,6}}[ \t]+(?P<label>第{NUMERAL}节|Section[ \t]+\d+\b)"
    r"[ \t\u3000:：.、]*(?P<title>.*?)[ \t#]*$",
    re.IGNORECASE,
)
ARTICLE_LINE = re.compile(
    rf"^ {{0,3}}(?P<open>\*\*|__)?[ \t]*(?P<label>第{NUMERAL}条(?:之{SUB_NUMERAL})?|Article[ \t]+\d+\b)"
    r"[ \t]*(?P<close>\*\*|__)?[ \t\u3000:：.、]*(?P<rest>.*)$",
    re.IGNORECASE,
)
HEADING_LINE = re.compile(r"^ {0,3}#{1,6}([ \t]|$)")
FENCE_LINE = re.compile(r"^ {0,3}(```|~~~)")
ROMAN = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100}


def chinese_numeral(number: int) -> str:
    """The numeral for 1 ≤ number < 10000, as charters write it: 10 → 十, 12 → 十二, 105 → 一百零五."""
    digits = "零一二三四五六七八九"
    if not 0 < number < 10000:
        return str(number)
    parts, zero = [], False
    for unit, name in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        value = number // unit % 10
        if value:
            if zero:
                parts.append("零")
                zero = False
            parts.append(("" if value == 1 and unit == 10 and number < 20 else digits[value]) + name)
        elif parts:
            zero = True
    return "".join(parts)


def _roman_number(text: str) -> int | None:
    values = [ROMAN.get(ch) for ch in text.upper()]
    if not values or None in values:
        return None
    return sum(-v if i + 1 < len(values) and v < values[i + 1] else v for i, v in enumerate(values))


def label_number(label: str) -> int | None:
    """第十二条 → 12, 第三章 → 3, 第二节 → 2, 第十六条之一 → 16, Article 7 → 7, Chapter IV → 4."""
    match = re.match(r"^第(.+?)[章节条](?:之.+)?$", label)
    if match:
        return chinese_number(match.group(1))
    word = label.split()[-1]
    return int(word) if word.isdecimal() else _roman_number(word)


def label_sub_number(label: str) -> int:
    """Which inserted article a label names: 第十六条之一 → 1, 之二 → 2; 0 for any other label."""
    match = re.match(r"^第.+?条之(.+)$", label)
    return (chinese_number(match.group(1)) or 0) if match else 0


def _normalise_label(label: str) -> str:
    label = label.strip()
    if label[:1] == "第":
        return label
    word, number = label.split(None, 1)
    return f"{word.capitalize()} {number.strip()}"


@dataclass(frozen=True)
class Article:
    label: str  # 第十二条, 第十六条之一
    number: int | None  # 12, 16
    anchor: str  # article-12, article-16-sub1
    body: str  # the text after the label, as written (Markdown)
    sub: int = 0  # 1 for 第十六条之一: the article inserted after 第十六条

    @property
    def key(self) -> tuple[int, int] | None:
        """Where the label puts the article in the order of articles: (16, 1) for 第十六条之一."""
        return (self.number, self.sub) if self.number is not None else None

    @property
    def markdown(self) -> str:
        """The article as Markdown, with its label in bold (whatever the author wrote)."""
        separator = "\u3000" if self.label.startswith("第") else " "
        return f"**{self.label}**{separator}{self.body}" if self.body else f"**{self.label}**"

    @cached_property
    def plain(self) -> str:
        """The body as readers see it once rendered, without Markdown (portal.text.plain_text),
        one line per paragraph or list item: what the diff compares."""
        return plain_text(self.body)


@dataclass(frozen=True)
class Section:
    label: str  # 第一节
    number: int | None
    title: str  # 校长
    anchor: str  # chapter-3-section-1

    @property
    def heading(self) -> str:
        separator = "\u3000" if self.label.startswith("第") else " "
        return f"{self.label}{separator}{self.title}".strip() if self.title else self.label


@dataclass(frozen=True)
class Chapter:
    label: str  # 第三章 ("" for articles before any chapter heading)
    number: int | None
    title: str  # 组织机构与管理
    anchor: str  # chapter-3
    blocks: tuple  # Article, Section or str (other Markdown: another heading, a note), in order

    @property
    def heading(self) -> str:
        separator = "\u3000" if self.label.startswith("第") else " "
        return f"{self.label}{separator}{self.title}".strip() if self.title else self.label

    @property
    def articles(self) -> list[Article]:
        return [block for block in self.blocks if isinstance(block, Article)]

    @property
    def sections(self) -> list[Section]:
        return [block for block in self.blocks if isinstance(block, Section)]

    @property
    def contents(self) -> list:
        """Sections and articles in order: the chapter's entries in a table of contents."""
        return [block for block in self.blocks if not isinstance(block, str)]


@dataclass(frozen=True)
class CharterDocument:
    preamble: str  # Markdown before the first chapter or article (the title, a preamble)
    chapters: tuple[Chapter, ...]

    @property
    def articles(self) -> list[Article]:
        return [article for chapter in self.chapters for article in chapter.articles]

    @property
    def loose_text(self) -> str:
        """Text inside chapters that belongs to no article (section headings, notes)."""
        return "\n\n".join(block for chapter in self.chapters for block in chapter.blocks if isinstance(block, str))

    @property
    def titled_chapters(self) -> list[Chapter]:
        return [chapter for chapter in self.chapters if chapter.label]

    @property
    def is_structured(self) -> bool:
        return bool(self.chapters)


class _Anchors:
    """Anchor ids from numbers, unique within one document (a repeated label gets "-2")."""

    def __init__(self):
        self.used: set[str] = set()

    def make(self, kind: str, number: int | str | None) -> str:
        base = f"{kind}-{number}" if number is not None else f"{kind}-x"
        anchor, n = base, 1
        while anchor in self.used:
            n += 1
            anchor = f"{base}-{n}"
        self.used.add(anchor)
        return anchor


@lru_cache(maxsize=128)
def parse(text: str) -> CharterDocument:
    """Chapters and articles of a charter's Markdown (see the module's docstring)."""
    anchors = _Anchors()
    preamble: list[str] = []
    chapters: list[Chapter] = []
    # The chapter being read: label, number, title, anchor, blocks; and the article or loose text in it.
    chapter: dict | None = None
    article: dict | None = None
    loose: list[str] = []

    def close_article():
        nonlocal article
        if article is not None:
            chapter["blocks"].append(
                Article(
                    article["label"],
                    article["number"],
                    article["anchor"],
                    "\n".join(article["lines"]).strip(),
                    article["sub"],
                )
            )
            article = None

    def close_loose():
        if loose and "".join(loose).strip():
            (chapter["blocks"] if chapter is not None else preamble).append("\n".join(loose).strip())
        loose.clear()

    def close_chapter():
        close_article()
        close_loose()
        if chapter is not None:
            chapters.append(
                Chapter(
                    chapter["label"], chapter["number"], chapter["title"], chapter["anchor"], tuple(chapter["blocks"])
                )
            )

    in_fence = False
    for line in (text or "").replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if FENCE_LINE.match(line):
            in_fence = not in_fence
        if not in_fence and (match := CHAPTER_LINE.match(line)):
            close_chapter()
            label = _normalise_label(match.group("label"))
            number = label_number(label)
            chapter = {
                "label": label,
                "number": number,
                "title": match.group("title").strip(),
                "anchor": anchors.make("chapter", number),
                "blocks": [],
            }
            continue
        if not in_fence and (match := SECTION_LINE.match(line)):
            close_article()
            close_loose()
            if chapter is None:  # a section before any chapter heading: in a chapter without a title
                chapter = {"label": "", "number": None, "title": "", "anchor": "", "blocks": []}
            label = _normalise_label(match.group("label"))
            number = label_number(label)
            chapter_part = chapter["number"] if chapter["number"] is not None else "x"
            chapter["blocks"].append(
                Section(
                    label,
                    number,
                    match.group("title").strip(),
                    anchors.make(f"chapter-{chapter_part}-section", number),
                )
            )
            continue
        match = None if in_fence else ARTICLE_LINE.match(line)
        if match and bool(match.group("open")) == bool(match.group("close")):
            close_article()
            close_loose()
            if chapter is None:  # articles before any chapter heading: a chapter without a title
                chapter = {"label": "", "number": None, "title": "", "anchor": "", "blocks": []}
            label = _normalise_label(match.group("label"))
            number, sub = label_number(label), label_sub_number(label)
            article = {
                "label": label,
                "number": number,
                "sub": sub,
                "anchor": anchors.make("article", f"{number}-sub{sub}" if sub and number is not None else number),
                "lines": [match.group("rest")],
            }
            continue
        if not in_fence and HEADING_LINE.match(line):
            close_article()
            close_loose()
        if article is not None:
            article["lines"].append(line)
        elif chapter is not None:
            loose.append(line)
        else:
            preamble.append(line)
    close_chapter()
    preamble_text = "\n".join(block for block in preamble).strip()
    return CharterDocument(preamble_text, tuple(chapters))


CJK_CHARACTER = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def text_language(text: str) -> str:
    """The language a charter is written in, for the `lang` of its text on a page in either
    language (screen readers pronounce by it): Chinese once a tenth of its letters are Chinese."""
    sample = (text or "")[:4000]
    letters = sum(1 for ch in sample if ch.isalpha())
    chinese = len(CJK_CHARACTER.findall(sample))
    return "zh-CN" if letters and chinese * 10 >= letters else "en"


# ---------------------------------------------------------------------------------------------
# What changed between two versions

# One token per Chinese character or punctuation mark, one per Latin word or number, one per
# run of spaces: the diff then marks whole words in English and single characters in Chinese.
TOKEN = re.compile(
    r"[A-Za-z0-9\u00c0-\u024f]+(?:['’.-][A-Za-z0-9\u00c0-\u024f]+)*"
    r"|[ \t\u3000]+"
    r"|\n"
    r"|."
)


def tokens(text: str) -> list[str]:
    return TOKEN.findall(text)


@dataclass(frozen=True)
class Segment:
    op: str  # "equal", "insert" or "delete"
    text: str


class TooManyChanges(Exception):
    """Comparing the two texts would take more work than one page may spend on it."""


# The work one comparison may do, counted in steps of difflib's innermost loop (pairs of equal
# tokens, lines or characters it looks at) plus articles and lines looked at: a comparison that
# would need more stops and says so (CharterDiff.too_large), and readers are offered both
# versions instead. Half a second's work at most; two charters of 800 articles, every one of
# them amended a little, take a few per cent of it.
DIFF_WORK_BUDGET = 3_000_000
# One text (an article, the preamble) may spend this much on a word or character diff; past it
# the text is shown replaced whole, or compared line by line first when it is long.
TEXT_DIFF_BUDGET = 300_000
# Token by token, difflib's time grows with the product of the two lengths: beyond this, long
# texts are compared line by line first, and only changed stretches small enough token by token.
TOKEN_DIFF_BUDGET = 2_000_000


class Work:
    """What a comparison has left to spend; `spend` raises TooManyChanges once it is gone."""

    def __init__(self, budget: int = DIFF_WORK_BUDGET):
        self.left = budget

    def spend(self, units: int) -> None:
        self.left -= units
        if self.left < 0:
            raise TooManyChanges


class _CountedMatcher(SequenceMatcher):
    """difflib's matcher, charging each search for a longest match to `work` before it runs:
    its cost is the number of places in b where a's tokens occur, which texts that repeat a few
    tokens (“甲乙丙甲乙丙…”) make grow with the square of their length — and the
    searches with it."""

    def __init__(self, work: Work, a, b):
        self.work = work
        super().__init__(None, a, b, autojunk=False)

    def find_longest_match(self, alo=0, ahi=None, blo=0, bhi=None):
        ahi = len(self.a) if ahi is None else ahi
        occurrences = self.b2j
        self.work.spend(ahi - alo + sum(len(occurrences.get(self.a[i], ())) for i in range(alo, ahi)))
        return super().find_longest_match(alo, ahi, blo, bhi)


def _opcodes(a, b, work: Work, limit: int = TEXT_DIFF_BUDGET):
    """difflib's opcodes from a to b, or None when finding them would cost more than `limit`.
    What was spent is charged to `work` either way (which raises once the comparison's budget is
    gone)."""
    allowed = min(limit, work.left + 1)
    local = Work(allowed)
    try:
        opcodes = _CountedMatcher(local, a, b).get_opcodes()
    except TooManyChanges:  # raised before the search that would have overspent ran
        opcodes = None
    work.spend(allowed - max(local.left, 0))
    return opcodes


def _token_diff(a: list[str], b: list[str], work: Work) -> list[Segment]:
    work.spend(len(a) + len(b))
    opcodes = _opcodes(a, b, work)
    if opcodes is None:  # too costly to match token by token: shown replaced whole
        return [Segment(op, "".join(part)) for op, part in (("delete", a), ("insert", b)) if part]
    segments = []
    for tag, i1, i2, j1, j2 in opcodes:
        if tag == "equal":
            segments.append(Segment("equal", "".join(a[i1:i2])))
        else:
            if i2 > i1:
                segments.append(Segment("delete", "".join(a[i1:i2])))
            if j2 > j1:
                segments.append(Segment("insert", "".join(b[j1:j2])))
    return segments


def _raw_diff(old: str, new: str, work: Work) -> list[Segment]:
    a, b = tokens(old), tokens(new)
    if len(a) * len(b) <= TOKEN_DIFF_BUDGET:
        return _token_diff(a, b, work)
    lines_a, lines_b = old.splitlines(keepends=True), new.splitlines(keepends=True)
    work.spend(len(lines_a) + len(lines_b))
    opcodes = _opcodes(lines_a, lines_b, work)
    if opcodes is None:
        return [Segment(op, text) for op, text in (("delete", old), ("insert", new)) if text]
    segments = []
    for tag, i1, i2, j1, j2 in opcodes:
        chunk_a, chunk_b = "".join(lines_a[i1:i2]), "".join(lines_b[j1:j2])
        if tag == "equal":
            segments.append(Segment("equal", chunk_a))
        elif len(tokens(chunk_a)) * len(tokens(chunk_b)) <= TOKEN_DIFF_BUDGET:
            segments += _token_diff(tokens(chunk_a), tokens(chunk_b), work)
        else:
            segments += [Segment(op, text) for op, text in (("delete", chunk_a), ("insert", chunk_b)) if text]
    return segments


def text_diff(old: str, new: str, work: Work | None = None) -> list[Segment]:
    """The changes from `old` to `new`, word by word in Latin script, character by character in
    Chinese. A lone space between two changes is folded into them, so that "the old rule" →
    "a new rule" reads as one deletion and one insertion rather than a patchwork. Raises
    TooManyChanges when `work` runs out."""
    raw = _raw_diff(old, new, work or Work())
    # Fold a whitespace-only equal run that sits between two changes into them.
    folded: list[Segment] = []
    for index, segment in enumerate(raw):
        is_gap = (
            segment.op == "equal"
            and segment.text.strip(" \t\u3000") == ""
            and 0 < index < len(raw) - 1
            and raw[index - 1].op != "equal"
            and raw[index + 1].op != "equal"
        )
        if is_gap:
            folded.append(Segment("delete", segment.text))
            folded.append(Segment("insert", segment.text))
        else:
            folded.append(segment)
    # Gather each run of changes into one deletion followed by one insertion.
    merged: list[Segment] = []
    pending = {"delete": [], "insert": []}

    def flush():
        for op in ("delete", "insert"):
            if pending[op]:
                merged.append(Segment(op, "".join(pending[op])))
                pending[op] = []

    for segment in folded:
        if segment.op == "equal":
            flush()
            if merged and merged[-1].op == "equal":
                merged[-1] = Segment("equal", merged[-1].text + segment.text)
            else:
                merged.append(segment)
        else:
            pending[segment.op].append(segment.text)
    flush()
    return merged


@dataclass(frozen=True)
class ArticleRef:
    """An article as a change names it: its label and where to read it."""

    label: str
    anchor: str


@dataclass(frozen=True)
class ArticleChange:
    kind: str  # "changed", "added", "removed" or "renumbered"
    old: ArticleRef | None
    new: ArticleRef | None
    chapter: str  # the heading of the chapter it is in (in the newer version; the older for a removal)
    segments: tuple[Segment, ...] = ()

    @property
    def label(self) -> str:
        return (self.new or self.old).label

    @property
    def renumbered(self) -> bool:
        return self.old is not None and self.new is not None and self.old.label != self.new.label


@dataclass(frozen=True)
class OtherChange:
    """A change outside the articles: the preamble, a chapter's or a section's heading."""

    # "preamble", "chapter_changed", "chapter_added", "chapter_removed", "section_changed",
    # "section_added", "section_removed", "other_text"
    kind: str
    label: str
    segments: tuple[Segment, ...]


# The shape of a stored comparison (CharterDiff.to_dict). A comparison that reads differently
# (a better pairing, another text form) gets the next number, and stored ones of an older
# format are made again when next asked for.
DIFF_FORMAT = 2


def _ref_dict(ref: ArticleRef | None):
    return [ref.label, ref.anchor] if ref is not None else None


def _ref(value) -> ArticleRef | None:
    return ArticleRef(*value) if value else None


def _segments(value) -> tuple[Segment, ...]:
    return tuple(Segment(op, text) for op, text in value)


@dataclass
class CharterDiff:
    articles: list[ArticleChange] = field(default_factory=list)  # changed, added, removed: in reading order
    renumbered: list[ArticleChange] = field(default_factory=list)  # same text under a new label
    other: list[OtherChange] = field(default_factory=list)
    # The comparison would have cost more than DIFF_WORK_BUDGET: nothing else is known.
    too_large: bool = False

    @property
    def changed_count(self) -> int:
        return sum(1 for change in self.articles if change.kind == "changed")

    @property
    def added_count(self) -> int:
        return sum(1 for change in self.articles if change.kind == "added")

    @property
    def removed_count(self) -> int:
        return sum(1 for change in self.articles if change.kind == "removed")

    @property
    def is_empty(self) -> bool:
        return not (self.too_large or self.articles or self.renumbered or self.other)

    def to_dict(self) -> dict:
        """Plain data (JSON) to store the comparison and read it back with `from_dict`."""

        def article(change: ArticleChange) -> dict:
            return {
                "kind": change.kind,
                "old": _ref_dict(change.old),
                "new": _ref_dict(change.new),
                "chapter": change.chapter,
                "segments": [[s.op, s.text] for s in change.segments],
            }

        return {
            "format": DIFF_FORMAT,
            "too_large": self.too_large,
            "articles": [article(change) for change in self.articles],
            "renumbered": [article(change) for change in self.renumbered],
            "other": [
                {"kind": c.kind, "label": c.label, "segments": [[s.op, s.text] for s in c.segments]} for c in self.other
            ],
        }

    @classmethod
    def from_dict(cls, data: dict) -> CharterDiff:
        def article(item: dict) -> ArticleChange:
            return ArticleChange(
                item["kind"], _ref(item["old"]), _ref(item["new"]), item["chapter"], _segments(item["segments"])
            )

        return cls(
            articles=[article(item) for item in data["articles"]],
            renumbered=[article(item) for item in data["renumbered"]],
            other=[OtherChange(item["kind"], item["label"], _segments(item["segments"])) for item in data["other"]],
            too_large=bool(data["too_large"]),
        )


SIMILAR_ENOUGH = 0.6  # two articles at least this alike are one article, amended
# Pairs compared in one stretch, and their characters multiplied: beyond either, labels alone
# decide (comparing every article with every other costs time that grows with both).
SIMILARITY_BUDGET = 400
SIMILARITY_CHARACTER_BUDGET = 10_000_000


def _similarity(a: Article, b: Article, work: Work) -> float:
    matcher = _CountedMatcher(work, a.plain, b.plain)
    work.spend(len(a.plain) + len(b.plain))
    if matcher.real_quick_ratio() < SIMILAR_ENOUGH or matcher.quick_ratio() < SIMILAR_ENOUGH:
        return 0.0
    return matcher.ratio()


def _article_key(article: Article):
    return article.key if article.key is not None else article.label


def _pair_stretch(olds: list[Article], news: list[Article], work: Work) -> list[tuple[Article | None, Article | None]]:
    """Pair the articles of a stretch where the two versions differ. Articles alike enough are
    paired first, keeping their order (an amended article that was also renumbered, because one
    was inserted before it, is still recognised), when the stretch is small enough to compare
    every article with every other; then by label (number); whatever is left was added or
    removed. In reading order: each removed article where it stood, before what was added in
    its place."""
    pairs: dict[int, int] = {}  # index in news → index in olds
    work.spend(len(olds) + len(news))
    characters = sum(len(o.plain) for o in olds) * sum(len(n.plain) for n in news)
    affordable = len(olds) * len(news) <= SIMILARITY_BUDGET and characters <= SIMILARITY_CHARACTER_BUDGET
    if olds and news and affordable:
        # Longest chain of alike pairs, in order: a small dynamic programme over the stretch.
        scores = [[_similarity(o, n, work) for n in news] for o in olds]
        best = [[0.0] * (len(news) + 1) for _ in range(len(olds) + 1)]
        for i in range(len(olds) - 1, -1, -1):
            for j in range(len(news) - 1, -1, -1):
                take = scores[i][j] + best[i + 1][j + 1] if scores[i][j] >= SIMILAR_ENOUGH else -1.0
                best[i][j] = max(take, best[i + 1][j], best[i][j + 1])
        i = j = 0
        while i < len(olds) and j < len(news):
            if scores[i][j] >= SIMILAR_ENOUGH and best[i][j] == scores[i][j] + best[i + 1][j + 1]:
                pairs[j] = i
                i += 1
                j += 1
            elif best[i][j] == best[i + 1][j]:
                i += 1
            else:
                j += 1
    used_olds = set(pairs.values())
    by_key: dict = {}
    for index, article in enumerate(olds):
        if index not in used_olds:
            by_key.setdefault(_article_key(article), index)
    for j, article in enumerate(news):
        if j not in pairs and (index := by_key.pop(_article_key(article), None)) is not None:
            pairs[j] = index
    paired = set(pairs.values())
    removed = [i for i in range(len(olds)) if i not in paired]
    # The first old article paired at or after each new one: removals before it are read first.
    next_paired = [len(olds)] * (len(news) + 1)
    for j in range(len(news) - 1, -1, -1):
        next_paired[j] = min(pairs.get(j, len(olds)), next_paired[j + 1])
    result: list[tuple[Article | None, Article | None]] = []
    r = 0
    for j, new in enumerate(news):
        while r < len(removed) and removed[r] < next_paired[j]:
            result.append((olds[removed[r]], None))
            r += 1
        result.append((olds[pairs[j]] if j in pairs else None, new))
    result += [(olds[i], None) for i in removed[r:]]
    return result


def _longest_increasing(pairs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The longest chain of (i, j) pairs, given in order of i, whose j increase too."""
    tails: list[int] = []  # tails[k]: index in pairs of the chain of length k + 1 ending lowest
    back: list[int] = [-1] * len(pairs)
    for index, (_, j) in enumerate(pairs):
        k = _bisect_tails(pairs, tails, j)
        if k:
            back[index] = tails[k - 1]
        if k == len(tails):
            tails.append(index)
        else:
            tails[k] = index
    chain, index = [], tails[-1] if tails else -1
    while index >= 0:
        chain.append(pairs[index])
        index = back[index]
    return chain[::-1]


def _bisect_tails(pairs, tails, j) -> int:
    """Where j goes among the chains' last j (bisect_left, without copying them into a list)."""
    low, high = 0, len(tails)
    while low < high:
        middle = (low + high) // 2
        if pairs[tails[middle]][1] < j:
            low = middle + 1
        else:
            high = middle
    return low


def _same_text_pairs(a: list[str], b: list[str], work: Work) -> list[tuple[int, int]]:
    """Articles with the same text in both versions, in order (patience diff): the shared start
    and end, then texts that occur once in each version, then the same again between those.
    Unlike difflib over the articles, a text repeated hundreds of times costs nothing extra."""
    matches: list[tuple[int, int]] = []
    stretches = [(0, len(a), 0, len(b))]
    while stretches:
        i1, i2, j1, j2 = stretches.pop()
        while i1 < i2 and j1 < j2 and a[i1] == b[j1]:
            matches.append((i1, j1))
            i1, j1 = i1 + 1, j1 + 1
        while i1 < i2 and j1 < j2 and a[i2 - 1] == b[j2 - 1]:
            i2, j2 = i2 - 1, j2 - 1
            matches.append((i2, j2))
        if i1 == i2 or j1 == j2:
            continue
        work.spend((i2 - i1) + (j2 - j1))
        count_a, count_b = Counter(a[i1:i2]), Counter(b[j1:j2])
        where_b = {b[j]: j for j in range(j1, j2) if count_b[b[j]] == 1}
        unique = [(i, where_b[a[i]]) for i in range(i1, i2) if count_a[a[i]] == 1 and a[i] in where_b]
        anchors = _longest_increasing(unique)
        previous_i, previous_j = i1, j1
        for i, j in anchors:
            matches.append((i, j))
            stretches.append((previous_i, i, previous_j, j))
            previous_i, previous_j = i + 1, j + 1
        if anchors:
            stretches.append((previous_i, i2, previous_j, j2))
    return sorted(matches)


def _align(olds: list[Article], news: list[Article], work: Work) -> list[tuple[Article | None, Article | None]]:
    """Every article of either version, paired with its counterpart (or None), in reading order."""
    same = _same_text_pairs([o.plain for o in olds], [n.plain for n in news], work)
    result: list[tuple[Article | None, Article | None]] = []
    i = j = 0
    for next_i, next_j in [*same, (len(olds), len(news))]:
        if next_i > i or next_j > j:
            result += _pair_stretch(olds[i:next_i], news[j:next_j], work)
        if next_i < len(olds) and next_j < len(news):
            result.append((olds[next_i], news[next_j]))
        i, j = next_i + 1, next_j + 1
    return result


def _chapter_of(document: CharterDocument) -> dict[str, str]:
    return {article.anchor: chapter.heading for chapter in document.chapters for article in chapter.articles}


def _sections_of(document: CharterDocument) -> dict[str, Section]:
    return {
        f"{chapter.label} {section.label}".strip(): section
        for chapter in document.chapters
        for section in chapter.sections
    }


def _ref_of(article: Article) -> ArticleRef:
    return ArticleRef(article.label, article.anchor)


def compare(old_text: str, new_text: str, *, budget: int | None = None) -> CharterDiff:
    """What changed from one version's text to another's, article by article, in the text as
    readers see it (Markdown marks are not changes: portal.text.plain_text).

    Articles whose text is the same are lined up first (so that renumbering after an inserted
    article does not make every later article look changed); in the stretches between them,
    articles are paired by likeness (in small stretches), then by their number. Paired articles
    that differ get a word or character diff; the others are added or removed whole. The work
    is bounded by `budget`: past it, the answer is `CharterDiff(too_large=True)`."""
    try:
        return _compare(parse(old_text), parse(new_text), Work(budget or DIFF_WORK_BUDGET))
    except TooManyChanges:
        return CharterDiff(too_large=True)


def _compare(old_doc: CharterDocument, new_doc: CharterDocument, work: Work) -> CharterDiff:
    old_articles, new_articles = old_doc.articles, new_doc.articles
    old_chapter, new_chapter = _chapter_of(old_doc), _chapter_of(new_doc)
    diff = CharterDiff()
    work.spend(len(old_articles) + len(new_articles))
    for old, new in _align(old_articles, new_articles, work):
        if old is None:
            diff.articles.append(
                ArticleChange("added", None, _ref_of(new), new_chapter[new.anchor], (Segment("insert", new.plain),))
            )
        elif new is None:
            diff.articles.append(
                ArticleChange("removed", _ref_of(old), None, old_chapter[old.anchor], (Segment("delete", old.plain),))
            )
        elif old.plain != new.plain:
            segments = tuple(text_diff(old.plain, new.plain, work))
            diff.articles.append(
                ArticleChange("changed", _ref_of(old), _ref_of(new), new_chapter[new.anchor], segments)
            )
        elif old.label != new.label:
            diff.renumbered.append(ArticleChange("renumbered", _ref_of(old), _ref_of(new), new_chapter[new.anchor]))

    old_preamble, new_preamble = plain_text(old_doc.preamble), plain_text(new_doc.preamble)
    if old_preamble != new_preamble:
        diff.other.append(OtherChange("preamble", "", tuple(text_diff(old_preamble, new_preamble, work))))
    old_chapters = {c.label: c for c in old_doc.titled_chapters}
    new_chapters = {c.label: c for c in new_doc.titled_chapters}
    for label, chapter in new_chapters.items():
        before = old_chapters.get(label)
        if before is None:
            diff.other.append(OtherChange("chapter_added", label, (Segment("insert", chapter.heading),)))
        elif before.title != chapter.title:
            diff.other.append(
                OtherChange("chapter_changed", label, tuple(text_diff(before.heading, chapter.heading, work)))
            )
    for label, chapter in old_chapters.items():
        if label not in new_chapters:
            diff.other.append(OtherChange("chapter_removed", label, (Segment("delete", chapter.heading),)))
    old_sections, new_sections = _sections_of(old_doc), _sections_of(new_doc)
    for label, section in new_sections.items():
        before = old_sections.get(label)
        if before is None:
            diff.other.append(OtherChange("section_added", label, (Segment("insert", section.heading),)))
        elif before.title != section.title:
            diff.other.append(
                OtherChange("section_changed", label, tuple(text_diff(before.heading, section.heading, work)))
            )
    for label, section in old_sections.items():
        if label not in new_sections:
            diff.other.append(OtherChange("section_removed", label, (Segment("delete", section.heading),)))
    old_loose, new_loose = plain_text(old_doc.loose_text), plain_text(new_doc.loose_text)
    if old_loose != new_loose:
        diff.other.append(OtherChange("other_text", "", tuple(text_diff(old_loose, new_loose, work))))
    return diff
