"""Meetings in a real browser: a board member records a meeting from agenda to approved minutes,
and a visitor reads it and takes the calendar file. Every page is checked with axe, in Chinese
and English, and at phone width."""

import re
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.helpers.browser import PHONE, assert_no_horizontal_scrolling

pytestmark = pytest.mark.browser

SLUG = "jiefang-road-primary"
MANAGE_MEETINGS = f"/schools/{SLUG}/manage/meetings"
BEIJING = ZoneInfo("Asia/Shanghai")


def yesterday_in_beijing() -> str:
    return (datetime.now(UTC).astimezone(BEIJING) - timedelta(days=1)).date().isoformat()


def same_document(page) -> bool:
    return page.evaluate("() => window.__sameDocument === true")


def ensure_school_board(page, log_in, log_out, demo_password):
    """The demo data gives the school a board; without it, the school administrator adds one
    with two members first, as they would on a new school."""
    log_in(page, "schooladmin@example.org", demo_password)
    page.goto(f"/schools/{SLUG}/manage/meetings/new")
    if page.locator("#body_id option", has_text="校务委员会").count() == 0:
        page.goto(f"/schools/{SLUG}/manage/bodies")
        page.locator("#kind").select_option("school_board")
        page.locator("#name").fill("校务委员会")
        with page.expect_navigation():
            page.locator("form button[type=submit]").click()
        for name, position, constituency in [("周建华", "chair", "principal"), ("刘洋", "member", "teacher")]:
            with page.expect_navigation():
                page.locator("a[href$='/members/new']").first.click()
            page.locator("#name").fill(name)
            page.locator("#position").select_option(position)
            page.locator("#constituency").select_option(constituency)
            page.locator("#term_start").fill("2024-09-01")
            page.locator("#term_end").fill("2027-08-31")
            with page.expect_navigation():
                page.locator("form button[type=submit]").click()
    log_out(page)


