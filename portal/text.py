"""Text as people write it: one normalised spelling (nfc), Markdown (charters, minutes,
decisions, proposals) rendered safely, numbers written in Chinese (第十一), and the order Chinese
names are looked for in (pinyin_sort_key).

markdown-it-py turns CommonMark into HTML with raw HTML switched off; nh3 then keeps only the
tags and attributes on an allow-list, so scripts, iframes, event handlers, `javascript:` links
and htmx attributes (`hx-*`) in the text are rendered inert whatever the author typed.
"""

import functools
import re
import unicodedata

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")

ALLOWED_TAGS = {
    "p",
    "br",
    "hr",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "strong",
    "em",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "a",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "del",
    "ins",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}, "th": {"align"}, "td": {"align"}}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}


def nfc(text: str | None) -> str:
    """Text as the portal stores it: one spelling of each character (NFC, so that the same words
    typed on different keyboards are the same text), line breaks as \\n (browsers send \\r\\n),
    no surrounding space. Nothing else changes: markup, emoji and zero-width characters stay as
    typed, and pages show them as text."""
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n")
    return unicodedata.normalize("NFC", text).strip()


# A school's name begins with where it is: 重庆市渝中区解放路小学 is 重庆市, 渝中区, 解放路小学.
_PLACE_IN_FRONT = re.compile(r"^(重庆市)?([\u4e00-\u9fff]{1,4}?[区县])?")
_DIGITS = re.compile(r"\d+")
# A number written in Chinese in a school's name: 第一, 第十一 (中学); at its end, 一中, 二十九中, 一小
# (not 统一小学).
_CHINESE_NUMBER = re.compile(r"(?<=第)[零〇一二三四五六七八九十百千两]+|[零〇一二三四五六七八九十百千两]+(?=[中小]$)")
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


def _in_figures(numerals: re.Match) -> str:
    """第十一 -> 第11; what is not a number (一二) stays as it is."""
    value = chinese_number(numerals.group())
    return numerals.group() if value is None else str(value)


def place_and_name(name: str) -> list[str]:
    """A school's name cut where its place ends: ["重庆市", "渝中区", "解放路小学"] (the city and the
    district only when it names them)."""
    found = _PLACE_IN_FRONT.match(name)
    parts = [part for part in found.groups() if part]
    rest = name[found.end() :]
    return [*parts, rest] if rest else parts


def pinyin_sort_key(name: str) -> str:
    """The key that puts Chinese names in the order a Chinese reader looks for them: by pinyin,
    syllable by syllable, each with its tone (jie3 fang4 lu4 xiao3 xue2: 巴 ba1 before 白 bai2, the
    tones 1 to 4 and 5 for the neutral one, ü as v after u), numbers by their value, in figures or
    in Chinese (第二 before 第十, 第2 before 第10, 一中 before 二十九中), letters in lower case.
    Each part of the name is read alone (place_and_name), so that the end of one part and the
    start of the next are not read as one word: 重庆市长寿区 is chang2 shou4
    (the district), not 市长 shi4 zhang3 (a mayor). Code-point order, which the names would have
    otherwise, is the order of a character dictionary's radicals, which nobody looks for a school by.

    pypinyin is imported here, not with this module: its dictionaries take about 55 MiB of a
    process, and only a process that names a school needs them."""
    from pypinyin import Style, lazy_pinyin

    name = _CHINESE_NUMBER.sub(_in_figures, unicodedata.normalize("NFKC", name or ""))
    name = _DIGITS.sub(lambda number: number.group().zfill(8), name.lower())
    syllables = [
        syllable.strip()
        for part in place_and_name(name)
        for syllable in lazy_pinyin(part, style=Style.TONE3, neutral_tone_with_five=True, errors=lambda other: [other])
    ]
    return " ".join(syllable for syllable in syllables if syllable)


_INNER_QUOTES = str.maketrans("《》", "〈〉")


def quoted_inside(title: str) -> str:
    """A title as it stands inside 《》: its own 《》 become 〈〉 (《关于修订〈某某章程〉的决定》),
    as Chinese nests title marks."""
    return str(title or "").translate(_INNER_QUOTES)


