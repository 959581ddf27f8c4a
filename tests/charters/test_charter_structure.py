"""How a charter's Markdown is read: chapters, articles, Chinese numerals, anchors; and how two
versions are compared."""

import pytest

from portal.charters.structure import chinese_number, chinese_numeral, compare, parse, text_diff, text_language


@pytest.mark.parametrize(
    "numeral, value",
    [
        ("一", 1),
        ("九", 9),
        ("十", 10),
        ("十二", 12),
        ("二十", 20),
        ("二十八", 28),
        ("一百", 100),
        ("一百零五", 105),
        ("一百一十", 110),
        ("两百", 200),
        ("一千零一十", 1010),
        ("12", 12),
    ],
)
def test_chinese_numerals_are_read_as_numbers(numeral, value):
    assert chinese_number(numeral) == value


@pytest.mark.parametrize("numeral", ["", "一二", "甲", "十a"])
def test_things_that_are_not_numerals_have_no_value(numeral):
    assert chinese_number(numeral) is None


@pytest.mark.parametrize("value", [1, 9, 10, 11, 12, 20, 28, 99, 100, 105, 110, 999, 1010])
def test_numbers_are_written_as_charters_write_them(value):
    assert chinese_number(chinese_numeral(value)) == value
    assert chinese_numeral(12) == "十二" and chinese_numeral(105) == "一百零五"


def test_chapters_and_articles_are_found_with_their_labels_and_anchors():
    document = parse(
        "# 某小学章程\n\n序言。\n\n# 第一章 总则\n\n**第一条** 名称。\n\n第二条　地址，\n续行。\n\n"
        "## 第二章：办学宗旨\n\n**第十二条** 宗旨。\n\n- 一项\n- 两项\n"
    )

    assert document.preamble == "# 某小学章程\n\n序言。"
    assert [(c.label, c.title, c.anchor) for c in document.chapters] == [
        ("第一章", "总则", "chapter-1"),
        ("第二章", "办学宗旨", "chapter-2"),
    ]
    articles = document.articles
    assert [(a.label, a.number, a.anchor) for a in articles] == [
        ("第一条", 1, "article-1"),
        ("第二条", 2, "article-2"),
        ("第十二条", 12, "article-12"),
    ]
    assert articles[1].body == "地址，\n续行。"
    assert articles[2].body == "宗旨。\n\n- 一项\n- 两项"
    assert articles[0].markdown == "**第一条**\u3000名称。"


def test_english_chapters_and_articles_follow_the_same_convention():
    document = parse("## Chapter 2 Aims\n\n**Article 7** The school aims high.\n\nArticle 8: It reports yearly.")

    assert document.chapters[0].heading == "Chapter 2 Aims"
    assert document.chapters[0].anchor == "chapter-2"
    assert [(a.label, a.anchor, a.body) for a in document.articles] == [
        ("Article 7", "article-7", "The school aims high."),
        ("Article 8", "article-8", "It reports yearly."),
    ]


def test_a_repeated_label_gets_an_anchor_of_its_own():
    document = parse("第一条 甲。\n\n第一条 乙。")

    assert [a.anchor for a in document.articles] == ["article-1", "article-1-2"]


def test_a_heading_inside_a_chapter_ends_the_article_before_it():
    document = parse("# 第一章 总则\n\n第一条 甲。\n\n### 第一节 小节\n\n说明文字。\n\n第二条 乙。")

    assert document.articles[0].body == "甲。"
    assert document.chapters[0].blocks[1] == "### 第一节 小节\n\n说明文字。"


def test_text_without_chapters_or_articles_is_all_preamble():
    document = parse("Just a paragraph.\n\nAnd another.")

    assert document.chapters == ()
    assert document.preamble == "Just a paragraph.\n\nAnd another."


def test_labels_inside_code_blocks_are_not_articles():
    document = parse("```\n第一条 示例\n```\n")

    assert document.articles == []


def test_chinese_changes_are_marked_character_by_character():
    segments = text_diff("校务委员会每学期至少召开一次会议。", "校务委员会每学年至少召开两次会议。")

    assert [(s.op, s.text) for s in segments] == [
        ("equal", "校务委员会每学"),
        ("delete", "期"),
        ("insert", "年"),
        ("equal", "至少召开"),
        ("delete", "一"),
        ("insert", "两"),
        ("equal", "次会议。"),
    ]


