"""A consultation in a real browser, at phone width: a parent (a newly registered account: the
demo's uniform consultation is open to anyone with an account) answers it with htmx — the
counter follows their typing, a missing stance is pointed out in place, the response is sent
without leaving the page and shows as awaiting moderation; then a visitor reads the results (a
chart and its table), loads more responses and downloads the CSV. Every page is checked with
axe, in Chinese and in English.

The live server's database lasts the whole run, and both languages answer the same demo
consultation: each run registers its own account, and nothing assumes how many responses
there are beyond what the demo seeds.
"""

import csv
import io
import re

import pytest
from playwright.sync_api import expect

from tests.helpers.browser import HTML_LANG, PHONE, assert_no_horizontal_scrolling

pytestmark = pytest.mark.browser

TITLE = "关于学生校服采购方案的意见征集"  # the demo's open consultation (portal/consultations/demo.py)
COMMENT = "支持公开招标，建议冬装选用可机洗面料。<b>不是标记</b> 😀"


def same_document(page) -> bool:
    return page.evaluate("() => window.__sameDocument === true")


def open_the_consultation(page) -> str:
    page.goto("/consultations")
    with page.expect_navigation():
        page.locator("a.consultation-card-title", has_text=TITLE).first.click()
    return re.search(r"/consultations/\d+$", page.url).group(0)


@pytest.mark.parametrize("language", ["zh", "en"])
def test_parent_answers_with_htmx_and_a_visitor_reads_the_results_and_downloads_them(
    new_page, check_accessibility, register_account, language
):
    page = new_page(language, viewport=PHONE)
    register_account(page, display_name="校服家长 Parent")

    page.goto("/consultations")
    expect(page.locator("html")).to_have_attribute("lang", HTML_LANG[language])
    assert_no_horizontal_scrolling(page, f"/consultations ({language})")
    check_accessibility(page, f"consultations-{language}")
    path = open_the_consultation(page)
    form = page.locator("#response-form")
    expect(form).to_be_visible()
    assert_no_horizontal_scrolling(page, f"{path} ({language})")
    check_accessibility(page, f"consultation-form-{language}")

    # The counter follows the typing (htmx asks the server after each pause).
    page.evaluate("() => { window.__sameDocument = true; }")
    page.locator("#body").fill("长" * 5003)
    expect(page.locator("#body-count .char-count-over")).to_contain_text("5,003")
    expect(page.locator("#body")).to_have_value("长" * 5003)  # nothing cut off
    page.locator("#body").fill(COMMENT)
    expect(page.locator("#body-count")).to_contain_text(f"{len(COMMENT)}")
    expect(page.locator("#body-count .char-count-over")).to_have_count(0)

    # No stance: the form comes back in place with the message, the text as typed.
    page.locator("#response-submit").click()
    expect(page.locator("#stance-error")).to_be_visible()
    expect(page.locator("#body")).to_have_value(COMMENT)
    assert same_document(page), "the form was sent by reloading the page"
    check_accessibility(page, f"consultation-form-errors-{language}")

    # Stance and answers, sent without leaving the page: awaiting moderation.
    page.locator("#stance-0").check()
    page.locator("#respond fieldset").nth(1).locator("input[type=radio]").first.check()
    page.locator("#respond fieldset").nth(2).locator("input[type=checkbox]").nth(1).check()
    page.locator("#response-submit").click()
    expect(page.locator("#own-response .response-state-pending")).to_be_visible()
    expect(page.locator("#respond [role=status]")).to_be_visible()
    expect(page.locator("#body")).to_have_value(COMMENT)
    assert same_document(page), "sending the response reloaded the page"
    check_accessibility(page, f"consultation-responded-{language}")

    # Others do not see it until a moderator publishes it.
    visitor = new_page(language, viewport=PHONE)
    visitor.goto(path)
    expect(visitor.locator("#responses")).not_to_contain_text("不是标记")

    # A visitor reads the results: the chart, and the same numbers in its table.
    chart = visitor.locator("#chart-stance")
    expect(chart.locator("svg rect.chart-bar").first).to_be_visible()
    rows = chart.locator("table tbody tr")
    expect(rows).to_have_count(3)
    published = int(re.sub(r"\D", "", visitor.locator(".consultation-facts dd").last.inner_text()))
    counts = [int(rows.nth(n).locator("td").first.text_content().replace(",", "")) for n in range(3)]
    assert sum(counts) == published > 20
    assert_no_horizontal_scrolling(visitor, f"{path} as a visitor ({language})")
    check_accessibility(visitor, f"consultation-results-{language}")

    # More responses, added below without leaving the page.
    visitor.evaluate("() => { window.__sameDocument = true; }")
    expect(visitor.locator("#response-list > li")).to_have_count(20)
    visitor.locator("#load-more a").click()
    expect(visitor.locator("#response-list > li")).to_have_count(min(published, 40))
    assert same_document(visitor)
    check_accessibility(visitor, f"consultation-more-responses-{language}")

    # The CSV, as published: UTF-8 with a BOM, a row for each published response.
    with visitor.expect_download() as download:
        visitor.locator(f"a[href='{path}/responses.csv']").click()
    data = download.value.path().read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    header, *records = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert len(header) == 8 and len(records) == published
    assert "不是标记" not in data.decode("utf-8-sig")
