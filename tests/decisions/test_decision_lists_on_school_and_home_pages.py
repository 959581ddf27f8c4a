"""Published decisions where people first look: a school's page lists its latest five, the
home page the latest across schools; both announce their Atom feed."""

import re

from portal.decisions.models import DecisionStatus
from tests.helpers.pages import ENGLISH, log_in


def listed_titles(page: str) -> list[str]:
    return re.findall(r'<a class="decision-card-title" href="/decisions/\d+" lang="zh-CN">([^<]*)</a>', page)


def decisions_section(page: str) -> str:
    match = re.search(r'<section class="panel" aria-labelledby="decisions-heading">(.*?)</section>', page, re.S)
    assert match, "the page has no decisions section"
    return match.group(1)


def test_school_page_lists_its_latest_five_decisions_and_links_to_all(client, db, add_published, school, other_school):
    for n in range(7):
        add_published(school, title=f"第{n}号决定", commit=False)
    add_published(other_school, title="别校的决定", commit=False)
    db.session.commit()

    page = client.get(f"/schools/{school.slug}", headers=ENGLISH).get_data(as_text=True)

    section = decisions_section(page)
    assert listed_titles(section) == ["第6号决定", "第5号决定", "第4号决定", "第3号决定", "第2号决定"]
    assert f'href="/decisions?school={school.id}">All decisions of this school</a>' in section


def test_school_page_shows_each_decisions_number_date_and_status(client, add_published, school):
    decision = add_published(title="被替代的决定", status=DecisionStatus.SUPERSEDED)

    section = decisions_section(client.get(f"/schools/{school.slug}", headers=ENGLISH).get_data(as_text=True))

    assert f'<span class="decision-card-number" lang="zh-CN">{decision.number}</span>' in section
    assert f'<time datetime="{decision.published_at.isoformat()}">' in section
    assert "Superseded" in section
    assert school.name_en not in section  # one school: its name is the page's heading already


def test_school_page_without_decisions_says_so(client, make_draft, school):
    make_draft()

    section = decisions_section(client.get(f"/schools/{school.slug}", headers=ENGLISH).get_data(as_text=True))

    assert "This school has not published any decisions on the portal yet." in section
    assert listed_titles(section) == []


def test_school_page_announces_the_schools_feed(client, db, school):
    page = client.get(f"/schools/{school.slug}").get_data(as_text=True)

    assert f'<link rel="alternate" type="application/atom+xml" href="/schools/{school.slug}/feed.atom"' in page


def test_home_page_shows_the_latest_decisions_across_schools(client, db, add_published, school, other_school):
    add_published(school, title="本校的决定")
    add_published(other_school, title="别校的新决定", year=2027)

    page = client.get("/", headers=ENGLISH).get_data(as_text=True)

    assert listed_titles(page) == ["别校的新决定", "本校的决定"]
    assert other_school.name_en in page
    assert 'href="/decisions">All published decisions</a>' in page
    assert '<link rel="alternate" type="application/atom+xml" href="/feeds/decisions.atom"' in page


def test_home_page_without_decisions_says_so(client, db):
    page = client.get("/", headers=ENGLISH).get_data(as_text=True)

    assert "No decisions have been published yet." in page


def test_school_page_with_decisions_stays_within_its_query_budget(
    client, db, add_published, school, make_user, count_queries
):
    for _ in range(20):
        add_published(school, commit=False)
    db.session.commit()
    log_in(client, make_user(role="board_member", scope=school))

    with count_queries() as queries:
        response = client.get(f"/schools/{school.slug}")

    assert response.status_code == 200
    assert len(queries) <= 12, "\n".join(queries)  # 10, whether they follow it, the header's unread count


def test_home_page_lists_decisions_in_one_query(client, db, add_published, school, other_school, count_queries):
    for n in range(10):
        add_published(school if n % 2 else other_school, commit=False)
    db.session.commit()
    db.session.remove()

    with count_queries() as queries:
        client.get("/")

    decision_queries = [q for q in queries if "FROM decision" in q]
    assert len(decision_queries) == 1, "\n".join(decision_queries)
