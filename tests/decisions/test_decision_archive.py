"""The public archive at /decisions: every published decision, newest first, filtered by
district, school, year and words, a page at a time; with htmx only the results change."""

import re

import pytest

from portal.decisions.models import DecisionStatus
from tests.helpers.pages import ENGLISH, HTMX


def listed_titles(page: str) -> list[str]:
    return re.findall(r'<a class="decision-card-title" href="/decisions/\d+" lang="zh-CN">([^<]*)</a>', page)


def archive(client, query: str = "", **headers) -> str:
    response = client.get(f"/decisions{query}", headers={**ENGLISH, **headers})
    assert response.status_code == 200
    return response.get_data(as_text=True)


@pytest.fixture
def several_schools(add_published, school, other_school):
    """Two decisions of `school` (district A) in 2025 and 2026, one of `other_school`
    (district B) in 2026."""
    add_published(school, title="关于校服采购的决定", year=2025)
    add_published(school, title="关于加强学校食堂管理的决定", year=2026)
    add_published(other_school, title="关于课后服务收费的决定", year=2026)


def test_visitor_sees_every_published_decision_newest_first(client, several_schools):
    page = archive(client)

    assert listed_titles(page) == ["关于课后服务收费的决定", "关于加强学校食堂管理的决定", "关于校服采购的决定"]
    assert "3 decisions found" in page


def test_superseded_and_revoked_decisions_stay_in_the_archive_marked_so(client, add_published):
    add_published(title="被替代的决定", status=DecisionStatus.SUPERSEDED)
    add_published(title="被撤销的决定", status=DecisionStatus.REVOKED)
    add_published(title="现行的决定")

    page = archive(client)

    assert listed_titles(page) == ["现行的决定", "被撤销的决定", "被替代的决定"]
    assert 'decision-status-superseded">Superseded</span>' in page
    assert 'decision-status-revoked">Revoked</span>' in page
    assert 'decision-status-in_force">In force</span>' in page


def test_draft_decisions_are_not_in_the_archive(client, make_draft, add_published):
    make_draft(title="尚未发布的草稿")
    add_published(title="已发布的决定")

    page = archive(client)

    assert listed_titles(page) == ["已发布的决定"]
    assert "尚未发布的草稿" not in page


def test_visitor_filters_decisions_by_district_and_year(client, several_schools, school):
    page = archive(client, f"?district={school.authority_id}&year=2026")

    assert listed_titles(page) == ["关于加强学校食堂管理的决定"]
    assert f'<option value="{school.authority_id}" selected>' in page
    assert '<option value="2026" selected>' in page


def test_visitor_filters_decisions_by_school(client, several_schools, other_school):
    page = archive(client, f"?school={other_school.id}")

    assert listed_titles(page) == ["关于课后服务收费的决定"]


def test_city_filter_covers_every_district_below_it(client, several_schools, city):
    page = archive(client, f"?district={city.id}")

    assert len(listed_titles(page)) == 3


def test_visitor_finds_decisions_by_words_in_their_title_number_or_text(client, add_published, school):
    add_published(title="关于校服采购的决定", body="校服由家长委员会参与招标。")
    add_published(title="关于课后服务的决定", body="课后服务自愿参加。")

    assert listed_titles(archive(client, "?q=校服")) == ["关于校服采购的决定"]
    assert listed_titles(archive(client, "?q=自愿参加")) == ["关于课后服务的决定"]
    assert len(listed_titles(archive(client, "?q=〔2026〕1号"))) == 1


def test_percent_and_underscore_in_a_search_are_plain_characters(client, add_published):
    add_published(title="关于100%覆盖的决定")
    add_published(title="关于午餐的决定")

    assert listed_titles(archive(client, "?q=%25")) == ["关于100%覆盖的决定"]
    assert listed_titles(archive(client, "?q=_")) == []


def select_options(page: str, name: str) -> list[str]:
    select = re.search(rf'<select id="filter-{name}" name="{name}">(.*?)</select>', page, re.S).group(1)
    return re.findall(r'<option value="([^"]*)"', select)


