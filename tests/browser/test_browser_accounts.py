"""Accounts in a real browser: invitation codes, registration (the address, its inline check, the
mailed link), logging in and out, redeeming a code, a forgotten password, and forms that explain
what went wrong."""

import re

import pytest
from playwright.sync_api import expect

from portal.cli import SCHOOLS
from tests.helpers.account_mail import mailed_link

pytestmark = pytest.mark.browser

SCHOOL_SLUG = "jiefang-road-primary"
SCHOOL_NAME_ZH = next(name_zh for _d, slug, name_zh, *_rest in SCHOOLS if slug == SCHOOL_SLUG)
CODE_PATTERN = re.compile(r"^[A-Z2-9]{5}-[A-Z2-9]{5}$")


def make_invitation_code(page, check_accessibility, log_in, log_out, demo_password) -> str:
    """The school administrator makes one code and reads it off the page."""
    log_in(page, "schooladmin@example.org", demo_password)
    assert page.url.endswith("/me")
    page.goto(f"/schools/{SCHOOL_SLUG}/manage/invitations")
    check_accessibility(page, "invitations-zh")
    page.locator("#count").fill("1")
    with page.expect_navigation():
        page.locator(f"form[action='/schools/{SCHOOL_SLUG}/manage/invitations'] button[type=submit]").click()
    codes = page.locator(".code-list code")
    expect(codes).to_have_count(1)
    code = codes.first.inner_text().strip()
    assert CODE_PATTERN.match(code), code
    check_accessibility(page, "invitations-new-code-zh")
    log_out(page)
    expect(page.locator(".account-nav a[href^='/login']")).to_be_visible()
    return code


