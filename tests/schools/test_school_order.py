"""Schools are listed in the order a Chinese reader looks for them: by the pinyin of their names,
syllable by syllable and tone by tone, with numbers (第二, 第十一, 29) by their value. Before, they
came in the order of the characters' code points, the order of a dictionary's radicals (枇杷山
before 解放路, 第二 after 第八)."""

import re

import pytest

from portal.schools import services
from portal.schools.models import School
from portal.text import pinyin_sort_key
from tests.helpers.pages import ENGLISH

CHINESE = {"Accept-Language": "zh-CN"}

# As a Chinese reader expects them: ba, bai, chong (重庆, not zhong), jie, lu before lv (路, 绿),
# pi; within 重庆市, 长寿区 (chang) before 第 (di), and the numbered schools by number; 统一 is a
# word, not a number.
IN_ORDER = [
    "巴蜀小学",
    "白沙小学",
    "重庆市长寿区长寿湖小学",
    "重庆市第二中学校",
    "重庆市第八中学校",
    "重庆市第十一中学校",
    "重庆市第二十九中学校",
    "重庆市第110中学校",
    "解放路小学",
    "路口小学",
    "绿荫小学",
    "枇杷山初级中学",
    "统一小学",
]


def test_names_are_put_in_pinyin_order_with_their_numbers_by_value():
    assert sorted(reversed(IN_ORDER), key=pinyin_sort_key) == IN_ORDER


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("解放路小学", "jie3 fang4 lu4 xiao3 xue2"),
        # The district read alone: 长寿 chang2 shou4, not 市长 (a mayor) shi4 zhang3.
        ("重庆市长寿区实验小学", "chong2 qing4 shi4 chang2 shou4 qu1 shi2 yan4 xiao3 xue2"),
        ("重庆一中", "chong2 qing4 00000001 zhong1"),
        ("统一小学", "tong3 yi1 xiao3 xue2"),
        ("第２小学", "di4 00000002 xiao3 xue2"),  # a full-width figure is a figure
        ("Bashu 小学", "bashu xiao3 xue2"),
    ],
)
def test_a_name_s_key_is_its_syllables_with_their_tones(name, key):
    assert pinyin_sort_key(name) == key


def test_a_school_s_key_is_set_with_its_name_and_follows_a_new_name(db, make_school):
    school = make_school(slug="renamed", name_zh="枇杷山小学", name_en="Pipashan Primary")
    assert school.name_sort == "pi2 pa2 shan1 xiao3 xue2"

    services.update_school_profile(None, school, {"name_zh": "巴蜀小学"})
    db.session.flush()

    assert db.session.get(School, school.id).name_sort == "ba1 shu3 xiao3 xue2"


def directory_slugs(client, headers, **arguments) -> list[str]:
    page = client.get("/schools", query_string=arguments, headers=headers)
    assert page.status_code == 200
    return re.findall(r'href="/schools/(order-[a-z]+)"', page.get_data(as_text=True))


@pytest.fixture
def schools_out_of_order(make_school, other_district):
    # Added in code-point order, which is not the order of their pinyin.
    make_school(slug="order-pipa", name_zh="枇杷山小学", name_en="Pipashan Primary")
    make_school(slug="order-jie", name_zh="解放路小学", name_en="Jiefang Road Primary")
    make_school(slug="order-ba", name_zh="巴蜀小学", name_en="Bashu Primary")
    make_school(authority=other_district, slug="order-ci", name_zh="磁器口小学", name_en="Ciqikou Primary")


@pytest.mark.parametrize("headers", [CHINESE, ENGLISH], ids=["zh", "en"])
def test_the_directory_lists_schools_by_pinyin_in_both_languages(client, schools_out_of_order, headers):
    assert directory_slugs(client, headers) == ["order-ba", "order-ci", "order-jie", "order-pipa"]


def test_the_directory_filtered_to_a_district_keeps_the_order(client, schools_out_of_order, district):
    assert directory_slugs(client, CHINESE, district=district.id) == ["order-ba", "order-jie", "order-pipa"]


def test_the_home_page_lists_each_district_s_first_schools_by_pinyin(db, schools_out_of_order, district):
    overview = {entry.authority.id: entry for entry in services.districts_overview(schools_per_district=2)}

    assert [school.slug for school in overview[district.id].schools] == ["order-ba", "order-jie"]
