"""Reporting a published response in a real browser, at phone width: the consultation's page
carries no report form; opening a response's "Report" disclosure fetches it (htmx), and the
report is sent and acknowledged in place, without leaving the page. Without JavaScript, the link
inside the disclosure opens the form on a page of its own, and sending it leads back to the
response. Checked with axe, in Chinese and in English.

The live server's database lasts the whole run: each run registers its own account (a new
account's reports do not hide anything on their own), so it has reported nothing yet.
"""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_consultation_journey import open_the_consultation
from tests.helpers.browser import PHONE

pytestmark = pytest.mark.browser


def first_card(page):
    card = page.locator("li.response-card").first
    response_id = int(re.fullmatch(r"response-(\d+)", card.get_attribute("id")).group(1))
    return card, response_id


@pytest.mark.parametrize("language", ["zh", "en"])
def test_a_parent_opens_the_report_form_in_place_and_sends_it(
    new_page, check_accessibility, register_account, log_in, language
):
    page = new_page(language, viewport=PHONE)
    email, password = register_account(page, display_name="举报测试 Reporter")
    open_the_consultation(page)
    expect(page.locator("li.response-card textarea")).to_have_count(0)  # no hidden forms
    page.evaluate("() => { window.__sameDocument = true; }")

    card, response_id = first_card(page)
    with page.expect_response(
        lambda r: r.url.endswith(f"/responses/{response_id}/report") and r.request.method == "GET"
    ) as fetched:
        card.locator("details.response-action > summary").first.click()
    assert fetched.value.status == 200
    reason = page.locator(f"#report-reason-{response_id}")
    expect(reason).to_be_visible()
    check_accessibility(page, f"report-form-open-{language}")

    reason.fill("广告内容")
    card.locator(f"#report-{response_id} button[type=submit]").click()
    expect(card.locator(f"#report-{response_id} [role=status]")).to_be_visible()
    expect(card.locator(f"#report-{response_id} form")).to_have_count(0)
    assert page.evaluate("() => window.__sameDocument === true"), "reporting reloaded the page"

    # Without JavaScript: the link in the disclosure opens the form on its own page, which now
    # says the report was made rather than offering a second one.
    plain = new_page(language, viewport=PHONE, javascript=False)
    log_in(plain, email, password)
    open_the_consultation(plain)
    card = plain.locator(f"#response-{response_id}")
    card.locator("details.response-action > summary").first.click()
    with plain.expect_navigation():
        card.locator(f"#report-{response_id} a").click()
    assert plain.url.endswith(f"/responses/{response_id}/report")
    expect(plain.locator("h1")).to_be_visible()
    expect(plain.locator(f"#report-{response_id} [role=status]")).to_be_visible()
    expect(plain.locator(f"#report-reason-{response_id}")).to_have_count(0)
    page.goto(plain.url)  # axe needs JavaScript: the same page, checked in the first browser
    check_accessibility(page, f"report-page-{language}")