def test_english_changes_are_marked_word_by_word():
    segments = text_diff("The committee meets once a term.", "The committee meets twice a year.")

    assert [(s.op, s.text) for s in segments] == [
        ("equal", "The committee meets "),
        ("delete", "once"),
        ("insert", "twice"),
        ("equal", " a "),
        ("delete", "term"),
        ("insert", "year"),
        ("equal", "."),
    ]
    assert not any(s.op != "equal" and s.text in {"o", "n", "c", "e"} for s in segments)


def test_neighbouring_changed_words_read_as_one_change():
    segments = text_diff("the old rule applies", "a new rule applies")

    assert [(s.op, s.text) for s in segments] == [
        ("delete", "the old"),
        ("insert", "a new"),
        ("equal", " rule applies"),
    ]


def test_comparing_versions_finds_changed_added_and_removed_articles():
    old = "# 第一章 总则\n\n第一条 甲。\n\n第二条 乙乙乙乙。\n\n第三条 丙。"
    new = "# 第一章 总则\n\n第一条 甲。\n\n第二条 乙乙乙丁。\n\n第四条 戊。"

    diff = compare(old, new)

    assert [(c.kind, c.label) for c in diff.articles] == [
        ("changed", "第二条"),
        ("removed", "第三条"),
        ("added", "第四条"),
    ]
    assert (diff.changed_count, diff.added_count, diff.removed_count) == (1, 1, 1)


def test_an_inserted_article_does_not_make_the_renumbered_ones_look_changed():
    old = "第一条 学校名称。\n\n第二条 学校地址。\n\n第三条 学校性质。"
    new = "第一条 学校名称。\n\n第二条 学校的英文名称。\n\n第三条 学校地址。\n\n第四条 学校性质。"

    diff = compare(old, new)

    assert [(c.kind, c.label) for c in diff.articles] == [("added", "第二条")]
    assert [(c.old.label, c.new.label) for c in diff.renumbered] == [("第二条", "第三条"), ("第三条", "第四条")]


def test_an_amended_article_that_was_also_renumbered_is_still_recognised():
    old = "第一条 学校名称。\n\n第二条 学校经费来源于财政拨款，收费项目在公示栏公示。"
    new = "第一条 学校名称。\n\n第二条 新条款。\n\n第三条 学校经费来源于财政拨款，收费项目在公示栏和门户公示。"

    diff = compare(old, new)

    assert [(c.kind, c.old and c.old.label, c.new.label) for c in diff.articles] == [
        ("added", None, "第二条"),
        ("changed", "第二条", "第三条"),
    ]


def test_a_rewritten_article_is_paired_by_its_label():
    diff = compare("第一条 甲乙丙丁。", "第一条 完全不同的内容。")

    assert [(c.kind, c.label) for c in diff.articles] == [("changed", "第一条")]


def test_changes_outside_articles_are_reported_too():
    diff = compare("# 旧标题\n\n# 第一章 总则\n\n第一条 甲。", "# 新标题\n\n# 第一章 一般规定\n\n第一条 甲。")

    assert diff.articles == []
    assert [change.kind for change in diff.other] == ["preamble", "chapter_changed"]


def test_identical_texts_have_no_changes():
    assert compare("第一条 甲。", "第一条 甲。").is_empty


def test_a_charter_in_chinese_is_marked_as_chinese():
    assert text_language("第一条 本校名称为测试小学。") == "zh-CN"
    assert text_language("Article 1 The school is called Test Primary.") == "en"


def test_a_huge_text_without_structure_is_still_compared_quickly():
    import time

    paragraphs = [f"第{i}段文字，内容各不相同：{i * 7919 % 10007}。" * 8 for i in range(1500)]
    old = "\n\n".join(paragraphs)
    new = "\n\n".join(paragraphs[:700] + ["新增的一段。"] + paragraphs[700:])

    started = time.perf_counter()
    diff = compare(old, new)

    assert time.perf_counter() - started < 5
    (change,) = diff.other
    assert [s.text.strip() for s in change.segments if s.op != "equal"] == ["新增的一段。"]
