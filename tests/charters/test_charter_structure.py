"""How a charter's Markdown is read: chapters, articles, Chinese numerals, anchors; and how two
versions are compared."""

import json

import pytest

from portal.charters.structure import (
    TEXT_DIFF_BUDGET,
    CharterDiff,
    Work,
    chinese_number,
    chinese_numeral,
    compare,
    parse,
    text_diff,
    text_language,
)


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
    document = parse("# 第一章 总则\n\n第一条 甲。\n\n### 小标题\n\n说明文字。\n\n第二条 乙。")

    assert document.articles[0].body == "甲。"
    assert document.chapters[0].blocks[1] == "### 小标题\n\n说明文字。"


def test_a_section_is_found_in_its_chapter_with_an_anchor_and_ends_the_article_before_it():
    document = parse(
        "# 第三章 组织机构\n\n第九条 甲。\n\n### 第一节　校长\n\n第十条 乙。\n\n## 第二节 教代会\n\n第十一条 丙。"
    )

    (chapter,) = document.chapters
    assert [(s.label, s.title, s.anchor) for s in chapter.sections] == [
        ("第一节", "校长", "chapter-3-section-1"),
        ("第二节", "教代会", "chapter-3-section-2"),
    ]
    assert document.articles[0].body == "甲。"
    assert [entry.label for entry in chapter.contents] == ["第九条", "第一节", "第十条", "第二节", "第十一条"]


@pytest.mark.parametrize(
    "line, label, anchor",
    [
        ("第十六条之一 新增的条款。", "第十六条之一", "article-16-sub1"),
        ("**第十六条之二** 新增的条款。", "第十六条之二", "article-16-sub2"),
        ("**第十六条之十**　新增的条款。", "第十六条之十", "article-16-sub10"),
    ],
)
def test_an_article_inserted_between_two_others_is_an_article(line, label, anchor):
    document = parse(f"# 第二章 管理\n\n第十六条 原有条款。\n\n{line}\n\n第十七条 下一条。")

    articles = document.articles
    assert [a.label for a in articles] == ["第十六条", label, "第十七条"]
    assert articles[1].anchor == anchor
    assert articles[1].body == "新增的条款。"
    assert articles[0].body == "原有条款。"


def test_an_inserted_article_is_paired_with_itself_when_compared():
    old = "第十六条 甲。\n\n第十六条之一 乙乙乙乙乙。\n\n第十七条 丙。"
    new = "第十六条 甲。\n\n第十六条之一 乙乙乙乙丁。\n\n第十七条 丙。"

    diff = compare(old, new)

    assert [(c.kind, c.label) for c in diff.articles] == [("changed", "第十六条之一")]


def test_the_diff_compares_what_readers_see_not_the_markdown():
    old = "**第一条** 学校名称为测试小学。\n\n第二条 学校*地址*在渝中区。"
    new = "第一条 学校名称为**测试小学**。\n\n**第二条** 学校地址在[渝中区](https://example.org)。"

    assert compare(old, new).is_empty


def test_changed_text_in_the_diff_carries_no_markdown_marks():
    diff = compare("第一条 学校**名称**为测试小学。", "第一条 学校**名称**为测试实验小学。")

    (change,) = diff.articles
    text = "".join(segment.text for segment in change.segments)
    assert "**" not in text
    assert [(s.op, s.text) for s in change.segments if s.op != "equal"] == [("insert", "实验")]


def test_list_items_read_as_their_markers_in_the_diff():
    diff = compare("第一条 职责：\n\n- 甲\n- 乙", "第一条 职责：\n\n- 甲\n- 丙")

    (change,) = diff.articles
    assert "".join(s.text for s in change.segments if s.op == "equal").startswith("职责：\n• 甲\n• ")


def _charter(texts):
    return "# 第一章 总则\n\n" + "\n\n".join(f"**第{chinese_numeral(i + 1)}条** {t}" for i, t in enumerate(texts))


def test_eight_hundred_alike_articles_are_paired_by_their_numbers():
    old = _charter(["（删除）"] * 800)
    new = _charter(["（删除）" if i % 2 == 0 else "（保留）" for i in range(800)])

    diff = compare(old, new)

    assert not diff.too_large
    assert (diff.changed_count, diff.added_count, diff.removed_count) == (400, 0, 0)
    assert [c.label for c in diff.articles[:2]] == ["第二条", "第四条"]
    assert [(s.op, s.text) for s in diff.articles[0].segments] == [
        ("equal", "（"),
        ("delete", "删除"),
        ("insert", "保留"),
        ("equal", "）"),
    ]


def test_a_comparison_that_would_cost_too_much_says_so_instead_of_working_on():
    old = _charter(["甲乙丙" * 200] * 30)
    new = _charter(["丙乙甲" * 200] * 30)

    diff = compare(old, new, budget=50_000)

    assert diff.too_large
    assert not diff.is_empty
    assert diff.articles == []


def test_a_text_that_repeats_a_few_characters_is_shown_replaced_rather_than_matched_at_length():
    work = Work(10_000_000)

    segments = text_diff("甲乙丙" * 470, "丙乙甲" * 470, work)

    assert [s.op for s in segments] == ["delete", "insert"]
    assert 10_000_000 - work.left <= 2 * TEXT_DIFF_BUDGET


def test_a_comparison_reads_back_from_its_stored_form_unchanged():
    old = "# 标题\n\n# 第一章 总则\n\n第一条 甲。\n\n第二条 乙乙乙乙。\n\n第三条 丙。\n\n### 第一节 小节"
    new = "# 新标题\n\n# 第一章 通则\n\n第一条 甲。\n\n第二条 新增。\n\n第三条 乙乙乙丁。\n\n第四条 丙。"
    diff = compare(old, new)

    again = CharterDiff.from_dict(json.loads(json.dumps(diff.to_dict())))

    assert again == diff
    assert {c.kind for c in diff.other} >= {"preamble", "chapter_changed", "section_removed"}


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


def test_a_huge_text_without_structure_is_compared_line_by_line_within_the_budget():
    paragraphs = [f"第{i}段文字，内容各不相同：{i * 7919 % 10007}。" * 8 for i in range(1500)]
    old = "\n\n".join(paragraphs)
    new = "\n\n".join(paragraphs[:700] + ["新增的一段。"] + paragraphs[700:])

    diff = compare(old, new)  # its work is bounded (DIFF_WORK_BUDGET), not timed here

    assert not diff.too_large
    (change,) = diff.other
    assert [s.text.strip() for s in change.segments if s.op != "equal"] == ["新增的一段。"]