def test_board_member_records_a_meeting_and_a_visitor_reads_it(
    page, new_page, check_accessibility, log_in, log_out, demo_password, translate
):
    ensure_school_board(page, log_in, log_out, demo_password)
    title = f"浏览器测试会议 {uuid.uuid4().hex[:6]}"

    # The board member schedules the meeting: first an empty form, which explains itself.
    log_in(page, "board@example.org", demo_password)
    page.goto(MANAGE_MEETINGS)
    check_accessibility(page, "meetings-manage-zh")
    with page.expect_navigation():
        page.locator(f"a[href='{MANAGE_MEETINGS}/new']").click()
    check_accessibility(page, "meetings-new-zh")
    with page.expect_navigation():
        page.locator("form[action$='/manage/meetings/new'] button[type=submit]").click()
    for name in ("title", "day", "start_time"):
        expect(page.locator(f"#{name}-error")).to_be_visible()
        expect(page.locator(f"#{name}")).to_have_attribute("aria-invalid", "true")
    check_accessibility(page, "meetings-new-errors-zh")

    board_option = page.locator("#body_id option", has_text="校务委员会").first
    page.locator("#body_id").select_option(board_option.get_attribute("value"))
    page.locator("#title").fill(title)
    page.locator("#day").fill(yesterday_in_beijing())
    page.locator("#start_time").fill("15:30")
    page.locator("#place").fill("学校行政楼三楼会议室")
    with page.expect_navigation():
        page.locator("form[action$='/manage/meetings/new'] button[type=submit]").click()
    expect(page.locator("h1")).to_have_text(title)
    manage_url = page.url.split("#")[0]
    meeting_id = int(re.search(r"/manage/meetings/(\d+)", manage_url).group(1))
    check_accessibility(page, "meeting-manage-zh")

    # The agenda grows without reloading the page (htmx), and items can be reordered.
    page.evaluate("() => { window.__sameDocument = true; }")
    for item in ["审议2026学年度工作计划", "食堂膳食管理情况通报", "校服采购方案征求意见"]:
        page.locator("#item_title").fill(item)
        page.locator("form[action$='/agenda'] button[type=submit]").click()
        expect(page.locator("#agenda .agenda-title", has_text=item)).to_be_visible()
    expect(page.locator("#agenda .agenda-title")).to_have_count(3)
    expect(page.locator("#meeting-status")).to_contain_text("校服采购方案征求意见")
    page.locator("#agenda li").nth(2).locator("form[action$='/agenda/move'] button").first.click()  # move up
    expect(page.locator("#agenda .agenda-title").nth(1)).to_have_text("校服采购方案征求意见")
    assert same_document(page), "changing the agenda reloaded the page"
    check_accessibility(page, "meeting-agenda-zh")

    # Attendance: each choice is saved as it is made.
    presence = page.locator("#attendance fieldset.presence")
    count = presence.count()
    assert count >= 2
    for index in range(count):
        value = "absent" if index == 1 else "present"
        with page.expect_response(lambda response: response.url.endswith("/attendance")) as answer:
            presence.nth(index).locator(f"input[value={value}]").check()
        assert answer.value.status == 200
    expect(page.locator("#meeting-status")).to_have_text(translate("zh", "Attendance is saved."))
    expect(page.locator("#attendance input[value=absent]:checked")).to_have_count(1)
    assert same_document(page), "recording attendance reloaded the page"
    page.reload()
    expect(page.locator("#attendance input[value=absent]:checked")).to_have_count(1)
    expect(page.locator("#attendance input[value=present]:checked")).to_have_count(count - 1)
    check_accessibility(page, "meeting-attendance-zh")

    # Minutes: a draft first, then approval makes them public and final.
    page.locator("#minutes").fill(
        "## 一、审议2026学年度工作计划\n\n原则通过。\n\n**表决结果**：同意6票，反对0票，弃权1票。\n\n"
        "## 二、校服采购方案征求意见\n\n提交家长委员会征求意见两周。"
    )
    with page.expect_navigation():
        page.locator("form[action$='/minutes'] button[value=save]").click()
    expect(page.locator(".minutes-draft")).to_contain_text("同意6票")
    check_accessibility(page, "meeting-minutes-draft-zh")
    # Approving cannot be undone: without the tick nothing is approved, the tick says why, focus
    # is on the error summary, and the draft minutes are all still there.
    with page.expect_navigation():
        page.locator("form[action$='/approve'] button[type=submit]").click()
    expect(page.locator("#confirm-error")).to_be_visible()
    expect(page.locator(".error-summary")).to_be_focused()
    expect(page.locator("#minutes")).to_have_value(re.compile("同意6票"))
    check_accessibility(page, "meeting-approve-unconfirmed-zh")
    page.locator("#confirm").check()
    with page.expect_navigation():
        page.locator("form[action$='/approve'] button[type=submit]").click()
    expect(page.locator(".notice-approved")).to_be_visible()
    expect(page.locator("#minutes")).to_have_count(0)
    expect(page.locator("#item_title")).to_have_count(0)
    check_accessibility(page, "meeting-approved-zh")

    # A visitor finds it among the school's meetings and reads it.
    visitor = new_page("zh")
    visitor.goto(f"/schools/{SLUG}/meetings")
    check_accessibility(visitor, "meetings-index-zh")
    with visitor.expect_navigation():
        visitor.locator(f"a[href='/meetings/{meeting_id}']").first.click()
    expect(visitor.locator("h1")).to_have_text(title)
    expect(visitor.locator(".agenda-list li")).to_have_count(3)
    expect(visitor.locator(".minutes")).to_contain_text("同意6票")
    expect(visitor.locator(".attendance-summary")).to_be_visible()
    check_accessibility(visitor, "meeting-show-zh")

    # ... and takes the calendar file.
    visitor.goto(f"/schools/{SLUG}/meetings")
    with visitor.expect_download() as download:
        visitor.locator(f"a[href='/schools/{SLUG}/meetings.ics']").first.click()
    assert download.value.suggested_filename == f"{SLUG}-meetings.ics"
    response = visitor.request.get(f"/schools/{SLUG}/meetings.ics")
    assert response.status == 200
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    text = response.text()
    assert f"UID:meeting-{meeting_id}@" in text
    assert title in text.replace("\r\n ", "")


