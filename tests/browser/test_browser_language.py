"""The language switch in the header, and pages that stay in the chosen language."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def switch_language(page, code):
    with page.expect_navigation():
        page.locator(f".language-switch button[name=lang][value={code}]").click()


def test_visitor_switches_language(page, check_accessibility, translate):
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.locator(".language-switch [aria-current=true]")).to_have_text("简体中文")
    check_accessibility(page, "home-zh")

    english = page.get_by_role("button", name="English")
    expect(english).to_have_attribute("lang", "en")
    with page.expect_navigation():
        english.click()
    assert page.url.endswith("/"), "the switch brings you back to the page you were on"
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text(translate("en", "School governance, open to everyone"))
    expect(page.locator(".language-switch [aria-current=true]")).to_have_text("English")
    check_accessibility(page, "home-en")

    with page.expect_navigation():
        page.locator(".account-nav a[href^='/login']").click()
    assert "/login" in page.url
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text(translate("en", "Log in"))
    check_accessibility(page, "login-en")

    chinese = page.get_by_role("button", name="简体中文")
    with page.expect_navigation():
        chinese.click()
    assert "/login" in page.url
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.locator("h1")).to_have_text(translate("zh", "Log in"))
    check_accessibility(page, "login-zh")


def test_language_switch_works_without_javascript(browser, live_server):
    """The switch is a plain form: it must not depend on htmx or any script."""
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False, locale="zh-CN")
    try:
        page = context.new_page()
        page.goto("/")
        switch_language(page, "en")
        expect(page.locator("html")).to_have_attribute("lang", "en")
        page.goto("/login")
        expect(page.locator("html")).to_have_attribute("lang", "en")
    finally:
        context.close()


def test_keyboard_user_can_skip_to_the_content(page, check_accessibility):
    page.goto("/")
    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    check_accessibility(page, "skip-link-zh")
    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()


def test_a_shared_link_to_the_english_decision_page_opens_in_english_and_later_pages_follow(page, check_accessibility):
    """A Chinese browser opening a link with ?lang=en: the page, and the pages after it, are in
    English; the switch then brings the same page back in Chinese."""
    page.goto("/decisions")
    decision_link = page.locator("a[href^='/decisions/']:not([href$='.pdf'])").first
    decision_path = decision_link.get_attribute("href")

    page.goto(f"{decision_path}?lang=en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    check_accessibility(page, "decision-lang-en")

    with page.expect_navigation():
        page.locator("header a[href='/decisions']").first.click()
    expect(page.locator("html")).to_have_attribute("lang", "en")

    page.goto(f"{decision_path}?lang=en")
    switch_language(page, "zh")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    assert page.url.endswith(decision_path), "the switch drops ?lang=en on the way back"
