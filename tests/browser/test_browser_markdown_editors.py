"""Writing Markdown in a real browser: the charter, decision and minutes editors explain the few
forms of the text beside the field, and their preview follows the typing (htmx), showing the
text as it will be published, on a phone and a desk, in Chinese and English. A visitor reads
what changed in the charter without any Markdown marks.

Screenshots go to tests/browser/screenshots/ (not kept in git), to be looked at.
"""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from portal.extensions import db
from portal.meetings.models import Meeting
from portal.schools.models import School
from tests.helpers.browser import PHONE as NARROWEST
from tests.helpers.browser import SCREENSHOT_EVERY_PAGE, assert_no_horizontal_scrolling

pytestmark = pytest.mark.browser

SLUG = "jiefang-road-primary"
ADMIN = "schooladmin@example.org"
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
PHONE = {"width": 390, "height": 844}  # the phones parents and staff hold; 360 px is checked too
DESK = {"width": 1280, "height": 900}
# Each language and each width once (Chinese on a phone, English at a desk): the editors' layout
# and behaviour do not depend on the pairing, and every pair of four costs a browser run.
EACH_LANGUAGE_AND_WIDTH_ONCE = pytest.mark.parametrize(
    ("language", "viewport"), [("zh", PHONE), ("en", DESK)], ids=["zh-phone", "en-desk"]
)
INSERTED = "\n\n**第十四条之一**　家长委员会每学期向全体家长报告一次工作。\n"


