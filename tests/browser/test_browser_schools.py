"""A visitor finds a school in the directory and reads its page; staff find their way in."""

import pytest
from playwright.sync_api import expect

from tests.helpers.browser import PHONE, assert_no_horizontal_scrolling

pytestmark = pytest.mark.browser


# Each language and each width once: Chinese on a phone, English at a desk.
@pytest.mark.parametrize("language, viewport", [("zh", PHONE), ("en", None)])
def test_visitor_finds_a_school_and_reads_its_page(new_page, check_accessibility, language, viewport):
    page = new_page(language, viewport=viewport)
    suffix = f"{language}{'-phone' if viewport else ''}"

    page.goto("/schools")
    expect(page.locator(".school-card")).to_have_count(4)
    check_accessibility(page, f"schools-directory-{suffix}")

    # With htmx the results change as you type, without reloading the page.
    page.locator("#filter-q").fill("解放路")
    expect(page.locator(".school-card")).to_have_count(1)
    assert "q=" in page.url, "the search is kept in the address, so it can be shared or reloaded"
    check_accessibility(page, f"schools-search-{suffix}")

    with page.expect_navigation():
        page.locator(".school-card a").first.click()
    expect(page.locator("h1")).to_contain_text("解放路小学" if language == "zh" else "Jiefang Road")
    if viewport:
        assert_no_horizontal_scrolling(page, f"school page ({language})")
    check_accessibility(page, f"school-page-{suffix}")


def test_directory_filters_work_without_javascript(browser, live_server, check_accessibility):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False, locale="zh-CN", bypass_csp=True)
    page = context.new_page()
    try:
        page.goto("/schools")
        page.locator("#filter-type").select_option("senior")
        with page.expect_navigation():
            page.locator("form.filters button[type=submit]").click()
        expect(page.locator(".school-card")).to_have_count(1)
        expect(page.locator(".school-card")).to_contain_text("嘉陵江")
    finally:
        context.close()


def test_school_admin_goes_from_the_school_page_into_management(page, log_in, demo_password, check_accessibility):
    log_in(page, "schooladmin@example.org", demo_password)
    page.goto("/schools/jiefang-road-primary")
    with page.expect_navigation():
        page.locator("main a[href='/schools/jiefang-road-primary/manage']").click()  # the header's "My work" too
    check_accessibility(page, "school-manage-zh")

    with page.expect_navigation():
        page.locator("a[href='/schools/jiefang-road-primary/manage/profile']").click()
    page.locator("#phone").fill("not a phone number")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    expect(page.locator("#phone-error")).to_be_visible()
    expect(page.locator("#phone")).to_have_value("not a phone number")
    check_accessibility(page, "school-profile-error-zh")
