"""The structure of a charter's Markdown: chapters (章) and articles (条), and what changed
between two versions.

The convention a charter's text follows (the edit page tells authors the same):

- A chapter is a heading of level one or two whose text begins with its label:
  ``# 第一章 总则`` or ``## 第三章 组织机构与管理`` (``# Chapter 1 General provisions`` in English).
- An article is a paragraph that begins with its label, optionally in bold:
  ``第一条 本校名称为……`` or ``**第十二条** 学校实行校长负责制……`` (``**Article 12** ...``).
  The article goes on, over several paragraphs or lists if need be, until the next article,
  the next heading, or the end of the text.
- Text before the first chapter (the charter's own title, a preamble 序言) is kept as it is.
  Other headings (``### 第一节 …``) are kept too; they end the article before them.
- Labels carry Chinese numerals (一 二 三 … 十 百 千, 零/〇, 两) or Arabic digits:
  第十二条 is article 12, 第一百零五条 article 105. The number gives the anchor
  (``id="article-12"``, ``id="chapter-3"``) and lines versions up for the diff.

Nothing here touches the database; `parse` is cached by text, so pages that show a summary,
a table of contents and the text parse each version once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from functools import lru_cache

CHINESE_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
CHINESE_UNITS = {"十": 10, "百": 100, "千": 1000}
NUMERAL = r"[零〇一二三四五六七八九十百千两\d]+"

CHAPTER_LINE = re.compile(
    rf"^ {{0,3}}#{{1,2}}[ \t]+(?P<label>第{NUMERAL}章|Chapter[ \t]+(?:\d+|[IVXLC]+)\b)"
    r"[ \t\u3000:：.、]*(?P<title>.*?)[ \t#]*$",
    re.IGNORECASE,
)
ARTICLE_LINE = re.compile(
    rf"^ {{0,3}}(?P<open>\*\*|__)?[ \t]*(?P<label>第{NUMERAL}条|Article[ \t]+\d+\b)"
    r"[ \t]*(?P<close>\*\*|__)?[ \t\u3000:：.、]*(?P<rest>.*)$",
    re.IGNORECASE,
)
HEADING_LINE = re.compile(r"^ {0,3}#{1,6}([ \t]|$)")
FENCE_LINE = re.compile(r"^ {0,3}(```|~~~)")
ROMAN = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100}


def chinese_number(text: str) -> int | None:
    """The value of a numeral as used in labels: "十二" → 12, "一百零五" → 105, "二十" → 20,
    "十" → 10, "12" → 12. None if it is not one."""
    if not text:
        return None
    if text.isdecimal():  # what int() reads (full-width １２ too); "²" is a digit it refuses
        return int(text)
    total, digit = 0, None
    for ch in text:
        if ch in CHINESE_DIGITS:
            if digit is not None and digit != 0:  # two digits in a row ("一二") is not a number
                return None
            digit = CHINESE_DIGITS[ch]
        elif ch in CHINESE_UNITS:
            total += (digit if digit else 1) * CHINESE_UNITS[ch]
            digit = None
        else:
            return None
    return total + (digit or 0)


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
    """第十二条 → 12, 第三章 → 3, Article 7 → 7, Chapter IV → 4."""
    match = re.match(r"^第(.+)[章条]$", label)
    if match:
        return chinese_number(match.group(1))
    word = label.split()[-1]
    return int(word) if word.isdecimal() else _roman_number(word)


def _normalise_label(label: str) -> str:
    label = label.strip()
    if label[:1] == "第":
        return label
    word, number = label.split(None, 1)
    return f"{word.capitalize()} {number.strip()}"


@dataclass(frozen=True)
class Article:
    label: str  # 第十二条
    number: int | None  # 12
    anchor: str  # article-12
    body: str  # the text after the label, as written (Markdown)

    @property
    def markdown(self) -> str:
        """The article as Markdown, with its label in bold (whatever the author wrote)."""
        separator = "\u3000" if self.label.startswith("第") else " "
        return f"**{self.label}**{separator}{self.body}" if self.body else f"**{self.label}**"

    @property
    def plain(self) -> str:
        """The body with runs of spaces made one and blank lines dropped: what the diff compares."""
        lines = (" ".join(line.split()) for line in self.body.splitlines())
        return "\n".join(line for line in lines if line)


@dataclass(frozen=True)
class Chapter:
    label: str  # 第三章 ("" for articles before any chapter heading)
    number: int | None
    title: str  # 组织机构与管理
    anchor: str  # chapter-3
    blocks: tuple  # Article or str (other Markdown: a section heading, a note), in order

    @property
    def heading(self) -> str:
        separator = "\u3000" if self.label.startswith("第") else " "
        return f"{self.label}{separator}{self.title}".strip() if self.title else self.label

    @property
    def articles(self) -> list[Article]:
        return [block for block in self.blocks if isinstance(block, Article)]


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

    def make(self, kind: str, number: int | None) -> str:
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
                Article(article["label"], article["number"], article["anchor"], "\n".join(article["lines"]).strip())
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
        match = None if in_fence else ARTICLE_LINE.match(line)
        if match and bool(match.group("open")) == bool(match.group("close")):
            close_article()
            close_loose()
            if chapter is None:  # articles before any chapter heading: a chapter without a title
                chapter = {"label": "", "number": None, "title": "", "anchor": "", "blocks": []}
            label = _normalise_label(match.group("label"))
            number = label_number(label)
            article = {
                "label": label,
                "number": number,
                "anchor": anchors.make("article", number),
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


# Token by token, difflib's time grows with the product of the two lengths: beyond this, long
# texts are compared line by line first, and only changed stretches small enough token by token,
# so that a page never hangs on a huge unstructured text.
TOKEN_DIFF_BUDGET = 2_000_000


def _token_diff(a: list[str], b: list[str]) -> list[Segment]:
    segments = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            segments.append(Segment("equal", "".join(a[i1:i2])))
        else:
            if i2 > i1:
                segments.append(Segment("delete", "".join(a[i1:i2])))
            if j2 > j1:
                segments.append(Segment("insert", "".join(b[j1:j2])))
    return segments


def _raw_diff(old: str, new: str) -> list[Segment]:
    a, b = tokens(old), tokens(new)
    if len(a) * len(b) <= TOKEN_DIFF_BUDGET:
        return _token_diff(a, b)
    lines_a, lines_b = old.splitlines(keepends=True), new.splitlines(keepends=True)
    segments = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, lines_a, lines_b, autojunk=False).get_opcodes():
        chunk_a, chunk_b = "".join(lines_a[i1:i2]), "".join(lines_b[j1:j2])
        if tag == "equal":
            segments.append(Segment("equal", chunk_a))
        elif len(tokens(chunk_a)) * len(tokens(chunk_b)) <= TOKEN_DIFF_BUDGET:
            segments += _token_diff(tokens(chunk_a), tokens(chunk_b))
        else:
            segments += [Segment(op, text) for op, text in (("delete", chunk_a), ("insert", chunk_b)) if text]
    return segments


def text_diff(old: str, new: str) -> list[Segment]:
    """The changes from `old` to `new`, word by word in Latin script, character by character in
    Chinese. A lone space between two changes is folded into them, so that "the old rule" →
    "a new rule" reads as one deletion and one insertion rather than a patchwork."""
    raw = _raw_diff(old, new)
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
class ArticleChange:
    kind: str  # "changed", "added", "removed" or "renumbered"
    old: Article | None
    new: Article | None
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
    """A change outside the articles: the preamble, or a chapter's heading."""

    kind: str  # "preamble", "chapter_changed", "chapter_added", "chapter_removed", "other_text"
    label: str
    segments: tuple[Segment, ...]


