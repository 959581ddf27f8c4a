"""Forms that come back with mistakes, in a real browser (issue 15): on a phone (390 px) the error
summary takes focus and is in view after a failed submit, with htmx and without JavaScript (a
consultation response without a stance, feedback without a topic, a rejection in the moderation
queue without a reason); a refused publish or delete leaves a decision draft's page filled with
the saved draft, and saving it then keeps the draft; slow actions disable their button and say
they are working. Every page is checked with axe, in Chinese and in English.

The live server's database lasts the whole run: each journey registers its own account or
drafts its own decision, and refused forms change nothing.
"""

import re
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import expect

from portal.documents import render
from tests.helpers.browser import HTML_LANG, SCREENSHOT_EVERY_PAGE, run_jobs

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"  # where check_accessibility keeps its own
SLUG = "jiefang-road-primary"
CONSULTATION = "关于学生校服采购方案的意见征集"  # the demo's open consultation, open to any account
MODERATOR = "moderator@example.org"
BOARD_MEMBER = "board@example.org"
SCHOOL_ADMIN = "schooladmin@example.org"
MANAGE_DECISIONS = f"/schools/{SLUG}/manage/decisions"
DEMO_MEETING = "第一次校务委员会会议"

FOCUSED_SUMMARY = """() => {
    const el = document.activeElement;
    if (!el || !el.classList.contains('error-summary')) return null;
    const box = el.getBoundingClientRect();
    return {top: box.top, bottom: box.bottom, height: window.innerHeight, text: el.innerText};
}"""


def assert_focus_on_the_error_summary_in_view(page, what: str) -> str:
    """Focus is on an error summary and the summary is on the screen; its text."""
    page.wait_for_function("() => document.activeElement && document.activeElement.classList.contains('error-summary')")
    summary = page.evaluate(FOCUSED_SUMMARY)
    assert summary is not None, f"{what}: focus is not on the error summary"
    # Its top is on the screen (a fraction of a pixel above it is rounding).
    assert -1 <= summary["top"] < summary["height"] and summary["bottom"] > 0, f"{what}: the summary is out of view"
    return summary["text"]


def open_the_consultation(page) -> None:
    page.goto("/consultations")
    page.locator("a.consultation-card-title", has_text=CONSULTATION).first.click()
    page.wait_for_url(re.compile(r"/consultations/\d+$"))


# Without JavaScript once, in Chinese: the markup is the same, and axe needs JavaScript to run.
WAYS = pytest.mark.parametrize(
    "language, javascript", [("zh", True), ("en", True), ("zh", False)], ids=["zh-htmx", "en-htmx", "zh-no-js"]
)


def checked(check_accessibility, page, name, javascript):
    """axe where JavaScript runs; a screenshot to look at either way."""
    if javascript:
        check_accessibility(page, name)
    elif SCREENSHOT_EVERY_PAGE:
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


@WAYS
def test_an_incomplete_response_and_incomplete_feedback_put_focus_on_the_error_summary_in_view(
    new_page, register_account, check_accessibility, translate, language, javascript
):
    page = new_page(language, viewport=PHONE, javascript=javascript)
    register_account(page, display_name="表单家长 Form Parent")
    suffix = f"{language}-{'htmx' if javascript else 'nojs'}"

    # A response with comments but no stance: the button is far below the summary on a phone.
    open_the_consultation(page)
    expect(page.locator("html")).to_have_attribute("lang", HTML_LANG[language])
    page.locator("#body").fill("建议冬装选用可机洗面料。" * 20)
    button = page.locator("#response-submit")
    button.scroll_into_view_if_needed()
    button.click()
    expect(page.locator("#stance-error")).to_be_visible()
    text = assert_focus_on_the_error_summary_in_view(page, "response without a stance")
    assert translate(language, "Please correct the following") in text
    expect(page.locator("#body")).to_have_value("建议冬装选用可机洗面料。" * 20)  # nothing typed is lost
    checked(check_accessibility, page, f"form-errors-response-{suffix}", javascript)

    # Feedback without a topic: the same.
    page.goto(f"/schools/{SLUG}/feedback")
    page.locator("#body").fill("希望学校门口增加护学岗。")
    send = page.locator("form.feedback-form button[type=submit]")
    send.scroll_into_view_if_needed()
    send.click()
    expect(page.locator("#category-error")).to_be_visible()
    assert_focus_on_the_error_summary_in_view(page, "feedback without a topic")
    expect(page.locator("#body")).to_have_value("希望学校门口增加护学岗。")
    checked(check_accessibility, page, f"form-errors-feedback-{suffix}", javascript)

    # The summary's link leads to the field.
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    if javascript:  # without JavaScript the browser moves the focus itself; Chromium does so too
        expect(page.locator("#category")).to_be_focused()


