"""A visitor searches the portal from the header (the box, or on a phone the link to the search page):
Chinese words, pinyin, English."""

import pytest
from playwright.sync_api import expect

from tests.helpers.browser import PHONE, assert_no_horizontal_scrolling

pytestmark = pytest.mark.browser


# Each language and each width once: Chinese on a phone, English at a desk.
@pytest.mark.parametrize("language, viewport", [("zh", PHONE), ("en", None)])
def test_visitor_searches_from_the_header_and_finds_the_canteen_with_the_word_marked(
    new_page, check_accessibility, language, viewport
):
    page = new_page(language, viewport=viewport)
    suffix = f"{language}{'-phone' if viewport else ''}"
    page.goto("/schools")

    if viewport:
        # On a phone the header has no room for the box: its link opens the search page, whose
        # box finds as you type (htmx).
        expect(page.locator("#site-search-q")).to_be_hidden()
        with page.expect_navigation():
            page.locator(".site-header .search-link").click()
        page.locator("#search-q").fill("食堂")
    else:
        page.locator("#site-search-q").fill("食堂")
        with page.expect_navigation():
            page.locator("#site-search-q").press("Enter")

    expect(page.locator(".search-hit").first).to_be_visible()
    expect(page.locator(".search-hit mark").first).to_have_text("食堂")
    if viewport:
        assert_no_horizontal_scrolling(page, f"search results ({language})")
    check_accessibility(page, f"search-results-{suffix}")

    # With htmx the results change as you type.
    page.locator("#search-q").fill("jiefang")
    expect(page.locator(".search-hit-school")).to_have_count(1)
    expect(page.locator(".search-hit-school h3")).to_contain_text("解放路小学")

    page.locator("#search-q").fill("潜水艇")
    expect(page.locator("#search-results h2")).to_contain_text("潜水艇")
    check_accessibility(page, f"search-nothing-found-{suffix}")


def test_search_works_without_javascript_and_a_long_query_gets_a_message(browser, live_server, check_accessibility):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False, locale="en", bypass_csp=True)
    page = context.new_page()
    try:
        page.goto("/search?q=" + "食" * 300)
        expect(page.locator("#search-q-error")).to_be_visible()
        page.locator("#search-q").fill("校服")
        with page.expect_navigation():
            page.locator("form.search-filters button[type=submit]").click()
        expect(page.locator(".search-hit mark").first).to_have_text("校服")
    finally:
        context.close()
