"""The responsible supervisor in a real browser: the demo supervisor opens the queue, answers the
feedback the school left unanswered (in Chinese, on a phone) and the parent's request for review
(in English, on a desktop), publicly and directing the school by a date; the parent reads the
answer on their item. The public disclosure checklist is checked too. Every page with axe."""

from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from tests.helpers.browser import PHONE, assert_no_horizontal_scrolling

pytestmark = pytest.mark.browser

SLUG = "jiefang-road-primary"


@pytest.mark.parametrize("language, kind, viewport", [("zh", "escalated", PHONE), ("en", "review", None)])
def test_a_supervisor_answers_a_referred_item_and_the_parent_reads_it(
    new_page, check_accessibility, log_in, log_out, demo_password, language, kind, viewport
):
    answer = f"督学答复：已要求学校整改（{kind}）"
    page = new_page(language, viewport=viewport)
    log_in(page, "supervisor@example.org", demo_password)

    page.goto("/supervision")
    check_accessibility(page, f"supervision-queue-{language}")
    if viewport is not None:
        assert_no_horizontal_scrolling(page, f"supervision queue ({language})")
    item = page.locator(f"#supervision-queue li[data-kind={kind}]")
    expect(item).to_have_count(1)
    reference = item.locator(".feedback-reference").inner_text()
    with page.expect_navigation():
        item.locator("a").first.click()
    check_accessibility(page, f"supervision-case-{language}")

    # Sent empty first: the message beside the field.
    page.locator("#supervision-answer-form button[type=submit]").click()
    expect(page.locator("#answer-error")).to_be_visible()
    check_accessibility(page, f"supervision-case-errors-{language}")
    page.locator("#answer").fill(answer)
    page.locator("#public").check()
    page.locator("#answer_by").fill((date.today() + timedelta(days=10)).isoformat())
    with page.expect_navigation(url=lambda url: url.endswith("/supervision")):
        page.locator("#supervision-answer-form button[type=submit]").click()
    expect(page.locator(f"#supervision-queue li[data-kind={kind}]")).to_have_count(0)
    log_out(page)

    parent = new_page(language, viewport=viewport)
    log_in(parent, "parent@example.org", demo_password)
    found = False
    for number in range(1, 6):  # "My feedback" is paged, newest first; the referred items are older
        parent.goto(f"/me/feedback?page={number}")
        link = parent.locator("a.feedback-reference", has_text=reference)
        if link.count():
            with parent.expect_navigation():
                link.first.click()
            found = parent.locator(".supervision-answer", has_text=answer).count() == 1
            break
    assert found, "the parent does not see the supervisor's answer"
    check_accessibility(parent, f"supervision-answer-for-parent-{language}")
    if viewport is not None:
        assert_no_horizontal_scrolling(parent, f"parent's item with the supervisor's answer ({language})")


# Each language and each width once: Chinese on a phone, English at a desk.
@pytest.mark.parametrize(("language", "viewport"), [("zh", PHONE), ("en", None)], ids=["zh-phone", "en-desktop"])
def test_the_disclosure_checklist_is_readable_everywhere(new_page, check_accessibility, language, viewport):
    page = new_page(language, viewport=viewport)

    page.goto(f"/schools/{SLUG}/disclosure")

    expect(page.locator("[data-state=overdue]")).to_have_count(2)
    page.locator("[data-state=overdue] summary").first.click()
    check_accessibility(page, f"disclosure-{language}")
    if viewport is not None:
        assert_no_horizontal_scrolling(page, f"disclosure checklist ({language})")