@pytest.mark.parametrize("language", ["zh", "en"])
def test_rejecting_without_a_reason_in_the_queue_keeps_keyboard_focus_on_the_item(
    new_page, log_in, demo_password, check_accessibility, language
):
    page = new_page(language, viewport=PHONE)
    log_in(page, MODERATOR, demo_password)
    page.goto("/moderation?kind=pending")
    item = page.locator("li.moderation-item:not([data-moderation-done])").first
    dom_id = item.get_attribute("id")
    response_id = int(re.fullmatch(r"moderation-item-(\d+)", dom_id).group(1))

    # With the keyboard: focus the item, "r" for the reason, Tab past it and the details to the button.
    page.locator(f"#{dom_id}").focus()
    page.keyboard.press("r")
    expect(page.locator(f"#reject-reason-{response_id}")).to_be_focused()
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    with page.expect_response(lambda r: f"/moderation/responses/{response_id}" in r.url) as answer:
        page.keyboard.press("Enter")
    assert answer.value.status == 422

    assert_focus_on_the_error_summary_in_view(page, "rejecting without a reason")
    expect(page.locator(f"#{dom_id} details:has(#reject-reason-{response_id})")).to_have_attribute("open", "")
    expect(page.locator(f"#reject-reason-{response_id}")).to_have_attribute("aria-invalid", "true")
    # The summary's link leads back to the reason.
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.locator(f"#reject-reason-{response_id}")).to_be_focused()
    check_accessibility(page, f"form-errors-moderation-{language}")


def draft_a_decision(page) -> tuple[str, str]:
    """A new draft through the form: its page's address and its title."""
    title = f"关于增设护学岗的决定（{uuid.uuid4().hex[:6]}）"
    page.goto(f"{MANAGE_DECISIONS}/new")
    page.locator("#title").fill(title)
    meeting = page.locator("#meeting_id option", has_text=DEMO_MEETING).first
    page.locator("#meeting_id").select_option(meeting.get_attribute("value"))
    page.locator("#votes_for").fill("5")
    page.locator("#votes_against").fill("1")
    page.locator("#votes_abstain").fill("1")
    page.locator("#body").fill("一、每天上学、放学时段在校门口设护学岗。\n\n二、护学岗由家长志愿者和教师轮流值守。")
    page.locator(f"form[action='{MANAGE_DECISIONS}/new'] button[value=save]").click()
    page.wait_for_url(re.compile(rf"{MANAGE_DECISIONS}/\d+$"))
    return re.search(rf"{MANAGE_DECISIONS}/\d+$", page.url).group(0), title


def expect_the_draft_filled(page, title: str, meeting_value: str) -> None:
    expect(page.locator("#title")).to_have_value(title)
    expect(page.locator("#meeting_id")).to_have_value(meeting_value)
    expect(page.locator("#votes_for")).to_have_value("5")
    expect(page.locator("#votes_against")).to_have_value("1")
    expect(page.locator("#votes_abstain")).to_have_value("1")
    expect(page.locator("#body")).to_have_value(re.compile("护学岗由家长志愿者和教师轮流值守"))


