"""Both catalogues are complete: every message in the code and templates has a Chinese and an
English translation, with the same placeholders. A new _() string fails here until translated."""

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
METHOD_MAP = [("portal/**.py", "python"), ("templates/**.html", "jinja2")]
KEYWORDS = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "lazy_gettext": None,
    "_l": None,
    # One English word with two meanings has a context: pgettext("feedback", "Closed").
    "pgettext": ((1, "c"), 2),
    "lazy_pgettext": ((1, "c"), 2),
}
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def messages_in_source() -> set[str]:
    found = set()
    for _filename, _lineno, message, _comments, context in extract_from_dir(
        str(ROOT), METHOD_MAP, keywords=KEYWORDS, options_map={"templates/**.html": {"extensions": "jinja2.ext.do"}}
    ):
        singular = message if isinstance(message, str) else message[0]  # plurals are keyed by the singular
        found.add(f"{context}\x04{singular}" if context else singular)
    return found


SOURCE_MESSAGES = messages_in_source()


def singular(message) -> str:
    return message.id[0] if isinstance(message.id, tuple) else message.id


def key(message) -> str:
    """The singular, after its context and EOT when it has one (as gettext keys it)."""
    return f"{message.context}\x04{singular(message)}" if message.context else singular(message)


def all_forms(message) -> list[str]:
    """The translated strings of a message (one, or one per plural form); [] if any is empty."""
    forms = [message.string] if isinstance(message.string, str) else list(message.string)
    return forms if forms and all(forms) else []


def catalogue(language):
    with open(ROOT / "portal" / "translations" / language / "LC_MESSAGES" / "messages.po", "rb") as f:
        return read_po(f, locale=language)


def test_the_source_has_messages_to_translate():
    assert "Log in" in SOURCE_MESSAGES
    assert len(SOURCE_MESSAGES) > 50


@pytest.mark.parametrize("language", ["zh", "en"])
def test_catalogue_translates_every_message(language):
    translated = {key(m): m for m in catalogue(language) if m.id}
    missing = sorted(m for m in SOURCE_MESSAGES if m not in translated or not all_forms(translated[m]))
    assert not missing, f"{language} catalogue misses {len(missing)} messages: {missing[:10]}"
    fuzzy = sorted(m.id for m in translated.values() if m.fuzzy)
    assert not fuzzy, f"{language} catalogue has fuzzy entries: {fuzzy[:10]}"


def _placeholders(message) -> set[str]:
    """Every placeholder of the message: a plural's `%(num)d` may be in the plural form only
    ("Reported once" / "Reported %(num)d times"), and a translation may then use it in any form."""
    ids = message.id if isinstance(message.id, (list, tuple)) else [message.id]
    return {placeholder for text in ids for placeholder in PLACEHOLDER.findall(text)}


@pytest.mark.parametrize("language", ["zh", "en"])
def test_translations_keep_their_placeholders(language):
    wrong = [
        key(m)
        for m in catalogue(language)
        if m.id
        and any(
            not set(PLACEHOLDER.findall(form)) <= _placeholders(m)
            or not _placeholders(m) - {"num"} <= set(PLACEHOLDER.findall(form))
            for form in all_forms(m) or [""]
        )
    ]
    assert not wrong, f"{language}: placeholders differ in {wrong}"


def test_chinese_catalogue_is_really_chinese():
    untranslated = [
        key(m)
        for m in catalogue("zh")
        if m.id and all_forms(m) and all_forms(m)[0] == singular(m) and re.search("[a-z]{3}", singular(m))
    ]
    assert not untranslated, f"copied, not translated: {untranslated[:10]}"


@pytest.mark.parametrize(
    ("context", "english", "chinese"),
    [
        ("feedback", "Closed", "已办结"),
        ("consultation", "Closed", "已截止"),
        ("feedback", "From", "提交人"),
        ("date range", "From", "起始日期"),
    ],
)
def test_one_english_word_with_two_meanings_reads_right_in_chinese(context, english, chinese):
    translated = {key(m): m.string for m in catalogue("zh") if m.id}

    assert translated[f"{context}\x04{english}"] == chinese
