"""A decision in a real browser, from draft to a verified copy: a board member drafts it, previews
its PDF, publishes it (the job worker renders and signs it while the page waits), reads its number
and fingerprint on its page and downloads the signed PDF;
then a visitor without an account checks that copy at /verify (authentic) and a copy with one
byte changed (altered). Every page is checked with axe, in Chinese and in English.

The live server's database lasts the whole run: the journey does not assume which number the
decision gets, it reads it off the page.
"""

import hashlib
import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.helpers.browser import HTML_LANG, run_jobs

pytestmark = pytest.mark.browser

SLUG = "jiefang-road-primary"
MANAGE = f"/schools/{SLUG}/manage"
MANAGE_DECISIONS = f"{MANAGE}/decisions"
BOARD_MEMBER = "board@example.org"
PREFIX = "渝解小校委"  # the demo school's decision-number prefix (portal/cli.py)
# The demo board meeting whose attendance the demo recorded: 7 members present (portal/meetings/demo.py).
DEMO_MEETING = "第一次校务委员会会议"
BODY = """一、自下学期起，每周三下午开设校园足球和川剧社团课后服务，学生自愿报名，不收取费用。

二、课后服务由本校教师和经审核的校外专业人员共同承担，安全管理由德育处负责。

三、每学期末向家长委员会通报课后服务开展情况，听取家长意见。"""


def same_document(page) -> bool:
    return page.evaluate("() => window.__sameDocument === true")