@WAYS
def test_publishing_without_the_tick_keeps_the_draft_filled_and_saving_it_keeps_the_draft(
    new_page, log_in, demo_password, check_accessibility, language, javascript
):
    page = new_page(language, javascript=javascript)
    log_in(page, BOARD_MEMBER, demo_password)
    edit_path, title = draft_a_decision(page)
    meeting_value = page.locator("#meeting_id").input_value()
    suffix = f"{language}-{'htmx' if javascript else 'nojs'}"

    if javascript:
        # While publishing runs, its button is disabled and the indicator says it is working.
        page.evaluate(
            """() => document.addEventListener('htmx:beforeSend', () => {
                const indicator = document.querySelector('#publish-progress');
                window.__publishButtonDisabled = document.querySelector('#publish button[type=submit]').disabled;
                window.__publishWorking = getComputedStyle(indicator).display !== 'none';
            })"""
        )
    page.locator(f"form[action='{edit_path}/publish'] button[type=submit]").click()
    expect(page.locator("#confirm-error")).to_be_visible()
    assert_focus_on_the_error_summary_in_view(page, "publishing without the tick")
    if javascript:
        assert page.evaluate("() => window.__publishButtonDisabled === true"), "the button stayed enabled"
        assert page.evaluate("() => window.__publishWorking === true"), "no indicator while publishing"
        expect(page.locator(f"form[action='{edit_path}/publish'] button[type=submit]")).to_be_enabled()
    expect_the_draft_filled(page, title, meeting_value)
    checked(check_accessibility, page, f"decision-publish-refused-{suffix}", javascript)

    # Saving the page as it is keeps the draft: nothing was wiped.
    page.locator(f"form[action='{edit_path}'] button[value=save]").click()
    page.wait_for_url(re.compile(rf"{edit_path}$"))
    expect(page.locator(".flash-messages")).to_be_visible()
    expect_the_draft_filled(page, title, meeting_value)

    # Deleting needs its own tick; refused, the draft is still all there.
    page.locator(f"form[action='{edit_path}/discard'] button[type=submit]").click()
    expect(page.locator("#confirm_delete-error")).to_be_visible()
    assert_focus_on_the_error_summary_in_view(page, "deleting without the tick")
    expect_the_draft_filled(page, title, meeting_value)
    checked(check_accessibility, page, f"decision-delete-refused-{suffix}", javascript)
    page.locator("#confirm_delete").check()
    page.locator(f"form[action='{edit_path}/discard'] button[type=submit]").click()
    page.wait_for_url(re.compile(rf"{MANAGE_DECISIONS}$"))
    expect(page.locator(f"a[href='{edit_path}']")).to_have_count(0)


def test_adopting_a_charter_disables_the_button_and_says_it_is_working(
    new_page, log_in, demo_password, check_accessibility
):
    page = new_page("zh", viewport=PHONE)
    log_in(page, SCHOOL_ADMIN, demo_password)
    manage = f"/schools/{SLUG}/manage/charter"
    page.goto(manage)
    if page.locator(f"form[action='{manage}/drafts']").count():  # no draft open: start one
        page.locator(f"form[action='{manage}/drafts'] button[type=submit]").click()
        page.wait_for_url(re.compile(r"/edit$"))
        page.goto(manage)
    adopt = page.locator("form[data-working][action$='/adopt']")
    # The server is not asked for real (204: the browser stays on the page), so nothing is adopted.
    page.route("**/adopt", lambda route: route.fulfill(status=204))
    adopt.locator("input[name=adopted_on]").fill("2026-11-20")
    adopt.locator("input[name=effective_on]").fill("2026-12-01")
    adopt.locator("input[name=confirm]").check()
    adopt.locator("button[type=submit]").click()
    expect(adopt.locator("button[type=submit]")).to_be_disabled()
    expect(adopt.locator(".working")).to_be_visible()
    expect(adopt).to_have_attribute("aria-busy", "true")


def test_a_publish_that_fails_in_the_job_leads_back_to_the_draft_that_says_why(
    new_page, live_server, log_in, demo_password, monkeypatch
):
    page = new_page("en")
    log_in(page, BOARD_MEMBER, demo_password)
    edit_path, title = draft_a_decision(page)
    page.locator("#confirm").check()
    page.locator(f"form[action='{edit_path}/publish'] button[type=submit]").click()
    page.wait_for_url(re.compile(rf"{edit_path}/publishing$"))

    # The PDF cannot be made (the live server runs in this process): the job records why.
    monkeypatch.setattr(render, "render_pdf", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("font broken")))
    run_jobs(live_server)
    monkeypatch.undo()
    page.wait_for_url(re.compile(rf"{edit_path}#publish$"))  # the page asked again and went back

    expect(page.locator("#confirm-error")).to_contain_text("nothing was published")
    expect(page.locator("#title")).to_have_value(title)

    # The draft goes again: the live server's data is shared by every journey.
    page.locator("#confirm_delete").check()
    page.locator(f"form[action='{edit_path}/discard'] button[type=submit]").click()
    page.wait_for_url(re.compile(rf"{MANAGE_DECISIONS}$"))
