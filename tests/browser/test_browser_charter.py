"""The charter in a real browser: the school administrator amends it (draft, edit, preview with
htmx, adopt), and a visitor reads it, its history and what changed, in Chinese and English, on
a phone too, and without JavaScript.

The live server's database lasts the whole run, so the journeys do not assume which version is
the latest: they read it off the pages.
"""

import re
import uuid
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.helpers.browser import PHONE, SCREENSHOT_EVERY_PAGE, assert_no_horizontal_scrolling

pytestmark = pytest.mark.browser

SLUG = "jiefang-road-primary"
CHARTER = f"/schools/{SLUG}/charter"
MANAGE = f"/schools/{SLUG}/manage/charter"
ADMIN = "schooladmin@example.org"
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"


def open_draft_editor(page, check_accessibility, name):
    """From the management page to the editor of the draft: the open one, or a new one."""
    page.goto(MANAGE)
    check_accessibility(page, f"{name}-manage")
    edit = page.locator(f"a.button[href^='{MANAGE}/versions/'][href$='/edit']")
    if edit.count() == 0:
        with page.expect_navigation(url=re.compile(r"/versions/\d+/edit$")):
            page.locator(f"form[action='{MANAGE}/drafts'] button[type=submit]").click()
        expect(page.locator(".flash-messages")).to_be_visible()
    else:
        with page.expect_navigation():
            edit.click()
    number = int(re.search(r"/versions/(\d+)/edit$", page.url).group(1))
    return number


def amend_an_article(page, words: str) -> str:
    """Add `words` at the end of the article about the parents' committee (第十四条 in the demo)."""
    body = page.locator("#body")
    text = body.input_value()
    anchor = "协助学校开展家庭教育指导。"
    assert anchor in text, "the demo charter has the parents' committee article"
    body.fill(text.replace(anchor, anchor + words, 1))
    return words