def whole_number(value, max_digits: int = 9) -> int | None:
    """A whole number written in ASCII digits (at most `max_digits` of them), else None: negative,
    huge, text, and digits of other scripts ("²", "٣", full-width "３") that str.isdigit() accepts
    and int() either refuses or reads as something the person did not type."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 <= value < 10**max_digits else None
    value = value.strip() if isinstance(value, str) else ""
    if not value or len(value) > max_digits or not (value.isascii() and value.isdigit()):
        return None
    return int(value)


# The digits of a Chinese keyboard's full-width mode (０–９): people type them into number fields.
FULL_WIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")


def typed_number(value, max_digits: int = 9) -> int | None:
    """A whole number as a person types it into a form: ASCII digits, or the full-width digits of
    a Chinese keyboard (０–９), at most `max_digits`; else None. Other scripts' digits ("٣", "²"),
    signs, spaces inside and underscores ("1_000", which int() reads) are not numbers here."""
    if isinstance(value, str):
        value = value.translate(FULL_WIDTH_DIGITS)
    return whole_number(value, max_digits)


# Rendered Markdown is kept for the texts pages show again and again (a consultation's proposal,
# an outcome, a charter): rendering and sanitising one costs a page more than the rest of its
# template. Bounded twice: this many texts, each at most this long (longer ones, rare, render
# each time), so the cache stays under a few megabytes whatever people publish.
MARKDOWN_CACHE_SIZE = 256
MARKDOWN_CACHE_MAX_LENGTH = 20_000


def render_markdown(text: str, *, shift_headings: int = 1) -> Markup:
    """Safe HTML for `text`. Headings move down `shift_headings` levels (a `#` in a charter
    becomes an <h2>), so that a page keeps its single <h1>. The same text with the same options
    gives the same HTML, from the cache when it was rendered lately."""
    text = text or ""
    if len(text) > MARKDOWN_CACHE_MAX_LENGTH:
        return _render_markdown(text, shift_headings)
    return _cached_markdown(text, shift_headings)


def _render_markdown(text: str, shift_headings: int) -> Markup:
    html = _markdown.render(text)
    if shift_headings:
        for level in range(6 - shift_headings, 0, -1):
            html = html.replace(f"<h{level}>", f"<h{level + shift_headings}>").replace(
                f"</h{level}>", f"</h{level + shift_headings}>"
            )
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="nofollow noopener noreferrer",
        strip_comments=True,
    )
    return Markup(clean)


# Markup is an immutable str: one cached value may be handed to any number of pages.
_cached_markdown = functools.lru_cache(maxsize=MARKDOWN_CACHE_SIZE)(_render_markdown)


def plain_excerpt(text: str, length: int = 160) -> str:
    """The first words of `text` without Markdown marks, for summaries and link titles. The text
    comes from the parsed Markdown, not from stripping characters off each line: `**` and `#`
    go wherever they are, list numbers go, and a line that starts with a figure
    ("2026年9月1日起施行") keeps it."""
    blocks = []
    for token in _markdown.parse(text or ""):
        if token.type == "inline":
            blocks.append(
                "".join(
                    " " if child.type in ("softbreak", "hardbreak") else child.content
                    for child in token.children or []
                    if child.type in ("text", "text_special", "code_inline", "softbreak", "hardbreak")
                )
            )
        elif token.type in ("code_block", "fence"):
            blocks.append(token.content)
    words = " ".join(" ".join(blocks).split())
    return words if len(words) <= length else words[: length - 1].rstrip() + "…"


# Anything that may make Markdown more than paragraphs: emphasis, links, code, headings, tables,
# entities, escapes, list items, indented code, setext underlines, thematic breaks.
MARKDOWN_SYNTAX = re.compile(r"[*_`\[\]!<>#|~\\&]|^[ \t]*(?:[-+=]|\d{1,9}[.)])|^(?: {4}|\t)", re.MULTILINE)


def _inline_text(token) -> str:
    """What an inline run reads as on the page: its words, without emphasis, link or code marks."""
    parts = []
    for child in token.children or []:
        if child.type in ("text", "text_special", "code_inline"):
            parts.append(child.content)
        elif child.type == "softbreak":
            parts.append(" ")
        elif child.type == "hardbreak":
            parts.append("\n")
        elif child.type == "image":  # its description (the alt text) is what stands for it
            parts.append(_inline_text(child))
    return "".join(parts)


def plain_text(text: str) -> str:
    """The text of `text` as readers see it once rendered (render_markdown), without its
    Markdown: `**第一条**` reads 第一条, a link its words, a list item its marker ("• ", "2. ")
    and words. One line per paragraph, heading, list item or table cell, so that comparing two
    texts compares what was published, not how it was typed."""
    if not MARKDOWN_SYNTAX.search(text or ""):
        # Nothing but paragraphs (most articles of a charter): the same answer without parsing.
        paragraphs = re.split(r"\n[ \t]*\n", (text or "").replace("\r\n", "\n").replace("\r", "\n"))
        return "\n".join(" ".join(p.split()) for p in paragraphs if p.strip())
    lines: list[str] = []
    lists: list[int | None] = []  # the open lists, innermost last: the next number, or None for bullets
    marker = ""
    for token in _markdown.parse(text or ""):
        kind = token.type
        if kind == "bullet_list_open":
            lists.append(None)
        elif kind == "ordered_list_open":
            start = token.attrGet("start")
            lists.append(int(start) if start is not None else 1)
        elif kind in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
        elif kind == "list_item_open":
            number = lists[-1] if lists else None
            if number is None:
                item = "• "
            else:
                item = f"{number}. "
                lists[-1] = number + 1
            marker = item
        elif kind == "inline":
            lines.append(marker + _inline_text(token))
            marker = ""
        elif kind in ("fence", "code_block"):
            lines.extend(token.content.rstrip("\n").split("\n"))
    return "\n".join(" ".join(line.split()) for line in lines if line.strip())


# --- a chart's labels in lines ------------------------------------------------------------
# The bar charts drawn on the server (templates/macros/charts.html: the oversight dashboard and a
# consultation's results) write their labels in SVG, which does not wrap: a label is broken into
# lines here, where a phone's chart is narrowest, so that every name is read whole.

# How wide a line may be, in ems of the chart's 14px labels: a 390px phone's chart is some 350px.
LABEL_EMS = 22.0  # a bar chart's label (templates/macros/charts.html, label_lines)
# Punctuation that never starts a line (Chinese typesetting): it stays with what it closes.
NO_LINE_START = frozenset("，。、；：？！）》」』】〉’”%,.;:?!)]}")


def _ems(character: str) -> float:
    """A character's width in ems, near enough for a sans-serif face: full width for Chinese."""
    if _wide(character):
        return 1.0
    if character.isspace():
        return 0.32
    return 0.72 if character.isupper() else 0.6


