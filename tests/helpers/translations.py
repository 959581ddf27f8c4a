"""The translation catalogues as the repository holds them now: the .po files, compiled for the
tests into a folder of their own (the .mo files are build output, not in git), so that pages
show the translations the repository actually holds even before `make translations` has run."""

from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

TRANSLATIONS = Path(__file__).resolve().parents[2] / "portal" / "translations"


def compile_catalogues(target: Path) -> Path:
    """Every .po catalogue compiled into `target`/<language>/LC_MESSAGES/messages.mo."""
    for po_path in TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"):
        language = po_path.parent.parent.name
        with po_path.open("rb") as po_file:
            catalogue = read_po(po_file, locale=language)
        mo_path = target / language / "LC_MESSAGES" / "messages.mo"
        mo_path.parent.mkdir(parents=True, exist_ok=True)
        with mo_path.open("wb") as mo_file:
            write_mo(mo_file, catalogue, use_fuzzy=True)
    return target
