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


NEW_MESSAGES = TRANSLATIONS.parents[1] / "NEW_MESSAGES.json"


def compile_with_new_messages(target: Path) -> Path:
    """The catalogues as compile_catalogues makes them, plus the Chinese of the messages a branch
    added (NEW_MESSAGES.json: {"msgid": "中文", "context\\u0004msgid": …, plural msgid: ["中文"]})
    before they are merged into the .po files; once merged (and the file gone) the same."""
    import json

    from babel.messages.catalog import Catalog

    compile_catalogues(target)
    if not NEW_MESSAGES.exists():
        return target
    new = json.loads(NEW_MESSAGES.read_text(encoding="utf-8"))
    po_path = TRANSLATIONS / "zh" / "LC_MESSAGES" / "messages.po"
    with po_path.open("rb") as po_file:
        catalogue: Catalog = read_po(po_file, locale="zh")
    for key, chinese in new.items():
        context, _, msgid = key.rpartition("\u0004")
        if isinstance(chinese, list):  # a plural: the English forms are not in the key
            catalogue.add((msgid, msgid), tuple(chinese), context=context or None)
        else:
            catalogue.add(msgid, chinese, context=context or None)
    with (target / "zh" / "LC_MESSAGES" / "messages.mo").open("wb") as mo_file:
        write_mo(mo_file, catalogue, use_fuzzy=True)
    return target


def use_catalogues(app, directory: Path, monkeypatch) -> None:
    """Pages from now on are translated from the catalogues compiled in `directory`."""
    babel_config = app.extensions["babel"]
    monkeypatch.setattr(babel_config, "translation_directories", [str(directory)])
    with app.app_context():
        domain = babel_config.instance.domain_instance
    monkeypatch.setattr(domain, "cache", {})
