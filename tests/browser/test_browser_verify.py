"""Verifying a copy in a real browser: a visitor downloads the charter's archived PDF, checks it
at /verify (with htmx, and without JavaScript), follows the verdict back to the charter, and
sees an altered copy called altered."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

SLUG = "jiefang-road-primary"
CHARTER = f"/schools/{SLUG}/charter"


def download_charter_pdf(page) -> bytes:
    page.goto(CHARTER)
    link = page.locator("a[href$='.pdf'].button")
    href = link.get_attribute("href")
    assert re.fullmatch(rf"{CHARTER}/versions/\d+\.pdf", href)
    response = page.request.get(href)
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    return response.body()


def check_file(page, name: str, data: bytes) -> None:
    page.set_input_files("#file", files=[{"name": name, "mimeType": "application/pdf", "buffer": data}])
    page.locator("#verify-form button[type=submit]").click()


def test_visitor_verifies_a_downloaded_charter_and_an_altered_copy(new_page, check_accessibility):
    page = new_page("en")
    pdf = download_charter_pdf(page)
    fingerprint = page.locator("code.fingerprint").inner_text()
    check_accessibility(page, "charter-with-document-en")

    with page.expect_navigation():
        page.get_by_role("link", name="verify a copy").click()
    check_accessibility(page, "verify-en")

    check_file(page, "charter.pdf", pdf)
    verdict = page.locator("#verify-result [data-verdict]")
    expect(verdict).to_have_attribute("data-verdict", "authentic")
    assert page.url.endswith("/verify")  # htmx: the result came into the page
    expect(page.locator("#verify-result code.sha256")).to_have_text(fingerprint)
    expect(page.locator("#verify-result")).to_have_attribute("role", "status")
    check_accessibility(page, "verify-authentic-en")

    altered = bytearray(pdf)
    altered[len(pdf) // 3] ^= 0x01
    check_file(page, "charter-edited.pdf", bytes(altered))
    expect(verdict).to_have_attribute("data-verdict", "altered")
    check_accessibility(page, "verify-altered-en")

    page.locator("#sha256").fill("0" * 63)
    page.locator("#verify-form button[type=submit]").click()
    expect(page.locator("#sha256-error")).to_be_visible()
    expect(page.locator("#verify-result [data-verdict]")).to_have_count(0)
    check_accessibility(page, "verify-bad-input-en")

    page.locator("#sha256").fill(fingerprint.upper())
    page.locator("#verify-form button[type=submit]").click()
    expect(verdict).to_have_attribute("data-verdict", "authentic")
    with page.expect_navigation():
        page.locator("#verify-result a[href*='/charter/versions/']").click()
    assert re.search(rf"{CHARTER}/versions/\d+$", page.url)


def test_verifying_works_without_javascript(browser, live_server):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False, bypass_csp=True, locale="zh-CN")
    try:
        page = context.new_page()
        pdf = download_charter_pdf(page)
        page.goto("/verify")

        with page.expect_navigation():
            check_file(page, "章程.pdf", pdf)

        expect(page.locator("[data-verdict]")).to_have_attribute("data-verdict", "authentic")
        assert page.url.endswith("/verify")  # the page itself answered the plain POST
    finally:
        context.close()


def test_a_file_too_large_to_send_is_explained_instead_of_nothing_happening(new_page):
    page = new_page("en")
    page.goto("/verify")

    check_file(page, "huge.pdf", b"%PDF-1.7\n" + b"0" * (17 * 1024 * 1024))

    problem = page.locator("#request-problem")
    expect(problem).to_be_visible()
    expect(problem).to_have_text("The file is too large to be sent.")
    expect(page.locator("#verify-result [data-verdict]")).to_have_count(0)


# Every violation of the Content-Security-Policy the page reports, kept where the test can read it.
LISTEN_FOR_CSP_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (event) => {
  window.__cspViolations.push(`${event.effectiveDirective} blocked ${event.blockedURI || 'inline'} `
    + `(${event.sourceFile}:${event.lineNumber}) ${event.sample}`);
});
"""


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
def test_verify_page_and_its_htmx_answers_keep_to_the_content_security_policy(browser, live_server, locale):
    """Our CSP forbids inline styles and scripts (portal/security.py); the browser enforces it here
    (no bypass_csp, so no axe either: it comes as an inline script)."""
    context = browser.new_context(base_url=live_server.url, locale=locale)
    context.add_init_script(LISTEN_FOR_CSP_VIOLATIONS)
    console = []
    try:
        page = context.new_page()
        page.on("console", lambda message: console.append(message.text))
        pdf = download_charter_pdf(page)
        fingerprint = page.locator("code.fingerprint").inner_text()
        page.goto("/verify")
        expect(page.locator("#verify-form")).to_be_visible()
        assert page.evaluate("() => typeof window.htmx") == "object"  # htmx ran: its styles would be here

        check_file(page, "charter.pdf", pdf)
        verdict = page.locator("#verify-result [data-verdict]")
        expect(verdict).to_have_attribute("data-verdict", "authentic")
        altered = bytearray(pdf)
        altered[len(pdf) // 3] ^= 0x01
        check_file(page, "charter-edited.pdf", bytes(altered))
        expect(verdict).to_have_attribute("data-verdict", "altered")
        page.locator("#sha256").fill("0" * 63)
        page.locator("#verify-form button[type=submit]").click()
        expect(page.locator("#sha256-error")).to_be_visible()
        page.locator("#sha256").fill(fingerprint)
        page.locator("#verify-form button[type=submit]").click()
        expect(verdict).to_have_attribute("data-verdict", "authentic")
        with page.expect_navigation():
            page.locator("#verify-result a[href*='/charter/versions/']").click()
        page.go_back()  # htmx restores /verify from its history
        expect(page.locator("#verify-form")).to_be_visible()
        page.goto(f"/verify?sha256={fingerprint}")
        expect(verdict).to_have_attribute("data-verdict", "authentic")

        violations = page.evaluate("() => window.__cspViolations")
        reported = [text for text in console if "Content Security Policy" in text]
        assert not violations and not reported, f"CSP violations on /verify: {violations + reported}"
    finally:
        context.close()
