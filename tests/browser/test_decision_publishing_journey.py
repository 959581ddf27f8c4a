"""Publishing a decision while the job worker renders and signs it, in a real browser: the page
that follows the publication, on a phone (390 px) and a desktop (1280 px), in Chinese and in
English, with htmx (it asks every 2 s and goes on by itself) and without JavaScript (its link
asks). Every page is checked with axe where JavaScript runs; screenshots are kept either way."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.test_browser_form_errors import BOARD_MEMBER, MANAGE_DECISIONS, draft_a_decision
from tests.helpers.browser import run_jobs

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
WORDS = {
    # The link's words are new: the Chinese catalogue has them once NEW_MESSAGES.json is merged.
    "zh": {"working": "正在发布：正在生成并签署 PDF…", "again": None},
    "en": {"working": "Publishing: the PDF is being made and signed…", "again": "Check again"},
}


@pytest.mark.parametrize(
    "language, viewport, javascript",
    [
        ("zh", PHONE, True),
        ("en", DESKTOP, True),
        ("zh", DESKTOP, False),
        ("en", PHONE, False),
    ],
    ids=["zh-390-htmx", "en-1280-htmx", "zh-1280-no-js", "en-390-no-js"],
)
def test_the_board_member_waits_on_the_publishing_page_and_arrives_at_the_decision(
    new_page, live_server, log_in, demo_password, check_accessibility, language, viewport, javascript
):
    page = new_page(language, viewport=viewport, javascript=javascript)
    log_in(page, BOARD_MEMBER, demo_password)
    edit_path, title = draft_a_decision(page)
    name = f"decision-publishing-{language}-{viewport['width']}-{'htmx' if javascript else 'no-js'}"

    page.locator("#confirm").check()
    page.locator(f"form[action='{edit_path}/publish'] button[type=submit]").click()
    page.wait_for_url(re.compile(rf"{edit_path}/publishing$"))
    expect(page.locator("#publishing-status")).to_contain_text(WORDS[language]["working"])
    again = page.locator(f"#publishing-status a[href='{edit_path}/publishing']")
    expect(again).to_be_visible()
    if WORDS[language]["again"]:
        expect(again).to_have_text(WORDS[language]["again"])
    if viewport == PHONE:
        assert_no_horizontal_scrolling_at(page, viewport, name)
    if javascript:
        check_accessibility(page, name)
    else:
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)

    # The draft's own page meanwhile: progress instead of the publish form; no changes.
    draft = new_page(language, viewport=viewport, javascript=javascript)
    log_in(draft, BOARD_MEMBER, demo_password)
    draft.goto(edit_path)
    expect(draft.locator(f"form[action='{edit_path}/publish']")).to_have_count(0)
    expect(draft.locator(f"#publish a[href='{edit_path}/publishing']")).to_be_visible()
    draft.screenshot(path=str(SCREENSHOTS / f"{name}-draft.png"), full_page=True)

    run_jobs(live_server)
    if not javascript:
        again.click()  # the person asks again
    page.wait_for_url(re.compile(r"/decisions/\d+$"))
    expect(page.locator("h1")).to_contain_text(title)
    expect(page.locator(".flash-messages")).to_be_visible()


def assert_no_horizontal_scrolling_at(page, viewport, name):
    scroll_width = page.evaluate("() => document.documentElement.scrollWidth")
    assert scroll_width <= viewport["width"], f"{name} scrolls sideways ({scroll_width}px wide)"


def test_the_publishing_page_of_a_draft_already_published_goes_to_the_decision(
    new_page, live_server, log_in, demo_password
):
    page = new_page("en", viewport=PHONE)
    log_in(page, BOARD_MEMBER, demo_password)
    edit_path, _title = draft_a_decision(page)
    page.locator("#confirm").check()
    page.locator(f"form[action='{edit_path}/publish'] button[type=submit]").click()
    page.wait_for_url(re.compile(rf"{edit_path}/publishing$"))
    run_jobs(live_server)

    page.goto(f"{edit_path}/publishing")

    assert re.search(r"/decisions/\d+$", page.url) and MANAGE_DECISIONS not in page.url
