"""/consultations: open, closed and with an outcome; by district and school; a page at a time.
Open ones also show on the home page and on the school's page."""

import re
from datetime import timedelta

import pytest

from portal.clock import utcnow
from portal.consultations.models import Phase
from tests.helpers.consultations import publish_outcome
from tests.helpers.pages import ENGLISH, HTMX


def titles(page: str) -> list[str]:
    return re.findall(r'<a class="consultation-card-title" href="/consultations/\d+" dir="auto">([^<]*)</a>', page)


def listing(client, query="", headers=ENGLISH) -> str:
    response = client.get(f"/consultations{query}", headers=headers)
    assert response.status_code == 200
    return response.get_data(as_text=True)


@pytest.fixture
def all_phases(make_consultation, other_school, other_district, make_authority):
    """One consultation in every phase at `school`, one open at `other_school`."""
    soon = make_consultation(title="明天结束的", closes_at=utcnow() + timedelta(days=1))
    later = make_consultation(title="下月结束的", closes_at=utcnow() + timedelta(days=30))
    make_consultation(Phase.DRAFT, title="草稿")
    make_consultation(Phase.SUBMITTED, title="待审批的")
    make_consultation(Phase.SCHEDULED, title="尚未开始的")
    closed = make_consultation(Phase.CLOSED, title="已结束的")
    outcome = publish_outcome(make_consultation(Phase.CLOSED, title="有结果的"))
    elsewhere = make_consultation(school=other_school, title="别区学校的")
    return {"soon": soon, "later": later, "closed": closed, "outcome": outcome, "elsewhere": elsewhere}


def test_open_consultations_are_listed_closing_soonest_first(client, all_phases):
    page = listing(client)

    assert titles(page) == ["明天结束的", "别区学校的", "下月结束的"]
    assert '<a href="/consultations" aria-current="page">Open for comment</a>' in page


def test_closed_and_outcome_tabs(client, all_phases):
    assert titles(listing(client, "?state=closed")) == ["已结束的"]
    assert titles(listing(client, "?state=outcome")) == ["有结果的"]


def test_drafts_submitted_and_scheduled_are_in_no_tab(client, all_phases):
    everything = "".join(listing(client, f"?state={state}") for state in ("open", "closed", "outcome"))

    assert "草稿" not in everything and "待审批的" not in everything and "尚未开始的" not in everything


def test_filter_by_district_and_by_school(client, all_phases, district, other_district, school, other_school):
    assert titles(listing(client, f"?district={other_district.id}")) == ["别区学校的"]
    assert titles(listing(client, f"?district={district.id}")) == ["明天结束的", "下月结束的"]
    assert titles(listing(client, f"?school={other_school.id}")) == ["别区学校的"]
    assert titles(listing(client, f"?state=closed&school={school.id}")) == ["已结束的"]


def test_a_districts_and_the_citys_own_consultations_are_listed_for_its_schools(
    client, db, make_consultation, city, district, other_district, school
):
    make_consultation(school=None, authority=city, title="全市的")
    make_consultation(school=None, authority=other_district, title="别区的")

    assert titles(listing(client, f"?district={district.id}")) == ["全市的"]
    assert titles(listing(client, f"?school={school.id}")) == ["全市的"]
    assert set(titles(listing(client))) == {"全市的", "别区的"}


@pytest.mark.parametrize(
    "query", ["?state=everything", "?district=abc", "?school=-1", "?page=0", "?page=abc", "?district=99999999999"]
)
def test_odd_filters_are_ignored(client, all_phases, query):
    assert len(titles(listing(client, query))) == 3


def test_unknown_district_or_school_finds_nothing(client, all_phases):
    assert titles(listing(client, "?district=987654")) == []
    assert titles(listing(client, "?school=987654")) == []


def test_the_list_is_paginated_keeping_the_filters(client, make_consultation, school):
    for n in range(23):
        make_consultation(title=f"征集{n:02d}", closes_at=utcnow() + timedelta(days=1 + n))

    first = listing(client, f"?school={school.id}")
    second = listing(client, f"?school={school.id}&page=2")

    assert titles(first) == [f"征集{n:02d}" for n in range(20)]
    assert titles(second) == ["征集20", "征集21", "征集22"]
    assert f'href="/consultations?school={school.id}&amp;page=2"' in first
    assert "23 consultations" in first


def test_htmx_filter_gets_the_results_alone(client, all_phases, other_district):
    fragment = listing(
        client, f"?district={other_district.id}", headers={**HTMX, "HX-Target": "consultation-results", **ENGLISH}
    )

    assert fragment.lstrip().startswith('<section id="consultation-results"') and titles(fragment) == ["别区学校的"]


def test_each_card_says_when_and_how_many_responses(client, make_consultation, make_response, make_user):
    consultation = make_consultation(title="有回应的")
    for _ in range(2):
        make_response(consultation, make_user(), publish=True)

    card = re.search(r'<li class="consultation-card">.*?</li>', listing(client), re.S).group(0)

    assert "Open until" in card and "2 published responses" in card and "First Test Primary School" in card


def test_overdue_outcomes_are_marked_in_the_closed_tab(client, db, make_consultation):
    make_consultation(
        Phase.CLOSED, title="逾期的", opens_at=utcnow() - timedelta(days=80), closes_at=utcnow() - timedelta(days=45)
    )

    assert "Outcome overdue" in listing(client, "?state=closed")


def test_the_list_takes_a_fixed_number_of_queries(
    client, db, make_consultation, make_response, make_user, count_queries
):
    for n in range(15):
        make_consultation(title=f"征集{n}")
    db.session.remove()

    with count_queries() as queries:
        client.get("/consultations")

    assert len(queries) <= 6, "\n".join(queries)


# On the home page and the school's page


def test_home_page_shows_what_is_open_now(client, all_phases):
    page = client.get("/", headers=ENGLISH).get_data(as_text=True)

    section = re.search(r'<section aria-labelledby="consultations-heading">.*?</section>', page, re.S).group(0)
    assert titles(section) == ["明天结束的", "别区学校的", "下月结束的"]
    assert 'href="/consultations">All consultations</a>' in section


def test_home_page_without_open_consultations_says_so(client, db):
    assert "Nothing is open for comment at the moment." in client.get("/", headers=ENGLISH).get_data(as_text=True)


def test_school_page_shows_its_open_consultations_and_the_citys(client, all_phases, make_consultation, city, school):
    make_consultation(school=None, authority=city, title="全市的")

    page = client.get(f"/schools/{school.slug}", headers=ENGLISH).get_data(as_text=True)

    section = re.search(
        r'<section class="panel" aria-labelledby="consultations-heading">.*?</section>', page, re.S
    ).group(0)
    assert titles(section) == ["明天结束的", "全市的", "下月结束的"]  # closing soonest first
    assert "Test City Education Commission" in section and "First Test Primary School" not in section
    assert f'href="/consultations?school={school.id}"' in section


def test_navigation_links_to_consultations(client, db):
    assert '<a href="/consultations">' in client.get("/", headers=ENGLISH).get_data(as_text=True)