def shoot(page, name, parts=4):
    """The page from its top, in parts at most 1,400 px tall (readable when looked at), when
    screenshots are asked for (PORTAL_TEST_SCREENSHOTS=1)."""
    if not SCREENSHOT_EVERY_PAGE:
        return
    SCREENSHOTS.mkdir(exist_ok=True)
    width, height = page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
    for part in range(min(parts, -(-height // 1400))):
        clip = {"x": 0, "y": part * 1400, "width": width, "height": min(1400, height - part * 1400)}
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{part + 1}.png"), full_page=True, clip=clip)


def open_charter_draft(page):
    manage = f"/schools/{SLUG}/manage/charter"
    page.goto(manage)
    edit = page.locator(f"a.button[href^='{manage}/versions/'][href$='/edit']")
    if edit.count() == 0:
        with page.expect_navigation(url=re.compile(r"/versions/\d+/edit$")):
            page.locator(f"form[action='{manage}/drafts'] button[type=submit]").click()
    else:
        with page.expect_navigation():
            edit.click()


@EACH_LANGUAGE_AND_WIDTH_ONCE
def test_the_charter_preview_follows_the_typing(
    new_page, log_in, demo_password, check_accessibility, language, viewport
):
    page = new_page(language, viewport)
    log_in(page, ADMIN, demo_password)
    open_charter_draft(page)
    help_summary = page.locator("#body-help summary")
    help_summary.click()
    expect(page.locator("#body-help")).to_contain_text("第十六条之一")

    body = page.locator("#body")
    body.press("End")
    body.press("Control+End")
    body.type(INSERTED, delay=5)

    # No button pressed: the preview catches up a moment after the typing stops.
    preview = page.locator("#charter-preview")
    expect(preview.locator("a[href='#article-14-sub1']")).to_have_text("第十四条之一")
    expect(preview.locator("#article-14-sub1")).to_contain_text("家长委员会每学期向全体家长报告一次工作")
    expect(preview.locator("#article-14-sub1")).not_to_contain_text("**")
    check_accessibility(page, f"charter-editor-{language}")
    if viewport is PHONE:
        page.set_viewport_size(NARROWEST)
        assert_no_horizontal_scrolling(page, f"charter editor ({language})")
        page.set_viewport_size(PHONE)
    shoot(page, f"markdown-charter-editor-{language}-{viewport['width']}")


@EACH_LANGUAGE_AND_WIDTH_ONCE
def test_the_decision_preview_follows_the_typing(
    new_page, log_in, demo_password, check_accessibility, language, viewport
):
    page = new_page(language, viewport)
    log_in(page, ADMIN, demo_password)
    page.goto(f"/schools/{SLUG}/manage/decisions/new")
    expect(page.locator("#body-help summary")).to_be_visible()

    page.locator("#body").fill("")
    page.locator("#body").type("**第一条**　课后服务时间调整为17:30。\n\n- 低年级\n- 高年级", delay=5)

    preview = page.locator("#decision-text-preview")
    expect(preview.locator("strong")).to_have_text("第一条")
    expect(preview.locator("li")).to_have_count(2)
    check_accessibility(page, f"decision-editor-{language}")
    if viewport is PHONE:
        page.set_viewport_size(NARROWEST)
        assert_no_horizontal_scrolling(page, f"decision editor ({language})")
        page.set_viewport_size(PHONE)
    shoot(page, f"markdown-decision-editor-{language}-{viewport['width']}")


def draft_minutes_meeting(app) -> int:
    with app.app_context():
        school = db.session.scalar(select(School).where(School.slug == SLUG))
        meeting_id = db.session.scalar(
            select(Meeting.id).where(Meeting.school_id == school.id, Meeting.minutes_approved_at.is_(None)).limit(1)
        )
        db.session.remove()
    assert meeting_id, "the demo school has a meeting whose minutes are not approved"
    return meeting_id


@EACH_LANGUAGE_AND_WIDTH_ONCE
def test_the_minutes_preview_follows_the_typing(
    new_page, live_server, log_in, demo_password, check_accessibility, language, viewport
):
    meeting_id = draft_minutes_meeting(live_server.app)
    page = new_page(language, viewport)
    log_in(page, ADMIN, demo_password)
    page.goto(f"/schools/{SLUG}/manage/meetings/{meeting_id}#minutes-section")

    page.locator("#minutes").fill("")
    page.locator("#minutes").type("## 一、审议事项\n\n会议**原则通过**工作计划。", delay=5)

    preview = page.locator("#minutes-preview")
    expect(preview.locator(".prose h3")).to_have_text("一、审议事项")
    expect(preview.locator("strong")).to_have_text("原则通过")
    check_accessibility(page, f"minutes-editor-{language}")
    if viewport is PHONE:
        page.set_viewport_size(NARROWEST)
        assert_no_horizontal_scrolling(page, f"minutes editor ({language})")
        page.set_viewport_size(PHONE)
    if SCREENSHOT_EVERY_PAGE:
        page.locator("#minutes-section").screenshot(
            path=str(SCREENSHOTS / f"markdown-minutes-editor-{language}-{viewport['width']}.png")
        )
    shoot(page, f"markdown-minutes-page-{language}-{viewport['width']}", parts=2)


@EACH_LANGUAGE_AND_WIDTH_ONCE
def test_a_visitor_reads_what_changed_without_markdown_marks(new_page, check_accessibility, language, viewport):
    page = new_page(language, viewport)
    page.goto(f"/schools/{SLUG}/charter/versions")
    compare = page.locator(f"a[href^='/schools/{SLUG}/charter/diff?from=']").first
    with page.expect_navigation():
        compare.click()

    expect(page.locator("h1")).to_be_visible()
    for text in page.locator(".diff-text").all_inner_texts():
        assert "**" not in text
    check_accessibility(page, f"charter-diff-{language}")
    if viewport is PHONE:
        page.set_viewport_size(NARROWEST)
        assert_no_horizontal_scrolling(page, f"charter diff ({language})")
        page.set_viewport_size(PHONE)
    shoot(page, f"markdown-charter-diff-{language}-{viewport['width']}")


@pytest.fixture
def comparisons_too_costly(live_server, monkeypatch):
    """Every comparison costs more than it may (and none is stored yet, or afterwards)."""
    from portal import page_cache
    from portal.charters import structure
    from portal.charters.models import StoredCharterDiff

    def forget():
        with live_server.app.app_context():
            db.session.query(StoredCharterDiff).delete()
            db.session.commit()
            db.session.remove()
            # The budget changes what the same data shows: the visitors' cached pages are not it.
            page_cache.bump_version()

    forget()
    monkeypatch.setattr(structure, "DIFF_WORK_BUDGET", 10)
    yield
    monkeypatch.undo()
    forget()


@EACH_LANGUAGE_AND_WIDTH_ONCE
def test_a_visitor_is_offered_both_versions_when_there_are_too_many_changes_to_show(
    new_page, check_accessibility, comparisons_too_costly, language, viewport
):
    page = new_page(language, viewport)
    page.goto(f"/schools/{SLUG}/charter/versions")
    with page.expect_navigation():
        page.locator(f"a[href^='/schools/{SLUG}/charter/diff?from=']").first.click()

    downloads = page.locator(".diff-downloads a")
    expect(downloads).to_have_count(2)
    expect(downloads.first).to_have_attribute("href", re.compile(rf"^/schools/{SLUG}/charter/versions/\d+\.pdf$"))
    expect(page.locator(".diff-item")).to_have_count(0)
    check_accessibility(page, f"charter-diff-too-large-{language}")
    shoot(page, f"markdown-charter-diff-too-large-{language}-{viewport['width']}", parts=1)