def test_school_admin_amends_the_charter_and_a_visitor_sees_what_changed(
    new_page, check_accessibility, log_in, demo_password
):
    page = new_page("zh")
    log_in(page, ADMIN, demo_password)
    number = open_draft_editor(page, check_accessibility, "charter-admin-zh")
    check_accessibility(page, "charter-edit-zh")

    words = f"家长委员会每学期向全体家长报告工作一次（{uuid.uuid4().hex[:6]}）。"
    amend_an_article(page, words)
    page.locator("#change_note").fill("家长委员会增加向家长报告工作的要求。")

    # Preview with htmx: only the panel changes, the page is not reloaded, nothing is saved.
    page.evaluate("() => { window.__sameDocument = true; }")
    page.locator("button[name=action][value=preview]").click()
    preview = page.locator("#charter-preview")
    expect(preview).to_contain_text(words)
    expect(preview.locator("nav.charter-toc a[href='#article-14']")).to_be_visible()
    assert page.evaluate("() => window.__sameDocument === true"), "the preview reloaded the page"
    expect(page.locator("#charter-preview-status")).not_to_be_empty()
    expect(page.locator("#body")).to_have_value(re.compile(re.escape(words)))
    check_accessibility(page, "charter-preview-zh")

    with page.expect_navigation(url=f"**{MANAGE}"):
        page.locator("button[name=action][value=save]").click()
    expect(page.locator(".flash-messages")).to_be_visible()
    expect(page.locator(".panel-highlight")).to_contain_text("家长委员会增加向家长报告工作的要求。")
    check_accessibility(page, "charter-draft-saved-zh")

    # A mistake first: the charter cannot come into force before it is adopted.
    today = date.today().isoformat()
    page.locator("#adopted_on").fill(today)
    page.locator("#effective_on").fill("2020-01-01")
    page.locator("#confirm").check()
    with page.expect_navigation():
        page.locator(f"form[action='{MANAGE}/versions/{number}/adopt'] button[type=submit]").click()
    expect(page.locator("#effective_on-error")).to_be_visible()
    expect(page.locator("#effective_on")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#adopted_on")).to_have_value(today)
    expect(page.locator(".error-summary a[href='#effective_on']")).to_be_visible()
    check_accessibility(page, "charter-adopt-error-zh")

    page.locator("#effective_on").fill(today)
    page.locator("#confirm").check()
    with page.expect_navigation():
        page.locator(f"form[action='{MANAGE}/versions/{number}/adopt'] button[type=submit]").click()
    expect(page.locator(".flash-messages")).to_contain_text(str(number))
    check_accessibility(page, "charter-adopted-zh")

    visitor = new_page("zh")
    visitor.goto(CHARTER)
    expect(visitor.locator(".charter-body")).to_contain_text(words)
    expect(visitor.locator(".charter-badge")).to_be_visible()
    check_accessibility(visitor, "charter-current-zh")
    # The contents lead to the article.
    visitor.locator("nav.charter-toc a[href='#article-14']").click()
    expect(visitor.locator("#article-14")).to_be_in_viewport()

    with visitor.expect_navigation():
        visitor.locator(f"a[href='{CHARTER}/versions']").first.click()
    expect(visitor.locator(".charter-versions > li")).to_have_count(number)
    check_accessibility(visitor, "charter-versions-zh")

    with visitor.expect_navigation():
        visitor.locator(f".charter-versions a[href='{CHARTER}/diff?from={number - 1}&to={number}']").click()
    inserted = visitor.locator(".diff-item ins")
    expect(inserted.first).to_contain_text(words.rstrip("。"))
    expect(visitor.locator(".diff-counts")).to_be_visible()
    check_accessibility(visitor, "charter-diff-zh")


def test_preview_of_a_draft_adopted_meanwhile_says_why_in_the_preview_panel(
    new_page, check_accessibility, log_in, demo_password
):
    editor = new_page("en")
    log_in(editor, ADMIN, demo_password)
    number = open_draft_editor(editor, check_accessibility, "charter-conflict-en")
    # A saved amendment (later journeys compare the newest version with the one before it).
    amend_an_article(editor, f"家长委员会的意见应书面答复（{uuid.uuid4().hex[:6]}）。")
    with editor.expect_navigation(url=f"**{MANAGE}"):
        editor.locator("button[name=action][value=save]").click()
    editor.goto(f"{MANAGE}/versions/{number}/edit")

    # Another administrator adopts the draft while the editor is still open.
    other = new_page("en")
    log_in(other, ADMIN, demo_password)
    other.goto(MANAGE)
    today = date.today().isoformat()
    other.locator("#adopted_on").fill(today)
    other.locator("#effective_on").fill(today)
    other.locator("#confirm").check()
    with other.expect_navigation():
        other.locator(f"form[action='{MANAGE}/versions/{number}/adopt'] button[type=submit]").click()
    expect(other.locator(".flash-messages")).to_contain_text(str(number))

    # The preview is refused (409): htmx swaps the panel it targets, with the reason in it.
    editor.evaluate("() => { window.__sameDocument = true; }")
    editor.locator("button[name=action][value=preview]").click()
    notice = editor.locator("#charter-preview [role=alert]")
    expect(notice).to_contain_text(f"Version {number} is adopted and can no longer be changed.")
    assert editor.evaluate("() => window.__sameDocument === true"), "the refusal reloaded the page"
    expect(editor.locator("#charter-preview")).to_have_count(1)
    check_accessibility(editor, "charter-preview-conflict-en")


# Each language and each width once: Chinese on a phone, English at a desk.
@pytest.mark.parametrize("language, viewport", [("zh", PHONE), ("en", None)])
def test_visitor_reads_the_charter_its_history_and_changes(new_page, check_accessibility, language, viewport):
    page = new_page(language, viewport=viewport)
    suffix = f"{language}{'-phone' if viewport else ''}"

    page.goto(f"/schools/{SLUG}")
    with page.expect_navigation():
        page.locator(f"a[href='{CHARTER}']").first.click()
    expect(page.locator("h1")).to_contain_text("解放路小学" if language == "zh" else "Jiefang Road")
    expect(page.locator(".charter-body")).to_have_attribute("lang", "zh-CN")
    expect(page.locator("#chapter-1-heading")).to_contain_text("总则")
    if viewport:
        assert_no_horizontal_scrolling(page, f"charter ({suffix})")
    check_accessibility(page, f"charter-current-{suffix}")

    with page.expect_navigation():
        page.locator(f".charter-links a[href='{CHARTER}/versions']").click()
    if viewport:
        assert_no_horizontal_scrolling(page, f"versions ({suffix})")
    check_accessibility(page, f"charter-versions-{suffix}")

    # The first version listed is the newest; compare it with the one before.
    with page.expect_navigation():
        page.locator(f".charter-versions a[href^='{CHARTER}/diff?']").first.click()
    expect(page.locator(".diff-counts")).to_be_visible()
    expect(page.locator(".diff-item ins, .diff-item del").first).to_be_visible()
    # Readable without colour: the marks are struck through and underlined.
    for mark, line in (("del", "line-through"), ("ins", "underline")):
        for element in page.locator(f".diff-item {mark}").all()[:1]:
            assert element.evaluate("el => getComputedStyle(el).textDecorationLine") == line
    if viewport:
        assert_no_horizontal_scrolling(page, f"diff ({suffix})")
    check_accessibility(page, f"charter-diff-{suffix}")

    # The demo's own amendment: version 2 changed four articles and added one.
    page.goto(f"{CHARTER}/diff?from=1&to=2")
    expect(page.locator(".diff-added")).to_have_count(1)
    expect(page.locator(".diff-changed")).to_have_count(4)
    if viewport:
        assert_no_horizontal_scrolling(page, f"demo diff ({suffix})")
    check_accessibility(page, f"charter-diff-demo-{suffix}")

    page.goto(f"{CHARTER}/diff")
    page.locator("#from").select_option("1")
    page.locator("#to").select_option("2")
    with page.expect_navigation():
        page.locator("form.diff-picker button[type=submit]").click()
    assert page.url.endswith("/charter/diff?from=1&to=2")
    check_accessibility(page, f"charter-diff-picker-{suffix}")


@pytest.mark.parametrize("language", ["zh", "en"])
def test_school_admin_pages_at_phone_width(new_page, check_accessibility, log_in, demo_password, language):
    page = new_page(language, viewport=PHONE)
    log_in(page, ADMIN, demo_password)
    open_draft_editor(page, check_accessibility, f"phone-charter-admin-{language}")
    assert_no_horizontal_scrolling(page, f"charter editor ({language})")
    page.locator("button[name=action][value=preview]").click()
    expect(page.locator("#charter-preview nav.charter-toc")).to_be_visible()
    assert_no_horizontal_scrolling(page, f"charter preview ({language})")
    check_accessibility(page, f"phone-charter-edit-{language}")
    page.goto(MANAGE)
    assert_no_horizontal_scrolling(page, f"charter management ({language})")
    check_accessibility(page, f"phone-charter-manage-{language}")


def test_preview_works_without_javascript(browser, live_server, demo_password):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False, locale="en-US", bypass_csp=True)
    page = context.new_page()
    try:
        page.goto("/login")
        page.locator("#email").fill(ADMIN)
        page.locator("#password").fill(demo_password)
        with page.expect_navigation():
            page.locator("form[action='/login'] button[type=submit]").click()
        open_draft_editor(page, lambda *_: None, "nojs")
        edit_url = page.url
        saved = page.locator("#body").input_value()
        words = amend_an_article(page, "（无脚本预览）")

        with page.expect_navigation():
            page.locator("button[name=action][value=preview]").click()
        assert page.url == edit_url, "the preview is the edit page again"
        expect(page.locator("#charter-preview")).to_contain_text(words)
        expect(page.locator("#body")).to_have_value(re.compile(re.escape(words)))
        # axe needs JavaScript: this page is checked with it in the journeys above.
        if SCREENSHOT_EVERY_PAGE:
            page.screenshot(path=str(SCREENSHOTS / "charter-preview-nojs-en.png"), full_page=True)

        page.goto(edit_url)  # nothing was saved
        expect(page.locator("#body")).to_have_value(saved)
    finally:
        context.close()
