"""The suggestion box in a real browser: a parent sends feedback (a double click makes one item)
and gets its reference (the same form sent again with another text is told which item it made);
a board member answers it in private from the inbox; the parent reads the answer under "My
feedback". Every page is checked with axe, in Chinese and English, at phone width and on a
desktop."""

import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.helpers.browser import PHONE, assert_no_horizontal_scrolling

pytestmark = pytest.mark.browser

SLUG = "jiefang-road-primary"
REFERENCE = re.compile(r"FB-\d{4}-\d{6}")


@pytest.mark.parametrize("language", ["zh", "en"])
def test_parent_sends_feedback_and_follows_it_to_a_private_answer(
    new_page, check_accessibility, log_in, log_out, demo_password, language
):
    text = f"浏览器测试：校车早上超员 {uuid.uuid4().hex[:8]}"
    answer = f"已加开一辆校车 {uuid.uuid4().hex[:8]}"

    # A visitor is told what the box is and asked to log in.
    page = new_page(language, viewport=PHONE)
    page.goto(f"/schools/{SLUG}")
    with page.expect_navigation():
        page.locator(f"a[href='/schools/{SLUG}/feedback']").click()
    expect(page.locator("textarea")).to_have_count(0)
    check_accessibility(page, f"feedback-visitor-{language}")

    # The parent sends it: first empty (messages in place, via htmx), then filled in, with a double click.
    log_in(page, "parent@example.org", demo_password)
    page.goto(f"/schools/{SLUG}/feedback")
    page.locator("#feedback-form button[type=submit]").click()
    expect(page.locator("#body-error")).to_be_visible()
    expect(page.locator("#body")).to_have_attribute("aria-invalid", "true")
    assert_no_horizontal_scrolling(page, f"feedback form with messages ({language})")
    check_accessibility(page, f"feedback-form-errors-{language}")
    page.locator("#category").select_option("safety")
    page.locator("#body").fill(text)
    token = page.locator("input[name=submission_token]").input_value()
    with page.expect_navigation(url=re.compile(r".*/me/feedback/\d+$")):
        page.locator("#feedback-form button[type=submit]").dblclick()
    reference = page.locator(".feedback-reference-box .feedback-reference").inner_text()
    assert REFERENCE.fullmatch(reference)
    assert_no_horizontal_scrolling(page, f"feedback sent ({language})")
    check_accessibility(page, f"feedback-sent-{language}")

    # The same form sent again with another text (as the back button can): htmx swaps in the form
    # with the 409's message, saying which item the form made, and keeps the new text.
    page.goto(f"/schools/{SLUG}/feedback")
    page.locator("input[name=submission_token]").evaluate("(input, token) => { input.value = token; }", token)
    page.locator("#category").select_option("safety")
    page.locator("#body").fill(f"{text} 另一件事")
    with page.expect_response(lambda response: response.request.method == "POST") as refusal:
        page.locator("#feedback-form button[type=submit]").click()
    assert refusal.value.status == 409 and refusal.value.request.headers.get("hx-request") == "true"
    expect(page.locator("#feedback-form [role=alert]", has_text=reference)).to_be_visible()
    expect(page.locator("#body")).to_have_value(f"{text} 另一件事")
    expect(page).to_have_url(re.compile(rf".*/schools/{SLUG}/feedback$"))
    check_accessibility(page, f"feedback-form-already-sent-{language}")
    page.goto("/me/feedback")
    expect(page.locator(".feedback-body", has_text=text)).to_have_count(1)  # two clicks, one item
    log_out(page)

    # A board member finds it in the inbox and answers it in private.
    staff = new_page(language)
    log_in(staff, "board@example.org", demo_password)
    staff.goto(f"/schools/{SLUG}/manage/feedback?status=received")
    check_accessibility(staff, f"feedback-inbox-{language}")
    with staff.expect_navigation():
        staff.locator("#feedback-inbox a", has_text=reference).click()
    check_accessibility(staff, f"feedback-item-{language}")
    staff.locator("#reply").fill(answer)
    staff.locator("input[name=visibility][value=private]").check()
    with staff.expect_navigation():
        staff.locator("#reply-section button[type=submit]").click()
    expect(staff.locator(".feedback-reply", has_text=answer)).to_be_visible()
    expect(staff.locator("h1 .feedback-status-answered")).to_be_visible()

    # The parent reads the answer; the school's page does not show it.
    log_in(page, "parent@example.org", demo_password)
    page.goto("/me/feedback")
    item = page.locator("article.feedback-card", has_text=reference)
    expect(item.locator(".feedback-reply", has_text=answer)).to_be_visible()
    expect(item.locator(".feedback-step-current")).to_have_count(1)
    assert_no_horizontal_scrolling(page, f"my feedback ({language})")
    check_accessibility(page, f"feedback-mine-{language}")
    page.goto(f"/schools/{SLUG}")
    expect(page.get_by_text(answer)).to_have_count(0)
