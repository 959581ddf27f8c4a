"""Rendered Markdown is kept for texts that pages show again and again: the same HTML as
rendering afresh, for every option, and a cache that stays bounded whatever is published."""

import pytest

from portal import text
from portal.text import render_markdown

SAMPLES = [
    "",
    "第一条　本章程依据《中华人民共和国教育法》制定。",
    "# 总则\n\n**第一条** 学校名称。\n\n## 第二章\n\n- 一\n- 二\n\n1. 甲\n2. 乙",
    "<script>alert(1)</script> [link](javascript:alert(1)) <a hx-get='/x'>x</a>",
    "| a | b |\n|---|---|\n| 1 | 2 |",
]


@pytest.fixture(autouse=True)
def empty_cache():
    text._cached_markdown.cache_clear()
    yield
    text._cached_markdown.cache_clear()


@pytest.mark.parametrize("source", SAMPLES)
@pytest.mark.parametrize("shift", [0, 1, 2])
def test_a_text_rendered_from_the_cache_is_the_html_rendered_afresh(source, shift):
    fresh = text._render_markdown(source, shift)

    first = render_markdown(source, shift_headings=shift)
    again = render_markdown(source, shift_headings=shift)

    assert first == fresh
    assert again == fresh
    assert type(again) is type(fresh)
    assert text._cached_markdown.cache_info().hits == 1


def test_the_same_text_with_other_options_is_rendered_with_those_options():
    source = "# 总则"

    assert render_markdown(source, shift_headings=1) == "<h2>总则</h2>\n"
    assert render_markdown(source, shift_headings=2) == "<h3>总则</h3>\n"
    assert render_markdown(None) == render_markdown("")


def test_the_cache_keeps_at_most_its_size_of_texts():
    for number in range(text.MARKDOWN_CACHE_SIZE + 50):
        assert render_markdown(f"第{number}条") == f"<p>第{number}条</p>\n"

    assert text._cached_markdown.cache_info().currsize == text.MARKDOWN_CACHE_SIZE


def test_a_very_long_text_is_rendered_but_not_kept():
    long_text = "长" * (text.MARKDOWN_CACHE_MAX_LENGTH + 1)

    assert render_markdown(long_text) == f"<p>{long_text}</p>\n"
    assert text._cached_markdown.cache_info().currsize == 0
