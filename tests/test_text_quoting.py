"""Titles inside titles: Chinese sets a title in 《》 and a title within it in 〈〉."""

from portal.notifications import texts
from portal.text import quoted_inside


def test_a_title_with_its_own_title_marks_nests_them_as_angle_brackets():
    assert quoted_inside("关于修订《某某小学章程》的决定") == "关于修订〈某某小学章程〉的决定"
    assert quoted_inside("关于加强学校食堂管理的决定") == "关于加强学校食堂管理的决定"
    assert quoted_inside(None) == ""


def test_a_chinese_notification_nests_the_title_it_quotes_an_english_one_shows_it_as_it_is(app):
    params = {"title": "关于修订《某某小学章程》的决定"}
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        chinese = texts.words("response.published", params)
    with app.test_request_context(headers={"Accept-Language": "en"}):
        english = texts.words("response.published", params)

    assert "〈某某小学章程〉" in chinese and "《某某小学章程》" not in chinese
    assert "《某某小学章程》" in english