def with_one_byte_changed(pdf: bytes) -> bytes:
    """A copy of the signed PDF with one byte changed inside the signed range (in the rendered
    part, before the signature's incremental update)."""
    altered = bytearray(pdf)
    altered[len(pdf) // 3] ^= 0x01
    return bytes(altered)


def upload_for_verification(page, name: str, pdf: bytes) -> None:
    page.locator("#file").set_input_files(files=[{"name": name, "mimeType": "application/pdf", "buffer": pdf}])
    with page.expect_response(
        lambda response: response.url.endswith("/verify") and response.request.method == "POST"
    ) as answer:
        page.locator("#verify-form button[type=submit]").click()
    assert answer.value.status == 200


@pytest.mark.parametrize("language", ["zh", "en"])
def test_board_member_publishes_a_decision_and_a_visitor_verifies_the_downloaded_copy(
    new_page, live_server, check_accessibility, log_in, demo_password, language
):
    page = new_page(language)
    log_in(page, BOARD_MEMBER, demo_password)

    # From the school's management page to its decisions: the demo's draft is waiting there.
    page.goto(MANAGE)
    with page.expect_navigation():
        page.locator(f"a[href='{MANAGE_DECISIONS}']").first.click()
    expect(page.locator("html")).to_have_attribute("lang", HTML_LANG[language])
    expect(page.locator("#drafts-heading")).to_be_visible()
    expect(page.locator(f"a[href^='{MANAGE_DECISIONS}/']", has_text="关于学生校服采购方案的决定")).to_be_visible()
    check_accessibility(page, f"decisions-manage-{language}")

    # The empty form explains itself.
    with page.expect_navigation():
        page.locator(f"a[href='{MANAGE_DECISIONS}/new']").click()
    check_accessibility(page, f"decision-new-{language}")
    with page.expect_navigation():
        page.locator(f"form[action='{MANAGE_DECISIONS}/new'] button[value=save]").click()
    expect(page.locator("#title-error")).to_be_visible()
    expect(page.locator("#title")).to_have_attribute("aria-invalid", "true")
    check_accessibility(page, f"decision-new-errors-{language}")

    # The draft: title, the meeting that took it, the vote, the text.
    title = f"关于开设校园足球和川剧社团课后服务的决定（{uuid.uuid4().hex[:6]}）"
    page.locator("#title").fill(title)
    meeting = page.locator("#meeting_id option", has_text=DEMO_MEETING).first
    page.locator("#meeting_id").select_option(meeting.get_attribute("value"))
    page.locator("#votes_for").fill("5")
    page.locator("#votes_against").fill("1")
    page.locator("#votes_abstain").fill("1")
    page.locator("#body").fill(BODY)
    with page.expect_navigation(url=re.compile(rf"{MANAGE_DECISIONS}/\d+$")):
        page.locator(f"form[action='{MANAGE_DECISIONS}/new'] button[value=save]").click()
    edit_path = re.search(rf"{MANAGE_DECISIONS}/\d+$", page.url).group(0)
    expect(page.locator("#title")).to_have_value(title)
    expect(page.locator(".flash-messages")).to_be_visible()
    check_accessibility(page, f"decision-edit-{language}")

    # The preview: rendered on request (htmx), a link to the PDF marked as a draft.
    page.evaluate("() => { window.__sameDocument = true; }")
    page.locator(f"a[href='{edit_path}/preview.pdf'][hx-get]").click()
    preview_link = page.locator(f"#decision-preview a[href='{edit_path}/preview.pdf']")
    expect(preview_link).to_be_visible(timeout=20_000)
    assert same_document(page), "making the preview left the page"
    check_accessibility(page, f"decision-preview-{language}")
    preview = page.request.get(preview_link.get_attribute("href"))
    assert preview.status == 200
    assert preview.headers["content-type"] == "application/pdf"
    assert preview.body().startswith(b"%PDF-")

    # Publishing needs the box ticked: htmx swaps the publish panel with the reason, in place.
    page.locator(f"form[action='{edit_path}/publish'] button[type=submit]").click()
    expect(page.locator("#confirm-error")).to_be_visible()
    assert same_document(page), "a refused publish reloaded the page"
    expect(page.locator("#title")).to_have_value(title)  # the draft is all still there
    check_accessibility(page, f"decision-publish-unconfirmed-{language}")
    page.locator("#confirm").check()
    with page.expect_navigation(url=re.compile(rf"{edit_path}/publishing$")):
        page.locator(f"form[action='{edit_path}/publish'] button[type=submit]").click()
    check_accessibility(page, f"decision-publishing-{language}")
    run_jobs(live_server)  # the job worker renders, signs and archives it
    page.wait_for_url(re.compile(r"/decisions/\d+$"))  # the page asked again (htmx, every 2 s) and went on
    decision_path = re.search(r"/decisions/\d+$", page.url).group(0)

    # The decision's page: its number and the SHA-256 of its signed PDF.
    number = page.locator("h1 .decision-number").inner_text().strip()
    assert re.fullmatch(rf"{PREFIX}〔\d{{4}}〕\d+号", number), number
    expect(page.locator(".flash-messages")).to_contain_text(number)
    expect(page.locator("h1")).to_contain_text(title)
    fingerprint = page.locator("code.fingerprint").inner_text().strip()
    assert re.fullmatch(r"[0-9a-f]{64}", fingerprint), fingerprint
    check_accessibility(page, f"decision-show-{language}")

    with page.expect_download() as download:
        page.locator(f"a[href='{decision_path}.pdf']").click()
    assert download.value.suggested_filename.endswith(".pdf")
    pdf = download.value.path().read_bytes()
    assert pdf.startswith(b"%PDF-")
    assert hashlib.sha256(pdf).hexdigest() == fingerprint

    # A visitor, not logged in, checks the downloaded copy, and then a copy with one byte changed.
    visitor = new_page(language)
    visitor.goto("/verify")
    expect(visitor.locator("html")).to_have_attribute("lang", HTML_LANG[language])
    check_accessibility(visitor, f"verify-{language}")

    upload_for_verification(visitor, f"{number}.pdf", pdf)
    verdict = visitor.locator("#verify-result [data-verdict]")
    expect(verdict).to_have_attribute("data-verdict", "authentic")
    expect(visitor.locator("#verify-result code.sha256")).to_have_text(fingerprint)
    expect(visitor.locator(f"#verify-result a[href='{decision_path}']")).to_contain_text(number)
    check_accessibility(visitor, f"verify-authentic-{language}")

    upload_for_verification(visitor, "copy.pdf", with_one_byte_changed(pdf))
    expect(verdict).to_have_attribute("data-verdict", "altered")
    expect(visitor.locator(f"#verify-result a[href='{decision_path}']")).to_have_count(0)
    check_accessibility(visitor, f"verify-altered-{language}")

    # The visitor reaches the decision from the result of the authentic copy, as anyone would.
    upload_for_verification(visitor, f"{number}.pdf", pdf)
    with visitor.expect_navigation():
        visitor.locator(f"#verify-result a[href='{decision_path}']").click()
    expect(visitor.locator("code.fingerprint")).to_have_text(fingerprint)
    check_accessibility(visitor, f"decision-show-visitor-{language}")


@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_demo_decision_that_was_superseded_says_so_and_links_its_successor(new_page, check_accessibility, language):
    page = new_page(language)
    page.goto("/decisions?q=家长陪餐制度")
    with page.expect_navigation():
        page.locator("a[href^='/decisions/']", has_text="关于建立家长陪餐制度的决定").first.click()
    notice = page.locator("#replaced-notice")
    expect(notice).to_be_visible()
    expect(notice.locator("a[href^='/decisions/']")).to_contain_text("关于加强学校食堂膳食管理的决定")
    check_accessibility(page, f"decision-superseded-{language}")
