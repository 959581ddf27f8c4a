"""The charter's public pages: the charter in force with its contents, the history, a version,
and what changed between two versions."""

import re

import pytest

from tests.helpers.charters import VERSION_2
from tests.helpers.pages import ENGLISH, heading


def page_of(response) -> str:
    return response.get_data(as_text=True)


def test_visitor_reads_the_charter_in_force_with_its_contents(client, school, charter):
    response = client.get(f"/schools/{school.slug}/charter", headers=ENGLISH)

    assert response.status_code == 200
    page = page_of(response)
    assert heading(page) == f"Charter of {school.name_en}"
    assert "校务委员会每学年至少召开两次会议" in page  # version 2, the one in force
    assert "每学期至少召开一次" not in page
    # The contents link to anchors that exist on the page, chapters and articles alike.
    contents = re.search(r'<nav class="charter-toc".*?</nav>', page, re.S).group(0)
    assert '<a href="#chapter-1">第一章\u3000总则</a>' in contents
    assert '<a href="#article-6">第六条</a>' in contents
    for anchor in ("chapter-1", "chapter-2", "article-1", "article-4", "article-6"):
        assert f'href="#{anchor}"' in contents
        assert f'id="{anchor}"' in page
    assert "Mar 28, 2025" in page and "Apr 1, 2025" in page
    assert f'href="/schools/{school.slug}/charter/diff?from=1&amp;to=2"' in page


def test_charter_text_is_marked_as_chinese_on_an_english_page(client, school, charter):
    page = page_of(client.get(f"/schools/{school.slug}/charter", headers=ENGLISH))

    assert '<div class="charter-body" lang="zh-CN">' in page


def test_school_without_a_charter_says_so(client, school):
    response = client.get(f"/schools/{school.slug}/charter", headers=ENGLISH)

    assert response.status_code == 200
    assert "has not published its charter" in page_of(response)


def test_charter_of_a_school_that_does_not_exist_is_not_found(client, db):
    assert client.get("/schools/no-such-school/charter").status_code == 404
    assert client.get("/schools/no-such-school/charter/versions").status_code == 404


def test_history_lists_every_adopted_version_with_dates_notes_and_links(client, school, charter, draft):
    page = page_of(client.get(f"/schools/{school.slug}/charter/versions", headers=ENGLISH))

    assert "Version 2" in page and "Version 1" in page
    assert "Version 3" not in page  # the draft is not part of the public history
    assert "修订第四条，新增第六条" in page and "首部章程" in page
    assert "Jun 25, 2021" in page and "Sep 1, 2021" in page
    assert f'href="/schools/{school.slug}/charter/versions/1"' in page
    assert f'href="/schools/{school.slug}/charter/diff?from=1&amp;to=2"' in page
    assert page.index("Version 2") < page.index("Version 1")  # newest first


def test_an_earlier_version_says_it_is_no_longer_in_force(client, school, charter):
    response = client.get(f"/schools/{school.slug}/charter/versions/1", headers=ENGLISH)

    assert response.status_code == 200
    page = page_of(response)
    assert "no longer in force" in page
    assert "每学期至少召开一次会议" in page


def test_a_version_that_does_not_exist_is_not_found(client, school, charter):
    assert client.get(f"/schools/{school.slug}/charter/versions/9").status_code == 404


@pytest.mark.parametrize("role", [None, "parent", "board_member", "moderator", "commission_admin"])
def test_a_draft_does_not_exist_for_anyone_but_the_school_admins(
    client, make_user, login_as, school, district, city, draft, role
):
    if role is not None:
        scope = {"moderator": district, "commission_admin": city}.get(role, school)
        login_as(make_user(role=role, scope=scope))

    assert client.get(f"/schools/{school.slug}/charter/versions/3").status_code == 404


def test_school_admin_reads_the_draft_marked_as_a_draft(client, login_as, school_admin, school, draft):
    login_as(school_admin)

    response = client.get(f"/schools/{school.slug}/charter/versions/3", headers=ENGLISH)

    assert response.status_code == 200
    assert "Draft version 3: not adopted." in page_of(response)


