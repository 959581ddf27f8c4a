"""The home page lists each district with its number of schools and the first eight by name. A
district's part is the same for everybody and is made once per process (web.made_once) for the
values it shows: whatever was made first, a visitor or a parent reads the district as it is now,
in their language."""

import re

import pytest

from portal import web
from portal.schools import services
from portal.schools.models import School, SchoolType
from tests.helpers.pages import ENGLISH

CHINESE = {"Accept-Language": "zh-CN"}


pytestmark = pytest.mark.usefixtures("nothing_made_once")


def district_part(client, district, headers=ENGLISH) -> str:
    page = client.get("/", headers=headers)
    assert page.status_code == 200
    found = re.search(
        rf'<section class="district" aria-labelledby="district-{district.id}">.*?</section>',
        page.get_data(as_text=True),
        re.S,
    )
    assert found
    return found.group(0)


def test_each_district_shows_how_many_schools_and_the_first_eight_by_name(client, make_school, district):
    for n in range(10):
        make_school(slug=f"school-{n}", name_zh=f"第{n}小学", name_en=f"School No. {n}", type=SchoolType.PRIMARY)

    part = district_part(client, district)

    assert "10 schools" in part
    assert re.findall(r'class="school-name" href="/schools/(school-\d)"', part) == [f"school-{n}" for n in range(8)]
    assert "and 2 more schools in this district" in part
    assert f'href="/schools?district={district.id}"' in part


def test_each_district_lists_its_own_first_schools_by_name_whatever_order_they_were_added_in(
    db, make_school, district, other_district
):
    # Added out of order, in two districts; names that sort otherwise than they were added.
    for n in (5, 11, 0, 9, 3, 10, 7, 1, 8, 2, 6, 4):
        make_school(slug=f"a-{n}", name_zh=f"甲{n:02d}小学", name_en=f"A {n}")
    for n in (2, 0, 1):
        make_school(authority=other_district, slug=f"b-{n}", name_zh=f"乙{n:02d}小学", name_en=f"B {n}")

    overview = {entry.authority.id: entry for entry in services.districts_overview()}

    assert overview[district.id].school_count == 12
    assert [school.slug for school in overview[district.id].schools] == [f"a-{n}" for n in range(8)]
    assert overview[other_district.id].school_count == 3
    assert [school.slug for school in overview[other_district.id].schools] == ["b-0", "b-1", "b-2"]
    assert len(services.districts_overview(schools_per_district=2)[0].schools) == 2


def test_the_districts_are_plain_values_with_their_schools(db, make_school, district, other_district):
    school = make_school(slug="jiefang", name_zh="解放路小学", name_en="Jiefang Road Primary School")

    overview = services.districts_overview()

    assert [entry.authority.id for entry in overview] == [district.id]
    [entry] = overview
    assert entry.school_count == 1
    assert entry.schools == (
        services.SchoolShown(
            "jiefang", "解放路小学", "Jiefang Road Primary School", SchoolType.PRIMARY, school.address
        ),
    )
    assert hash(entry)  # a key web.made_once can keep


def test_a_district_is_made_once_and_shown_again_as_it_is_now(client, db, make_school, district, monkeypatch):
    school = make_school(slug="jiefang", name_zh="解放路小学", name_en="Jiefang Road Primary School")
    school_id = school.id
    made = []
    make = web._make
    monkeypatch.setattr(web, "_make", lambda *args: made.append(args[1]) or make(*args))

    first = district_part(client, district)
    again = district_part(client, district)
    assert made.count("district_section") == 1 and again == first

    db.session.get(School, school_id).name_en = "Jiefang Road Primary School (renamed)"
    db.session.commit()
    renamed = district_part(client, district)

    assert "Jiefang Road Primary School (renamed)" in renamed
    assert made.count("district_section") == 2


def test_each_language_reads_the_district_in_its_own_words(client, make_school, district):
    make_school(slug="jiefang", name_zh="解放路小学", name_en="Jiefang Road Primary School")

    english = district_part(client, district, ENGLISH)
    chinese = district_part(client, district, CHINESE)

    assert "Jiefang Road Primary School" in english and "1 school" in english
    assert "解放路小学" in chinese and "Jiefang Road" not in chinese