def _wide(character: str) -> bool:
    return unicodedata.east_asian_width(character) in ("W", "F")


def _pieces(text: str) -> list[str]:
    """Where a line may break: after a word and its spaces, after each Chinese character (with
    the punctuation that closes it)."""
    pieces: list[str] = []
    for character in text:
        if pieces and character in NO_LINE_START:
            pieces[-1] += character
        elif (
            not pieces
            or _wide(character)
            or _wide(pieces[-1][-1])
            or (pieces[-1][-1].isspace() and not character.isspace())
        ):
            pieces.append(character)
        else:
            pieces[-1] += character
    return pieces


def label_lines(text, most: float = LABEL_EMS) -> list[str]:
    """`text` in lines of at most `most` ems, broken between words (or Chinese characters), a
    word too long for a line broken inside it. Nothing is left out."""
    lines: list[str] = []
    line, width = "", 0.0
    for piece in _pieces(str(text or "")):
        piece_width = sum(_ems(character) for character in piece.rstrip())
        if line and width + piece_width > most:
            lines.append(line.rstrip())
            line, width = "", 0.0
        while piece_width > most:  # one word wider than a line: cut where it fills the line
            cut, cut_width = 0, 0.0
            while cut < len(piece) and cut_width + _ems(piece[cut]) <= most:
                cut_width += _ems(piece[cut])
                cut += 1
            lines.append(piece[: max(cut, 1)])
            piece = piece[max(cut, 1) :]
            piece_width = sum(_ems(character) for character in piece.rstrip())
        line += piece
        width += sum(_ems(character) for character in piece)
    if line.strip() or not lines:
        lines.append(line.rstrip())
    return lines