def test_diff_marks_what_changed_article_by_article(client, school, charter):
    response = client.get(f"/schools/{school.slug}/charter/diff?from=1&to=2", headers=ENGLISH)

    assert response.status_code == 200
    page = page_of(response)
    assert "1 article changed, 1 added, 0 removed." in page
    # Character by character in Chinese, with words for screen readers and no reliance on colour.
    assert '<del><span class="visually-hidden">[deleted: </span>期<span class="visually-hidden">]</span></del>' in page
    assert '<ins><span class="visually-hidden">[inserted: </span>年<span class="visually-hidden">]</span></ins>' in page
    assert "<ins>" in page and "Struck-through text was removed." in page
    # The new article is shown whole, as added.
    added = re.search(r'<section class="diff-item diff-added".*?</section>', page, re.S).group(0)
    assert "第六条" in added and "学校设立家长委员会。" in added and "Added" in added
    # Unchanged articles are not listed.
    assert "学校实行校长负责制" not in page


def test_diff_backwards_shows_the_article_as_removed(client, school, charter):
    page = page_of(client.get(f"/schools/{school.slug}/charter/diff?from=2&to=1", headers=ENGLISH))

    assert "1 article changed, 0 added, 1 removed." in page
    removed = re.search(r'<section class="diff-item diff-removed".*?</section>', page, re.S).group(0)
    assert "<del>" in removed and "学校设立家长委员会。" in removed


def test_diff_of_an_english_charter_marks_whole_words(client, school, add_version):
    add_version(school, "## Chapter 1 General\n\n**Article 1** The board meets once a term.")
    add_version(school, "## Chapter 1 General\n\n**Article 1** The board meets twice a term.")

    page = page_of(client.get(f"/schools/{school.slug}/charter/diff?from=1&to=2", headers=ENGLISH))

    assert "[deleted: </span>once<" in page
    assert "[inserted: </span>twice<" in page
    assert '<p class="diff-text" lang="en">' in page


def test_diff_of_a_version_with_itself_says_nothing_changed(client, school, charter):
    response = client.get(f"/schools/{school.slug}/charter/diff?from=2&to=2", headers=ENGLISH)

    assert response.status_code == 200
    page = page_of(response)
    assert "You chose the same version twice: there are no changes to show." in page
    assert "<ins>" not in page.split('class="diff-legend"')[0] and 'class="diff-item' not in page


@pytest.mark.parametrize("query", ["from=1&to=9", "from=9&to=1", "from=7&to=8"])
def test_diff_with_a_version_that_does_not_exist_is_not_found(client, school, charter, query):
    assert client.get(f"/schools/{school.slug}/charter/diff?{query}").status_code == 404


@pytest.mark.parametrize("query", ["from=abc&to=2", "from=1&to=2.5", "from=-1&to=2", "from=1&to=99999999999999999999"])
def test_diff_with_a_version_that_is_not_a_number_is_not_found(client, school, charter, query):
    assert client.get(f"/schools/{school.slug}/charter/diff?{query}").status_code == 404


@pytest.mark.parametrize("query", ["", "?from=1", "?to=2", "?from=&to="])
def test_diff_without_both_versions_offers_to_choose_them(client, school, charter, query):
    response = client.get(f"/schools/{school.slug}/charter/diff{query}", headers=ENGLISH)

    assert response.status_code == 200
    page = page_of(response)
    assert "Choose two versions to compare" in page
    assert '<select id="from" name="from">' in page and '<select id="to" name="to">' in page
    assert 'class="diff-item' not in page


def test_public_cannot_compare_with_a_draft(client, school, draft):
    assert client.get(f"/schools/{school.slug}/charter/diff?from=2&to=3").status_code == 404
    page = page_of(client.get(f"/schools/{school.slug}/charter/diff", headers=ENGLISH))
    assert "draft" not in page.lower()


def test_school_admin_sees_what_the_draft_changes(client, db, login_as, school_admin, school, draft):
    from portal.charters import services

    services.edit_draft(
        school_admin, draft, body=VERSION_2.replace("德育处和教务处", "德育处、教务处和总务处"), change_note=""
    )
    db.session.commit()
    login_as(school_admin)

    response = client.get(f"/schools/{school.slug}/charter/diff?from=2&to=3", headers=ENGLISH)

    assert response.status_code == 200
    page = page_of(response)
    assert "[inserted: </span>和总务处<" in page
    assert "1 article changed, 0 added, 0 removed." in page