def test_parent_registers_logs_in_and_redeems_invitation(
    page, live_server, check_accessibility, log_in, log_out, demo_password, unique_email
):
    code = make_invitation_code(page, check_accessibility, log_in, log_out, demo_password)
    check_accessibility(page, "home-after-logout-zh")

    page.goto("/register")
    check_accessibility(page, "register-zh")
    # A marker that only survives if the page is never reloaded: the check below is htmx's.
    page.evaluate("() => { window.__sameDocument = true; }")

    email = page.locator("#email")
    email.fill("parent@")
    email.press("Tab")
    error = page.locator("#email-check #email-error")
    expect(error).to_be_visible()
    expect(page.locator("#email")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#email")).to_have_attribute("aria-describedby", re.compile(r"\bemail-error\b"))
    expect(page.locator("#email")).to_have_value("parent@")
    assert page.evaluate("() => window.__sameDocument === true"), "the inline check reloaded the page"
    # Screen readers hear the verdict from the live region; the visible message is beside the field.
    expect(page.locator("#email-check-status[role=status]")).to_have_text(error.inner_text().lstrip("⚠ ").strip())
    check_accessibility(page, "register-email-invalid-zh")

    # An address with an account and one without get the same words: nobody reads out the accounts.
    verdicts = []
    for address in ("parent@example.org", unique_email()):
        page.locator("#email").fill(address)
        page.locator("#email").press("Tab")
        expect(page.locator("#email-ok")).to_be_visible()
        expect(page.locator("#email-error")).to_have_count(0)
        expect(page.locator("#email")).not_to_have_attribute("aria-invalid", "true")
        verdicts.append(page.locator("#email-check-status").inner_text())
    assert verdicts[0] == verdicts[1] and verdicts[0]
    assert page.evaluate("() => window.__sameDocument === true")
    check_accessibility(page, "register-email-ok-zh")

    new_email = page.locator("#email").input_value()
    with page.expect_navigation(url="**/register/sent"):
        page.locator("form[action='/register'] button[type=submit]").click()
    expect(page.locator("main")).to_contain_text(new_email)
    check_accessibility(page, "register-sent-zh")

    page.goto(mailed_link(live_server.app, new_email))
    expect(page.locator("main")).to_contain_text(new_email)
    check_accessibility(page, "register-complete-zh")
    password = "a long enough password"
    page.locator("#display_name").fill("家长 李明")
    page.locator("#password").fill(password)
    page.locator("#confirm").fill(password)
    with page.expect_navigation(url="**/me"):
        page.locator("form[action^='/register/complete/'] button[type=submit]").click()
    expect(page.locator(".flash-messages")).to_contain_text("家长 李明")
    expect(page.locator(".account-nav")).to_contain_text("家长 李明")
    check_accessibility(page, "me-new-account-zh")

    log_out(page)
    expect(page.locator(".flash-messages")).to_be_visible()
    log_in(page, new_email, password)
    assert page.url.endswith("/me")
    expect(page.locator(".membership-list")).to_have_count(0)

    page.locator("#code").fill(code.lower())
    with page.expect_navigation(url="**/me"):
        page.locator("form[action='/me/invitation'] button[type=submit]").click()
    memberships = page.locator(".membership-list li")
    expect(memberships).to_have_count(1)
    expect(memberships.first).to_contain_text(SCHOOL_NAME_ZH)
    expect(page.locator(".flash-messages")).to_contain_text(SCHOOL_NAME_ZH)
    check_accessibility(page, "me-verified-parent-zh")


def test_forms_show_errors_beside_fields(page, live_server, check_accessibility, unique_email):
    page.goto("/register")
    with page.expect_navigation():
        page.locator("form[action='/register'] button[type=submit]").click()
    expect(page.locator(".error-summary[role=alert] a[href='#email']")).to_be_visible()
    expect(page.locator("#email")).to_have_attribute("aria-invalid", "true")
    check_accessibility(page, "register-empty-errors-zh")

    email = unique_email()
    page.locator("#email").fill(email)
    with page.expect_navigation(url="**/register/sent"):
        page.locator("form[action='/register'] button[type=submit]").click()
    page.goto(mailed_link(live_server.app, email))
    with page.expect_navigation():
        page.locator("form[action^='/register/complete/'] button[type=submit]").click()

    summary = page.locator(".error-summary")
    expect(summary).to_have_attribute("role", "alert")
    for name in ("display_name", "password", "confirm"):
        expect(page.locator(f"#{name}-field #{name}-error")).to_be_visible()
        expect(page.locator(f"#{name}")).to_have_attribute("aria-invalid", "true")
        expect(page.locator(f"#{name}")).to_have_attribute("aria-describedby", re.compile(rf"\b{name}-error\b"))
        expect(summary.locator(f"a[href='#{name}']")).to_be_visible()
    check_accessibility(page, "register-complete-empty-errors-zh")

    # A link in the summary takes you to the field.
    summary.locator("a[href='#display_name']").click()
    expect(page.locator("#display_name")).to_be_focused()

    page.locator("#display_name").fill("王芳")
    page.locator("#password").fill("short")
    page.locator("#confirm").fill("short")
    with page.expect_navigation():
        page.locator("form[action^='/register/complete/'] button[type=submit]").click()

    expect(page.locator(".error-summary[role=alert]")).to_be_visible()
    expect(page.locator("#password-error")).to_be_visible()
    expect(page.locator("#password")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#display_name-error")).to_have_count(0)
    # What was typed is kept, except the passwords, which are never sent back to the browser.
    expect(page.locator("#display_name")).to_have_value("王芳")
    expect(page.locator("#password")).to_have_value("")
    check_accessibility(page, "register-short-password-zh")


def test_login_failure_is_shown_beside_the_password(new_page, check_accessibility):
    page = new_page("en")
    page.goto("/login")
    page.locator("#email").fill("parent@example.org")
    page.locator("#password").fill("not the password")
    with page.expect_navigation():
        page.locator("form[action='/login'] button[type=submit]").click()
    expect(page.locator("#password-error")).to_be_visible()
    expect(page.locator(".error-summary[role=alert] a[href='#password']")).to_be_visible()
    expect(page.locator("#email")).to_have_value("parent@example.org")
    check_accessibility(page, "login-failed-en")


def test_wrong_invitation_code_is_explained_on_my_account_page(page, check_accessibility, register_account):
    register_account(page)
    page.locator("#code").fill("AAAAA-BBBBB")
    with page.expect_navigation():
        page.locator("form[action='/me/invitation'] button[type=submit]").click()
    expect(page.locator("#code-error")).to_be_visible()
    expect(page.locator("#code")).to_have_attribute("aria-invalid", "true")
    expect(page.locator(".error-summary[role=alert] a[href='#code']")).to_be_visible()
    expect(page.locator("#code")).to_have_value("AAAAA-BBBBB")
    check_accessibility(page, "me-wrong-code-zh")


@pytest.mark.parametrize("width", [390, 1280])
def test_the_register_button_stays_put_when_the_address_check_answers(new_page, live_server, unique_email, width):
    # The check answers as the field is left, which is also when a finger is on its way to the
    # button: the answer's line is kept from the start, so the button is where it was aimed at.
    page = new_page(viewport={"width": width, "height": 900})
    page.goto("/register")
    button = page.locator("form[action='/register'] button[type=submit]")
    before = button.bounding_box()

    page.locator("#email").fill(unique_email())
    page.locator("#email").press("Tab")
    expect(page.locator("#email-ok")).to_be_visible()

    assert button.bounding_box() == before