def test_school_filter_offers_only_schools_that_have_published(client, add_published, school, make_school):
    quiet = make_school(name_zh="还没有决定的学校")
    add_published(school)

    assert select_options(archive(client), "school") == ["", str(school.id)]
    # Chosen by a link from the school's own page, it is offered too, and selected.
    page = archive(client, f"?school={quiet.id}")
    assert str(quiet.id) in select_options(page, "school")
    assert f'<option value="{quiet.id}" selected>' in page


@pytest.mark.parametrize(
    "query",
    [
        "?district=abc",
        "?district=-1",
        "?district=99999999999999999999",
        "?school=1e3",
        "?school=%00",
        "?year=20260",
        "?year=２０２６",
        "?page=abc",
        "?page=999999999",
        "?q=" + "很长" * 500,
        "?q=<script>alert(1)</script>",
        "?q=%00%1b%0a",
        "?district=&school=&year=&q=",
    ],
)
def test_bad_filter_values_never_break_the_archive(client, several_schools, query):
    response = client.get(f"/decisions{query}", headers=ENGLISH)

    assert response.status_code == 200
    assert "<script>alert(1)</script>" not in response.get_data(as_text=True)


def test_unknown_district_school_or_year_finds_nothing_rather_than_everything(client, several_schools):
    for query in ("?district=999999", "?school=999999", "?year=1999", "?district=0", "?school=0"):
        page = archive(client, query)
        assert listed_titles(page) == [], query
        assert "No published decision matches" in page
        assert 'href="/decisions">Show all decisions</a>' in page


def test_archive_without_decisions_says_so(client, db):
    assert "No decisions have been published yet." in archive(client)


def test_archive_shows_twenty_a_page_and_keeps_the_filters_in_page_links(client, db, add_published, school):
    for n in range(25):
        add_published(school, title=f"第{n:02d}号决定", commit=False)
    db.session.commit()

    first = archive(client, f"?school={school.id}&year=2026")
    second = archive(client, f"?school={school.id}&year=2026&page=2")

    assert len(listed_titles(first)) == 20
    assert listed_titles(first)[0] == "第24号决定"
    assert len(listed_titles(second)) == 5
    assert f'href="/decisions?school={school.id}&amp;year=2026&amp;page=2"' in first
    assert "Page 1 of 2" in first


def test_filters_are_a_plain_get_form_that_works_without_javascript(client, several_schools):
    page = archive(client)

    form = re.search(r"<form [^>]*action=\"/decisions\"[^>]*>", page).group(0)
    assert 'method="get"' in form and 'role="search"' in form
    for name in ("q", "district", "school", "year"):
        field_id = f"filter-{name}"
        assert f'<label for="{field_id}">' in page
        assert f'id="{field_id}" name="{name}"' in page
    assert '<button type="submit"' in page


def test_htmx_filtering_gets_only_the_results(client, several_schools, school):
    response = client.get(
        f"/decisions?school={school.id}", headers={**ENGLISH, **HTMX, "HX-Target": "decision-results"}
    )
    page = response.get_data(as_text=True)

    assert response.status_code == 200
    assert page.lstrip().startswith('<section id="decision-results"')
    assert "<html" not in page
    assert listed_titles(page) == ["关于加强学校食堂管理的决定", "关于校服采购的决定"]
    assert {"HX-Request", "HX-Target"} <= set(response.vary)


def test_archive_announces_its_feed(client, db):
    page = archive(client)

    assert '<link rel="alternate" type="application/atom+xml" href="/feeds/decisions.atom"' in page


def test_archive_takes_a_fixed_number_of_queries_with_30_decisions(
    client, db, add_published, school, other_school, count_queries
):
    for n in range(30):
        add_published(school if n % 2 else other_school, title=f"决定{n}", commit=False)
    db.session.commit()
    db.session.remove()

    with count_queries() as queries:
        page = archive(client)
    with count_queries() as htmx_queries:
        archive(client, "?page=2", **HTMX, **{"HX-Target": "decision-results"})

    assert len(listed_titles(page)) == 20
    # The page and its count; districts, schools and years for the filters.
    assert len(queries) <= 5, "\n".join(queries)
    assert len(htmx_queries) <= 2, "\n".join(htmx_queries)
