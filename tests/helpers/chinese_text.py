"""Chinese as a native reader sees it on a rendered page: the text a browser shows (and reads
aloud: title, alt, aria-label, placeholder), without scripts, styles and passages marked as
another language (lang="en"), and what in it reads like a translation."""

import re
from html.parser import HTMLParser

HAN = "[\u3400-\u9fff\uf900-\ufaff]"
# and full-width punctuation, which a full stop after a Chinese sentence follows
CHINESE = "[\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]"
# ASCII brackets, colon, comma or semicolon directly next to a Chinese character (a space between
# them included: "决定 (12)" is what readers noticed), or a full stop ending a Chinese sentence.
ASCII_PUNCTUATION_BESIDE_CHINESE = re.compile(rf"{HAN}[ \t]*[():,;]|[():,;][ \t]*{HAN}|{CHINESE}[ \t]*\.(?![\w.])")
ISO_DATE = re.compile(r"(?<![\d-])\d{4}-\d{2}-\d{2}(?![\d-])")
ENGLISH_DATE = re.compile(r"(?<![A-Za-z])(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]* \d{1,2}, \d{4}\b")
CHINESE_DATE = re.compile(r"\d{4}年\d{1,2}月\d{1,2}日")

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
READ_ALOUD = ("title", "alt", "aria-label", "placeholder")
HIDDEN_TEXT = {"script", "style", "template", "svg"}


class _ShownText(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.pieces: list[str] = []
        self._stack: list[tuple[str, bool]] = []  # (tag, skipped: another language, or not shown)

    def _skipping(self) -> bool:
        return any(skipped for _tag, skipped in self._stack)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        lang = (attributes.get("lang") or "").lower()
        skipped = tag in HIDDEN_TEXT or (bool(lang) and not lang.startswith("zh"))
        if not self._skipping() and not skipped:
            # An attribute is a piece of its own: a browser never shows it next to the text.
            self.pieces.extend("\n" + attributes[name] + "\n" for name in READ_ALOUD if attributes.get(name))
            if tag == "input" and (attributes.get("type") or "").lower() in ("submit", "button"):
                self.pieces.append("\n" + (attributes.get("value") or "") + "\n")
        if tag not in VOID:
            self._stack.append((tag, skipped))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID and self._stack and self._stack[-1][0] == tag:
            self._stack.pop()

    def handle_endtag(self, tag):
        for index in range(len(self._stack) - 1, -1, -1):
            if self._stack[index][0] == tag:
                del self._stack[index:]
                return

    def handle_data(self, data):
        if not self._skipping():
            self.pieces.append(data)


def shown_text(page: str) -> str:
    """The page's text as shown, tags removed (inline neighbours stay neighbours)."""
    reader = _ShownText()
    reader.feed(page)
    reader.close()
    return "".join(reader.pieces)


def _around(text: str, match: re.Match, width: int = 20) -> str:
    return text[max(0, match.start() - width) : match.end() + width].replace("\n", " ")


def ascii_punctuation_beside_chinese(page: str) -> list[str]:
    """Each place where ASCII ( ) : , ; stands next to a Chinese character, with its context."""
    text = shown_text(page)
    return [_around(text, match) for match in ASCII_PUNCTUATION_BESIDE_CHINESE.finditer(text)]


def dates_not_in_chinese(page: str) -> list[str]:
    """Dates shown as 2026-12-04 or Dec 4, 2026 rather than 2026年12月4日."""
    text = shown_text(page)
    return [_around(text, match) for pattern in (ISO_DATE, ENGLISH_DATE) for match in pattern.finditer(text)]
