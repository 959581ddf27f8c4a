"""The public checklist of a school (/schools/<slug>/disclosure), its published disclosures, and
the commission staff's overview (/disclosure) with its CSV."""

import csv
import io
import re
from datetime import date

import pytest

from portal.extensions import db
from tests.helpers import disclosure as helpers
from tests.helpers.clock import beijing, freeze
from tests.helpers.pages import ENGLISH

TODAY = date(2026, 12, 3)  # a Thursday


@pytest.fixture(autouse=True)
def frozen(monkeypatch):
    freeze(monkeypatch, beijing(2026, 12, 3, 10))


@pytest.fixture
def items(db):
    return helpers.catalogue()


@pytest.fixture
def checklist(items, school, school_admin, with_app):
    """Fees published (with a PDF), the admissions plan formed 2 days ago (not yet due), the
    catchment area formed in September (overdue)."""
    with with_app():
        fees = helpers.publish(
            school_admin, school, items["finance-fees"], formed_on=date(2026, 11, 2), pdf=helpers.small_pdf()
        )
        helpers.draft(school_admin, school, items["admissions-plan"], formed_on=date(2026, 12, 1))
        helpers.draft(school_admin, school, items["admissions-catchment"], formed_on=date(2026, 9, 1))
        db.session.commit()
    return fees


def item_html(page: str, code: str) -> str:
    match = re.search(rf'<li class="disclosure-item" id="item-{code}".*?</li>', page, re.S)
    assert match, code
    return re.sub(r"\s+", " ", match.group(0))


def test_the_checklist_shows_published_due_and_overdue_items_with_dates_in_chinese(client, school, checklist):
    page = client.get(f"/schools/{school.slug}/disclosure").text

    assert 'data-state="published"' in item_html(page, "finance-fees")
    assert "2026年12月3日" in item_html(page, "finance-fees")
    plan = item_html(page, "admissions-plan")
    assert 'data-state="not_yet_due"' in plan
    catchment = item_html(page, "admissions-catchment")
    assert 'data-state="overdue"' in catchment
    assert re.search(r"\d+", catchment)
    # 1 of 17 items the school publishes: the charter, decisions, minutes and outcomes have none yet.
    assert 'id="disclosure-completeness">6%<' in page
    # What an item must contain and whom it is for, in the words of a disclosure list (not a
    # charter's table of contents, nor a vote's "for").
    assert "<dt>公开内容</dt>" in plan and "<dt>公开对象</dt>" in plan
    assert "<dt>目录</dt>" not in plan and "<dt>赞成</dt>" not in plan


def test_the_checklist_in_english_counts_the_working_days_overdue(client, school, checklist):
    page = client.get(f"/schools/{school.slug}/disclosure", headers=ENGLISH).text

    # Formed 1 September: due 29 September (20 working days), overdue by 43 working days by 3 December.
    assert "Overdue by 43 working days" in item_html(page, "admissions-catchment")
    assert "Not yet due (due by December 29, 2026)" in item_html(page, "admissions-plan")
    assert "Published on December 3, 2026" in item_html(page, "finance-fees")


def test_a_published_item_links_to_a_record_anyone_can_verify(client, school, checklist):
    page = client.get(f"/schools/{school.slug}/disclosure").text
    link = re.search(r'href="(/schools/[^"]+/disclosure/\d+)"', item_html(page, "finance-fees")).group(1)

    published = client.get(link).text
    pdf = client.get(f"{link}.pdf")
    verdict = client.post("/verify", data={"sha256": checklist.document_sha256}).text

    assert checklist.document_sha256 in published
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert 'data-verdict="authentic"' in verdict
    assert f'href="{link}"' in verdict


def test_a_draft_is_not_found_at_the_published_address(client, school, items, school_admin):
    draft = helpers.draft(school_admin, school, items["finance-budget"], formed_on=date(2026, 11, 2))
    db.session.commit()

    assert client.get(f"/schools/{school.slug}/disclosure/{draft.id}").status_code == 404


def test_another_schools_disclosure_is_not_found_under_this_school(client, school, other_school, checklist):
    assert client.get(f"/schools/{other_school.slug}/disclosure/{checklist.id}").status_code == 404


def test_the_school_page_links_to_its_checklist(client, school, checklist):
    page = client.get(f"/schools/{school.slug}").text

    assert f'href="/schools/{school.slug}/disclosure"' in page


def test_a_charter_adopted_on_the_portal_satisfies_the_charter_item(client, school, items):
    from portal.charters.models import CharterStatus, CharterVersion

    db.session.add(
        CharterVersion(
            school=school, number=1, status=CharterStatus.ADOPTED, body="# 章程", adopted_on=date(2026, 3, 1)
        )
    )
    db.session.commit()

    charter = item_html(client.get(f"/schools/{school.slug}/disclosure").text, "governance-charter")

    assert 'data-state="published"' in charter
    assert f'href="/schools/{school.slug}/charter"' in charter


# --- the commission's overview --------------------------------------------------------------


def test_the_overview_lists_every_school_of_the_area_overdue_first(
    client, login_as, make_user, city, school, make_school, other_school, checklist
):
    tidy = make_school(slug="tidy-school", name_zh="整洁小学", name_en="Tidy Primary")
    login_as(make_user(role="commission_admin", scope=city))

    page = client.get("/disclosure").text

    rows = re.findall(r'<tr id="disclosure-school-(\d+)"', page)
    assert rows[0] == str(school.id)
    assert set(rows) == {str(school.id), str(tidy.id), str(other_school.id)}


def test_a_district_moderator_sees_only_the_schools_of_the_district(
    client, login_as, other_moderator, school, other_school
):
    login_as(other_moderator)

    page = client.get("/disclosure").text

    assert f'id="disclosure-school-{other_school.id}"' in page
    assert f'id="disclosure-school-{school.id}"' not in page


def test_the_csv_matches_the_page(client, login_as, moderator, school, checklist):
    login_as(moderator)

    page = client.get("/disclosure", headers=ENGLISH).text
    response = client.get("/disclosure.csv", headers=ENGLISH)
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))

    assert response.headers["Content-Type"].startswith("text/csv")
    assert rows[0][:3] == ["School", "District", "Completeness"]
    (row,) = [row for row in rows[1:] if row[0] == school.name_en]
    assert row[2] == "6%" and row[5] == "1"  # completeness, overdue
    assert f'<td class="nowrap">{row[2]}</td>' in page


@pytest.mark.parametrize("sort", ["completeness", "name", "overdue", "bogus"])
def test_the_overview_sorts_by_any_column_and_ignores_unknown_sorts(client, login_as, moderator, school, sort):
    login_as(moderator)

    assert client.get(f"/disclosure?sort={sort}").status_code == 200
