"""A moderator hides a published response from its consultation's page in a real browser, at
phone width: the page carries no hide form; opening a response's "Hide (moderators)" disclosure
fetches it (htmx), and the hide replaces the response's item in place, without leaving the page.
Without JavaScript, the link inside the disclosure opens the form on a page of its own, which
posts and comes back to the consultation's page, and then says the response is hidden already.
Checked with axe, in Chinese and in English.

The live server's database lasts the whole run: each run hides the last of the page's first
twenty responses (older demo ones that no other journey looks at), reading their ids off the page.
"""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_consultation_journey import open_the_consultation
from tests.helpers.browser import PHONE

pytestmark = pytest.mark.browser

MODERATOR = "moderator@example.org"  # 渝中区审核员: moderates the demo school's consultations


def last_card(page):
    card = page.locator("#response-list > li.response-card").last
    response_id = int(re.fullmatch(r"response-(\d+)", card.get_attribute("id")).group(1))
    return card, response_id


def open_hide(card, response_id):
    card.locator(f"details:has(#hide-form-{response_id}) > summary").click()


@pytest.mark.parametrize("language", ["zh", "en"])
def test_a_moderator_opens_the_hide_form_in_place_and_hides_a_response(
    new_page, check_accessibility, log_in, demo_password, translate, language
):
    page = new_page(language, viewport=PHONE)
    log_in(page, MODERATOR, demo_password)
    consultation = open_the_consultation(page)
    expect(page.locator("#response-list select, #response-list textarea")).to_have_count(0)  # no hidden forms
    page.evaluate("() => { window.__sameDocument = true; }")

    card, response_id = last_card(page)
    with page.expect_response(lambda r: r.url.endswith(f"/responses/{response_id}/hide")) as fetched:
        open_hide(card, response_id)
    assert fetched.value.status == 200
    reason = page.locator(f"#hide-reason-{response_id}")
    expect(reason).to_be_visible()
    check_accessibility(page, f"hide-form-open-{language}")

    reason.select_option("off_topic")
    with page.expect_response(
        lambda r: r.url.split("?")[0].endswith(f"/moderation/responses/{response_id}") and r.request.method == "POST"
    ) as hidden:
        page.locator(f"#hide-form-{response_id} button[type=submit]").click()
    assert hidden.value.status == 200
    done = page.locator(f"#moderation-item-{response_id} [role=status]")
    expect(done).to_have_text(translate(language, "The response is hidden. Its reports are resolved."))
    expect(page.locator(f"#response-{response_id}")).to_have_count(0)
    assert page.evaluate("() => window.__sameDocument === true"), "hiding reloaded the page"

    # Without JavaScript: the link in the disclosure opens the form on its own page; it posts and
    # comes back to the consultation's page, and the response is gone from it.
    plain = new_page(language, viewport=PHONE, javascript=False)
    log_in(plain, MODERATOR, demo_password)
    plain.goto(consultation)
    card, response_id = last_card(plain)
    open_hide(card, response_id)
    with plain.expect_navigation():
        card.locator(f"#hide-form-{response_id} a").click()
    hide_page = plain.url
    assert hide_page.endswith(f"{consultation}/responses/{response_id}/hide")
    expect(plain.locator("h1")).to_have_text(translate(language, "Hide a response"))
    page.goto(hide_page)  # axe needs JavaScript: the same page, checked in the first browser
    check_accessibility(page, f"hide-page-{language}")

    plain.locator(f"#hide-reason-{response_id}").select_option("personal_data")
    with plain.expect_navigation():
        plain.locator(f"#hide-form-{response_id} button[type=submit]").click()
    assert plain.url.split("#")[0].endswith(consultation)
    expect(plain.get_by_text(translate(language, "The response is hidden. Its reports are resolved."))).to_be_visible()
    expect(plain.locator(f"#response-{response_id}")).to_have_count(0)

    plain.goto(hide_page)
    expect(plain.locator(f"#hide-form-{response_id} [role=status]")).to_have_text(
        translate(language, "This response is already hidden.")
    )
    expect(plain.locator(f"#hide-reason-{response_id}")).to_have_count(0)
