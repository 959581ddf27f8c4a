"""Pages at phone width, and the translated error page."""

import pytest
from playwright.sync_api import expect

from tests.helpers.browser import HTML_LANG, PHONE, assert_no_horizontal_scrolling

pytestmark = pytest.mark.browser

PUBLIC_PAGES = [("home", "/"), ("login", "/login"), ("register", "/register")]


@pytest.mark.parametrize("language", ["zh", "en"])
def test_pages_at_phone_width(new_page, check_accessibility, register_account, language):
    page = new_page(language, viewport=PHONE)
    for name, path in PUBLIC_PAGES:
        page.goto(path)
        expect(page.locator("html")).to_have_attribute("lang", HTML_LANG[language])
        assert_no_horizontal_scrolling(page, f"{path} ({language})")
        check_accessibility(page, f"phone-{name}-{language}")

    register_account(page)
    expect(page.locator("html")).to_have_attribute("lang", HTML_LANG[language])
    assert_no_horizontal_scrolling(page, f"/me ({language})")
    check_accessibility(page, f"phone-me-{language}")


@pytest.mark.parametrize("language", ["zh", "en"])
def test_school_admin_pages_at_phone_width(new_page, check_accessibility, log_in, demo_password, language):
    page = new_page(language, viewport=PHONE)
    log_in(page, "schooladmin@example.org", demo_password)
    path = "/schools/jiefang-road-primary/manage/invitations"
    page.goto(path)
    page.locator("#count").fill("2")
    page.locator("#note").fill("三年级二班 Class 3-2")
    with page.expect_navigation():
        page.locator(f"form[action='{path}'] button[type=submit]").click()
    expect(page.locator(".code-list code")).to_have_count(2)
    # The list of codes is a wide table: it may scroll inside its own box, never the page.
    expect(page.locator(".table-scroll table")).to_be_visible()
    assert_no_horizontal_scrolling(page, f"invitations ({language})")
    check_accessibility(page, f"phone-invitations-{language}")


@pytest.mark.parametrize("language", ["zh", "en"])
def test_error_page_is_translated(new_page, check_accessibility, translate, language):
    page = new_page(language)
    response = page.goto("/does-not-exist")
    assert response.status == 404
    expect(page.locator("html")).to_have_attribute("lang", HTML_LANG[language])
    expect(page.locator("h1")).to_have_text(translate(language, "Page not found"))
    expect(page.locator(".error-page")).to_contain_text(
        translate(language, "There is nothing at this address. It may have been moved, or the link may be mistyped.")
    )
    expect(page.locator(".error-code")).to_have_text(translate(language, "Error code: %(code)s") % {"code": 404})
    expect(page).to_have_title(
        f"{translate(language, 'Page not found')} · {translate(language, 'School Governance Portal')}"
    )
    check_accessibility(page, f"error-404-{language}")

    page.set_viewport_size(PHONE)
    assert_no_horizontal_scrolling(page, f"404 ({language})")
    check_accessibility(page, f"phone-error-404-{language}")
