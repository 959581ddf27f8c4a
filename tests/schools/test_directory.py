"""The school directory: every school, filterable by district and type, searchable, paginated."""

import pytest

from portal.schools.models import SchoolType
from tests.helpers.pages import ENGLISH, HTMX


@pytest.fixture
def schools(make_school, district, other_district):
    made = [
        make_school(slug="jiefang", name_zh="解放路小学", name_en="Jiefang Road Primary School"),
        make_school(
            slug="pipashan", name_zh="枇杷山初级中学", name_en="Pipashan Junior Middle School", type=SchoolType.JUNIOR
        ),
        make_school(authority=other_district, slug="ciqikou", name_zh="磁器口小学", name_en="Ciqikou Primary School"),
    ]
    return made


def test_visitor_sees_every_school_in_the_directory(client, schools):
    page = client.get("/schools").get_data(as_text=True)

    for school in schools:
        assert school.name_zh in page
        assert f'href="/schools/{school.slug}"' in page


def test_directory_filters_by_district(client, schools, other_district):
    page = client.get(f"/schools?district={other_district.id}").get_data(as_text=True)

    assert "磁器口小学" in page
    assert "解放路小学" not in page


def test_directory_filters_by_type(client, schools):
    page = client.get("/schools?type=junior").get_data(as_text=True)

    assert "枇杷山初级中学" in page
    assert "解放路小学" not in page


@pytest.mark.parametrize("query", ["解放", "jiefang", "JIEFANG ROAD"])
def test_directory_finds_a_school_by_chinese_or_english_name(client, schools, query):
    page = client.get("/schools", query_string={"q": query}).get_data(as_text=True)

    assert "解放路小学" in page
    assert "磁器口小学" not in page


@pytest.mark.parametrize("query", ["%", "_", "\\", "<script>alert(1)</script>"])
def test_search_with_special_characters_matches_nothing_and_is_escaped(client, schools, query):
    response = client.get("/schools", query_string={"q": query})

    assert response.status_code == 200
    assert "解放路小学" not in response.get_data(as_text=True)
    assert "<script>alert(1)</script>" not in response.get_data(as_text=True)


@pytest.mark.parametrize("query", ["解放\x00", "\x00", "解放\t\x07"])
def test_control_characters_in_a_search_are_left_out(client, schools, query):
    # A NUL reached PostgreSQL, which refuses it in a query: a 500 (found by tests/test_numbers_fuzz.py).
    response = client.get("/schools", query_string={"q": query})

    assert response.status_code == 200
    assert "解放路小学" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "arguments", ["district=abc", "district=999999", "type=castle", "page=-1", "page=99999999999999", "page=x"]
)
def test_nonsense_filters_never_break_the_directory(client, schools, arguments):
    assert client.get(f"/schools?{arguments}").status_code == 200


def test_directory_is_paginated(client, make_school):
    for n in range(25):
        make_school(slug=f"paged-{n:02d}", name_zh=f"分页学校{n:02d}", name_en=f"Paged School {n:02d}")

    first = client.get("/schools", headers=ENGLISH).get_data(as_text=True)
    second = client.get("/schools?page=2", headers=ENGLISH).get_data(as_text=True)

    assert "Paged School 00" in first and "Paged School 24" not in first
    assert "Paged School 24" in second and "Paged School 00" not in second
    assert "Page 1 of 2" in first
    assert 'rel="next"' in first and 'rel="prev"' in second


# One of each kind of bad number (web.int_arg): a digit of another script, a sign, a number too
# long, and nothing at all. Ignored: the visitor gets the list as without it, never an error.
BAD_NUMBERS = ["²", "３", "٣", "+2", "-2", "99999999999999999999", ""]


@pytest.mark.parametrize("value", BAD_NUMBERS)
def test_a_page_number_that_is_not_one_shows_the_first_page(client, make_school, value):
    for n in range(25):
        make_school(slug=f"paged-{n:02d}", name_zh=f"分页学校{n:02d}", name_en=f"Paged School {n:02d}")

    response = client.get("/schools", query_string={"page": value}, headers=ENGLISH)

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Page 1 of 2" in page and "Paged School 00" in page and "Paged School 24" not in page


@pytest.mark.parametrize("value", BAD_NUMBERS)
def test_a_district_that_is_not_a_number_is_ignored_and_every_school_shown(client, schools, value):
    response = client.get("/schools", query_string={"district": value})

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert all(school.name_zh in page for school in schools)


def test_htmx_search_gets_only_the_results(client, schools):
    response = client.get("/schools?q=解放", headers={**HTMX, "HX-Target": "school-results"})
    page = response.get_data(as_text=True)

    assert response.status_code == 200
    assert page.lstrip().startswith('<section id="school-results"')
    assert "<html" not in page


def test_directory_answers_in_few_queries_however_many_schools(client, make_school, count_queries):
    for n in range(60):
        make_school(slug=f"many-{n}")

    with count_queries() as queries:
        assert client.get("/schools").status_code == 200

    assert len(queries) <= 5