@dataclass
class CharterDiff:
    articles: list[ArticleChange] = field(default_factory=list)  # changed, added, removed: in reading order
    renumbered: list[ArticleChange] = field(default_factory=list)  # same text under a new label
    other: list[OtherChange] = field(default_factory=list)

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
        return not (self.articles or self.renumbered or self.other)


SIMILAR_ENOUGH = 0.6  # two articles at least this alike are one article, amended
# Pairs compared in one stretch, and their characters multiplied: beyond either, labels alone
# decide (comparing every article with every other costs time that grows with both).
SIMILARITY_BUDGET = 400
SIMILARITY_CHARACTER_BUDGET = 10_000_000


def _similarity(a: Article, b: Article) -> float:
    matcher = SequenceMatcher(None, a.plain, b.plain, autojunk=False)
    if matcher.real_quick_ratio() < SIMILAR_ENOUGH or matcher.quick_ratio() < SIMILAR_ENOUGH:
        return 0.0
    return matcher.ratio()


def _pair_stretch(olds: list[Article], news: list[Article]) -> list[tuple[Article | None, Article | None]]:
    """Pair the articles of a stretch where the two versions differ. Articles alike enough are
    paired first, keeping their order (an amended article that was also renumbered, because one
    was inserted before it, is still recognised); the rest by label; whatever is left was added
    or removed."""
    pairs: dict[int, int] = {}  # index in news → index in olds
    affordable = (
        len(olds) * len(news) <= SIMILARITY_BUDGET
        and sum(len(o.plain) for o in olds) * sum(len(n.plain) for n in news) <= SIMILARITY_CHARACTER_BUDGET
    )
    if olds and news and affordable:
        # Longest chain of alike pairs, in order: a small dynamic programme over the stretch.
        scores = [[_similarity(o, n) for n in news] for o in olds]
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
    by_label = {article.label: index for index, article in enumerate(olds) if index not in used_olds}
    for j, article in enumerate(news):
        if j not in pairs and article.label in by_label:
            pairs[j] = by_label.pop(article.label)
    # In reading order: each removed article where it stood, before what was added in its place.
    removed = [i for i in range(len(olds)) if i not in set(pairs.values())]
    result: list[tuple[Article | None, Article | None]] = []
    for j, new in enumerate(news):
        later_pairs = [pairs[k] for k in range(j, len(news)) if k in pairs]
        before = min(later_pairs) if later_pairs else len(olds)
        while removed and removed[0] < before:
            result.append((olds[removed.pop(0)], None))
        result.append((olds[pairs[j]] if j in pairs else None, new))
    result += [(olds[i], None) for i in removed]
    return result


