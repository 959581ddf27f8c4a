"""A parent's own data in a real browser: the privacy notice from the footer, a copy of their
data asked for, and deleting the account with the password, after which their published
response is signed "已注销用户" and the old password logs nobody in."""

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from portal.accounts import services as account_services
from portal.clock import utcnow
from portal.consultations import responses as response_services
from portal.consultations.models import Audience, Consultation, Phase
from portal.extensions import db
from portal.moderation import services as moderation_services

pytestmark = pytest.mark.browser

PASSWORD = "a long enough password for deleting"


def parent_with_a_published_response(live_server, email, name) -> int:
    """A parent made directly in the live server's database (the registration form has its own
    journeys), with a response shown under their name; the consultation's id."""
    with live_server.app.app_context():
        user = account_services.register_user(email=email, display_name=name, password=PASSWORD, language=None)
        now = utcnow()
        consultation = next(
            item
            for item in db.session.scalars(select(Consultation).order_by(Consultation.id))
            if item.phase(now) == Phase.OPEN and item.audience == Audience.REGISTERED
        )
        response = response_services.submit_response(
            user, consultation, {"stance": "support", "body": "浏览器测试：支持。", "answers": {}, "show_name": True}
        )
        if response.state.value == "pending":
            moderation_services.moderate(None, response, "publish")
        db.session.commit()
        consultation_id = consultation.id
        db.session.remove()
    return consultation_id


def test_parent_deletes_their_account_with_the_password(
    new_page, live_server, check_accessibility, log_in, unique_email
):
    email, name = unique_email("deleting"), "浏览器测试家长"
    consultation_id = parent_with_a_published_response(live_server, email, name)
    page = new_page("zh")

    page.goto("/")
    with page.expect_navigation():
        page.locator("footer a[href='/privacy']").click()
    check_accessibility(page, "privacy-zh")
    page.goto("/terms")
    check_accessibility(page, "terms-zh")

    log_in(page, email, PASSWORD)
    page.goto("/me/data")
    check_accessibility(page, "my-data-zh")
    with page.expect_navigation():
        page.locator("form[action='/me/data'] button[type=submit]").click()
    expect(page.locator("[data-export-state]")).to_have_count(1)
    check_accessibility(page, "my-data-asked-zh")

    page.goto("/me/delete")
    check_accessibility(page, "delete-account-zh")
    page.locator("#password").fill("not the password")
    with page.expect_navigation():
        page.locator("form[action='/me/delete'] button[type=submit]").click()
    expect(page.locator("#password-error")).to_be_visible()
    expect(page.locator("#password")).to_have_attribute("aria-invalid", "true")
    check_accessibility(page, "delete-account-wrong-password-zh")

    page.locator("#password").fill(PASSWORD)
    with page.expect_navigation(url=f"{live_server.url}/"):
        page.locator("form[action='/me/delete'] button[type=submit]").click()
    expect(page.locator(".flash-messages")).to_be_visible()
    expect(page.locator(".account-nav a[href^='/login']")).to_be_visible()

    page.goto(f"/consultations/{consultation_id}")
    expect(page.locator(".response-author", has_text="已注销用户")).to_have_count(1)
    expect(page.get_by_text(name)).to_have_count(0)

    log_in(page, email, PASSWORD)
    assert "/login" in page.url
