"""A forgotten password in a real browser: from the login page's link, through the mailed link,
to a new password; the other device is logged out, the old password fails, the link works once."""

import pytest
from playwright.sync_api import expect

from tests.helpers.account_mail import mailed_link

pytestmark = pytest.mark.browser

NEW_PASSWORD = "a brand new passphrase"


@pytest.mark.parametrize("language", ["zh", "en"])
def test_a_parent_who_forgot_her_password_chooses_a_new_one_from_the_mailed_link(
    new_page, live_server, register_account, log_in, log_out, check_accessibility, translate, language
):
    phone = new_page(language, viewport={"width": 390, "height": 844})
    email, old_password = register_account(phone)
    laptop = new_page(language)
    log_in(laptop, email, old_password)
    assert laptop.url.endswith("/me")
    log_out(phone)

    phone.goto("/login")
    phone.get_by_role("link", name=translate(language, "Forgot your password?")).click()
    phone.wait_for_url("**/password/reset")
    check_accessibility(phone, f"password-reset-request-{language}")
    with phone.expect_navigation():
        phone.locator("form[action='/password/reset'] button[type=submit]").click()
    expect(phone.locator("#email-error")).to_be_visible()  # nothing typed: said beside the field
    check_accessibility(phone, f"password-reset-request-empty-{language}")

    phone.locator("#email").fill(email)
    with phone.expect_navigation(url="**/password/reset/sent"):
        phone.locator("form[action='/password/reset'] button[type=submit]").click()
    expect(phone.locator("main")).to_contain_text(email)
    check_accessibility(phone, f"password-reset-sent-{language}")

    link = mailed_link(live_server.app, email)
    phone.goto(link)
    check_accessibility(phone, f"password-reset-form-{language}")
    phone.locator("#new_password").fill(NEW_PASSWORD)
    phone.locator("#confirm").fill(NEW_PASSWORD)
    with phone.expect_navigation(url="**/me"):
        phone.locator("form[action^='/password/reset/'] button[type=submit]").click()
    expect(phone.locator(".flash-messages")).to_be_visible()

    laptop.goto("/me")
    assert "/login" in laptop.url  # the other device was logged out

    phone.goto(link)  # the link a second time
    expect(phone.locator("h1")).to_have_text(translate(language, "This link does not work"))
    check_accessibility(phone, f"password-reset-link-used-{language}")

    log_in(laptop, email, old_password)
    assert "/login" in laptop.url  # the old password fails
    log_in(laptop, email, NEW_PASSWORD)
    assert laptop.url.endswith("/me")
