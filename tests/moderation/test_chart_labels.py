"""The bar charts (macros/charts.html: /oversight and the consultation results) draw every label
whole: a long one is broken into lines, never cut short with "…"."""

import re

import pytest

from portal.accounts.models import Role
from portal.text import LABEL_EMS, label_lines
from tests.helpers.pages import ENGLISH

LONG_ENGLISH = "Chongqing Jiefang Road Primary School Affiliated Experimental Branch Campus"
LONG_CHINESE = "重庆市沙坪坝区教育委员会附属实验中学（高中部）第二校区"


@pytest.mark.parametrize("text", [LONG_ENGLISH, LONG_CHINESE, "Jiefang Road Primary", "x" * 80, "短", ""])
def test_a_label_is_broken_into_lines_that_keep_every_character(text):
    lines = label_lines(text)

    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    assert all(len(line) <= LABEL_EMS / 0.6 + 1 for line in lines)


def test_words_are_not_broken_and_chinese_punctuation_stays_with_its_character():
    assert label_lines(LONG_ENGLISH)[0] == "Chongqing Jiefang Road Primary School"
    assert label_lines("Jiefang Road Primary School") == ["Jiefang Road Primary School"]
    closing_at_a_break = "一二三四五六七八九十" * 2 + "一二）三"
    assert not any(line.startswith(("）", "，")) for line in label_lines(closing_at_a_break))


def test_the_dashboard_chart_shows_a_long_school_name_whole(client, make_authority, make_school, make_user, login_as):
    city = make_authority("图表市", "Chart City")
    district = make_authority("图表区", "Chart District", parent=city)
    make_school(authority=district, slug="long-name", name_en=LONG_ENGLISH)
    login_as(make_user(role=Role.MODERATOR, scope=district))

    page = client.get(f"/oversight?district={district.id}", headers=ENGLISH).get_data(as_text=True)

    chart = page.split('id="chart-schools-participation"')[1].split("</svg>")[0]
    drawn = re.findall(r"<tspan[^>]*>([^<]*)</tspan>", chart)
    assert " ".join(drawn) == LONG_ENGLISH
    assert "…" not in chart
    assert f"<title>{LONG_ENGLISH}</title>" in chart