def _chapter_of(document: CharterDocument) -> dict[str, str]:
    return {article.anchor: chapter.heading for chapter in document.chapters for article in chapter.articles}


def compare(old_text: str, new_text: str) -> CharterDiff:
    """What changed from one version's text to another's, article by article.

    Articles whose text is the same are lined up first (so that renumbering after an inserted
    article does not make every later article look changed); in the stretches between them,
    articles are paired by likeness, then by label. Paired articles that differ get a word or
    character diff; the others are added or removed whole."""
    old_doc, new_doc = parse(old_text), parse(new_text)
    old_articles, new_articles = old_doc.articles, new_doc.articles
    old_chapter, new_chapter = _chapter_of(old_doc), _chapter_of(new_doc)
    diff = CharterDiff()

    matcher = SequenceMatcher(None, [a.plain for a in old_articles], [a.plain for a in new_articles], autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            pairs = list(zip(old_articles[i1:i2], new_articles[j1:j2], strict=True))
        else:
            pairs = _pair_stretch(old_articles[i1:i2], new_articles[j1:j2])
        for old, new in pairs:
            if old is None:
                diff.articles.append(
                    ArticleChange("added", None, new, new_chapter[new.anchor], (Segment("insert", new.plain),))
                )
            elif new is None:
                diff.articles.append(
                    ArticleChange("removed", old, None, old_chapter[old.anchor], (Segment("delete", old.plain),))
                )
            elif old.plain != new.plain:
                diff.articles.append(
                    ArticleChange("changed", old, new, new_chapter[new.anchor], tuple(text_diff(old.plain, new.plain)))
                )
            elif old.label != new.label:
                diff.renumbered.append(ArticleChange("renumbered", old, new, new_chapter[new.anchor]))

    if old_doc.preamble.strip() != new_doc.preamble.strip():
        diff.other.append(
            OtherChange("preamble", "", tuple(text_diff(old_doc.preamble.strip(), new_doc.preamble.strip())))
        )
    old_chapters = {c.label: c for c in old_doc.titled_chapters}
    new_chapters = {c.label: c for c in new_doc.titled_chapters}
    for label, chapter in new_chapters.items():
        before = old_chapters.get(label)
        if before is None:
            diff.other.append(OtherChange("chapter_added", label, (Segment("insert", chapter.heading),)))
        elif before.title != chapter.title:
            diff.other.append(OtherChange("chapter_changed", label, tuple(text_diff(before.heading, chapter.heading))))
    for label, chapter in old_chapters.items():
        if label not in new_chapters:
            diff.other.append(OtherChange("chapter_removed", label, (Segment("delete", chapter.heading),)))
    if old_doc.loose_text != new_doc.loose_text:
        diff.other.append(OtherChange("other_text", "", tuple(text_diff(old_doc.loose_text, new_doc.loose_text))))
    return diff
