"""The labels of the bar charts drawn on the server (templates/macros/charts.html, for the
oversight dashboard and the consultation results). An SVG label does not wrap by itself: it is
broken into lines here, where a phone's chart is narrowest, so that every name is read whole."""

import unicodedata

# How wide a line may be, in ems of the chart's 14px labels: a 390px phone's chart is some 350px.
LABEL_EMS = 22.0
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