def test_meeting_pages_in_english(new_page, check_accessibility, log_in, demo_password):
    page = new_page("en")
    page.goto(f"/schools/{SLUG}/meetings")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text("Meetings")
    check_accessibility(page, "meetings-index-en")

    with page.expect_navigation():
        page.locator("#past-meetings .meeting-card a").first.click()
    expect(page.locator("#minutes-heading")).to_be_visible()
    check_accessibility(page, "meeting-show-en")

    with page.expect_navigation():
        page.locator("a[href*='/bodies/']").first.click()
    expect(page.locator(".member-card").first).to_be_visible()
    check_accessibility(page, "body-en")
    former = page.locator("a[href*='former=1']")
    if former.count():
        with page.expect_navigation():
            former.click()
        expect(page.locator("#former-heading")).to_be_visible()
        check_accessibility(page, "body-former-en")

    log_in(page, "board@example.org", demo_password)
    page.goto(MANAGE_MEETINGS)
    check_accessibility(page, "meetings-manage-en")
    with page.expect_navigation():
        page.locator(".meeting-card a").first.click()
    check_accessibility(page, "meeting-manage-en")


@pytest.mark.parametrize("language", ["zh", "en"])
def test_meeting_pages_at_phone_width(new_page, check_accessibility, log_in, demo_password, language):
    page = new_page(language, viewport=PHONE)
    visited = []

    def visit(name):
        assert_no_horizontal_scrolling(page, f"{page.url} ({language})")
        check_accessibility(page, f"phone-{name}-{language}")
        visited.append(name)

    page.goto(f"/schools/{SLUG}/meetings")
    visit("meetings-index")
    with page.expect_navigation():
        page.locator(".meeting-card a").first.click()
    visit("meeting-show")
    with page.expect_navigation():
        page.locator("a[href*='/bodies/']").first.click()
    visit("body")

    log_in(page, "schooladmin@example.org", demo_password)
    page.goto(f"/schools/{SLUG}/manage/bodies")
    visit("bodies-manage")
    with page.expect_navigation():
        page.locator(".body-card a").first.click()
    visit("body-manage")
    with page.expect_navigation():
        page.locator(".member-card a").first.click()
    visit("member-edit")
    page.goto(MANAGE_MEETINGS)
    visit("meetings-manage")
    upcoming = page.locator(".meeting-card a").first
    with page.expect_navigation():
        upcoming.click()
    visit("meeting-manage")
    assert len(visited) == 8


def test_recording_a_meeting_works_without_javascript(browser, live_server, demo_password):
    """Agenda and attendance are plain forms underneath htmx: without scripts each is a POST and a new page."""
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False, locale="zh-CN", bypass_csp=True)
    page = context.new_page()
    try:
        page.goto("/login")
        page.locator("#email").fill("board@example.org")
        page.locator("#password").fill(demo_password)
        with page.expect_navigation():
            page.locator("form[action='/login'] button[type=submit]").click()
        page.goto(MANAGE_MEETINGS)
        with page.expect_navigation():
            page.locator(f"a[href='{MANAGE_MEETINGS}/new']").click()
        board_option = page.locator("#body_id option", has_text="校务委员会").first
        page.locator("#body_id").select_option(board_option.get_attribute("value"))
        page.locator("#title").fill(f"无脚本会议 {uuid.uuid4().hex[:6]}")
        page.locator("#day").fill(yesterday_in_beijing())
        page.locator("#start_time").fill("09:00")
        with page.expect_navigation():
            page.locator("form[action$='/manage/meetings/new'] button[type=submit]").click()

        page.locator("#item_title").fill("审议寒假安全工作方案")
        with page.expect_navigation():
            page.locator("form[action$='/agenda'] button[type=submit]").click()
        expect(page.locator("#agenda .agenda-title")).to_have_text(["审议寒假安全工作方案"])

        page.locator("#attendance fieldset.presence").first.locator("input[value=present]").check()
        with page.expect_navigation():
            page.locator("form[action$='/attendance'] button[type=submit]").click()
        expect(page.locator("#attendance fieldset.presence").first.locator("input[value=present]")).to_be_checked()
        expect(page.locator(".flash-messages")).to_be_visible()
    finally:
        context.close()
