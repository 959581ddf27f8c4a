"""Both catalogues are complete: every message in the code and templates has a Chinese and an
English translation, with the same placeholders. A new _() string fails here until translated."""

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
# The pages, and the plain-text mails beside their HTML.
METHOD_MAP = [("portal/**.py", "python"), ("templates/**.html", "jinja2"), ("templates/**.txt", "jinja2")]
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
        str(ROOT),
        METHOD_MAP,
        keywords=KEYWORDS,
        options_map={pattern: {"extensions": "jinja2.ext.do"} for pattern in ("templates/**.html", "templates/**.txt")},
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


@pytest.mark.parametrize("language", ["zh", "en"])
def test_no_translation_holds_what_a_browser_would_read_as_a_tag(language):
    """A lazy translation is written into a page as it is (Flask-Babel's LazyString has __html__):
    "/schools/<name>" in a hint showed as "/schools/" and an unknown element."""
    tagged = [
        key(m) for m in catalogue(language) if m.id and any(re.search(r"<[A-Za-z/!]", form) for form in all_forms(m))
    ]
    assert not tagged, f"{language}: {tagged}"


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


# Chinese as a native reader writes it: full-width punctuation next to Chinese (，：；（）), and
# no space between Chinese and a number (GB style: "29条", "第3版", "于2026年3月2日").

HAN = "[\u3400-\u9fff\uf900-\ufaff]"
CHINESE = "[\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]"  # and full-width punctuation
NUMBER_PLACEHOLDER = re.compile(r"%\((?:num|count|days|max|min|number|page|pages|n|added|removed|over)\)[sd]")
ANY_PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")
# \uFFFC stands for a placeholder, \uFFFD for a placeholder that prints a number.
ASCII_PUNCTUATION_BESIDE_CHINESE = re.compile(
    rf"{CHINESE}\s*[:;,()!?]|{CHINESE}\.|[:;,()!?]\s*{CHINESE}|[\uFFFC\uFFFD]\s*[:;,)]|[;,(]\s*[\uFFFC\uFFFD]"
)
# A number on its own (not the end of a Latin word such as SHA-256), then a space, then Chinese;
# or Chinese, a space, then a number.
SPACE_BETWEEN_CHINESE_AND_NUMBER = re.compile(
    rf"{CHINESE} +[\d\uFFFD]"
    rf"|(?:^|(?<=[\s\u3400-\u9fff\u3000-\u303f\uff00-\uffef]))[\d\uFFFD][\d.:\-/\uFFFD]* +{CHINESE}"
)

# Reviewed exceptions: msgid -> why its Chinese keeps the ASCII character or the space.
REVIEWED_EXCEPTIONS = {
    "Calendar file (.ics)": "“.ics” is the file's extension as the computer shows it, not a full stop",
}


def _chinese_problems(text: str) -> list[str]:
    numbered = ANY_PLACEHOLDER.sub("\ufffc", NUMBER_PLACEHOLDER.sub("\ufffd", text))
    problems = []
    if re.search(HAN, text) and ASCII_PUNCTUATION_BESIDE_CHINESE.search(numbered):
        problems.append("ASCII punctuation next to Chinese")
    if SPACE_BETWEEN_CHINESE_AND_NUMBER.search(numbered):
        problems.append("a space between Chinese and a number")
    return problems


def test_chinese_catalogue_uses_full_width_punctuation_and_no_space_before_numbers():
    wrong = {
        key(m): (form, problems)
        for m in catalogue("zh")
        if m.id and singular(m) not in REVIEWED_EXCEPTIONS
        for form in all_forms(m)
        if (problems := _chinese_problems(form))
    }
    assert not wrong, f"{len(wrong)} Chinese messages to fix: {list(wrong.items())[:10]}"


@pytest.mark.parametrize(
    "text",
    [
        "决定草稿: 关于校服",
        "待审核（先审后发）: 18",
        "(0 天)",
        "29 条, 待审核 4 条.",
        "共 %(num)d 条",
        "%(school)s: 决定",
    ],
)
def test_the_punctuation_check_catches_what_readers_noticed(text):
    assert _chinese_problems(text)


@pytest.mark.parametrize(
    "text", ["共29条，待审核4条。", "第%(number)d版（草案）", "请输入时间，例如14:30。", "SHA-256 值"]
)
def test_the_punctuation_check_accepts_chinese_as_it_should_be(text):
    assert not _chinese_problems(text)
