"""Browser journeys: the real portal served over HTTP to Debian's Chromium, driven by Playwright.

The live server has its own app and its own SQLite file, built by the real migrations and the
demo data, with CSRF protection on (the forms carry their tokens, as in production). It is
separate from the `app` fixture of tests/conftest.py: the autouse fixtures there change that
app's config, not this one. Every page a journey visits is checked with axe-core against
WCAG 2.1 A and AA, and a full-page screenshot is kept in tests/browser/screenshots/.
"""

import tempfile
import threading
import uuid
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from flask_migrate import upgrade
from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

from portal import create_app
from portal.cli import DEMO_PASSWORD, seed_demo
from portal.documents import signing
from portal.extensions import db as _db
from portal.transparency.services import generate_log_key
from tests.helpers.account_mail import mailed_link
from tests.helpers.browser import SCREENSHOT_EVERY_PAGE
from tests.helpers.translations import TRANSLATIONS, compile_catalogues

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
SCREENSHOTS = HERE / "screenshots"
AXE = ROOT / "static" / "vendor" / "axe.min.js"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
# Accept-Language sent by the browser; the portal picks the page language from it.
LOCALES = {"zh": "zh-CN", "en": "en-US"}
TIMEOUT_MS = 10_000


def pytest_collection_modifyitems(items):
    """Everything in this folder is a browser journey, whether or not it says so."""
    for item in items:
        if HERE in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.browser)


class LiveServer:
    def __init__(self, app, server):
        self.app = app
        self.url = f"http://{server.host}:{server.port}"


@pytest.fixture(scope="session")
def live_server(fast_password_hashing):
    """The portal on 127.0.0.1 (a free port) for the whole run, with the demo data."""
    if not AXE.exists():
        pytest.fail(f"{AXE.relative_to(ROOT)} is missing: run `make setup` (it installs axe-core from npm)")
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        # The demo data publishes signed decisions: a throwaway key pair, never the repository's instance/.
        key, cert = signing.generate_development_keys(tmp / "signing-key.pem", tmp / "signing-cert.pem")
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'browser.db'}",
                "PORTAL_SIGNING_KEY": str(key),
                "PORTAL_SIGNING_CERT": str(cert),
                # The transparency log's key, and the demo witness's state: never in instance/ either.
                "PORTAL_LOG_KEY": str(generate_log_key(tmp / "log-key.txt", "127.0.0.1/log")),
                "PORTAL_DEMO_WITNESS_DIR": str(tmp / "demo-witness"),
                "PORTAL_VERIFY_SLOT_DIR": str(tmp / "verify-slots"),
                "PORTAL_OUTBOX_DIR": str(tmp / "outbox"),  # the mails it sends, never into instance/
                "BABEL_TRANSLATION_DIRECTORIES": str(compile_catalogues(tmp / "translations")),
                # Real forms, real tokens: CSRF stays on here, unlike the `app` fixture.
                "WTF_CSRF_ENABLED": True,
                # The journeys log in several times; the limits have their own tests.
                "RATELIMIT_ENABLED": False,
                "RATELIMIT_STORAGE_URI": "memory://",
                # Self-contained even when CI sets REDIS_URL for the rest of the suite: background
                # work runs inline, so a journey sees its results without a worker.
                "REDIS_URL": "",
                # The page cache stays on, as in production: the journeys see what a visitor sees.
                "PORTAL_PAGE_CACHE_VERSION_FILE": str(tmp / "page-cache-version"),
            }
        )
        with app.app_context():
            upgrade(directory=str(ROOT / "migrations"))
            seed_demo()
            _db.session.commit()
            _db.session.remove()
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
        thread.start()
        try:
            yield LiveServer(app, server)
        finally:
            server.shutdown()
            thread.join(timeout=10)
            server.server_close()
            with app.app_context():
                _db.engine.dispose()


@pytest.fixture(autouse=True)
def csrf_stays_on(live_server):
    """The global autouse fixtures must never switch off CSRF protection of the live server."""
    assert live_server.app.config["WTF_CSRF_ENABLED"] is True
    yield
    assert live_server.app.config["WTF_CSRF_ENABLED"] is True


@pytest.fixture(scope="session")
def playwright_instance():
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright_instance):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make setup` (it installs Debian's chromium)")
    browser = playwright_instance.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def new_page(browser, live_server):
    """new_page(language="zh", viewport=None, javascript=True) -> a page in a fresh context (its
    own cookies); javascript=False for the portal as it works without JavaScript."""
    contexts = []

    def make(language: str = "zh", viewport: dict | None = None, javascript: bool = True):
        options = {"base_url": live_server.url, "bypass_csp": True, "locale": LOCALES[language]}
        if viewport:
            options["viewport"] = viewport
        if not javascript:
            options["java_script_enabled"] = False
        context = browser.new_context(**options)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    return new_page("zh")


def _describe(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']}  {violation['helpUrl']}")
        for node in violation["nodes"]:
            target = " ".join(str(part) for part in node["target"])
            lines.append(f"    at {target}: {node.get('failureSummary', '').strip()}".replace("\n", " "))
    return "\n".join(lines)


def run_axe(page) -> list[dict]:
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    return page.evaluate(
        """async (tags) => {
            const results = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
            return results.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
                nodes: v.nodes.map(n => ({target: n.target, failureSummary: n.failureSummary})),
            }));
        }""",
        WCAG_TAGS,
    )


def duplicate_ids(page) -> list[str]:
    """axe 4.x no longer reports repeated ids, but our error summaries link to fields by id."""
    return page.evaluate(
        """() => {
            const seen = new Map();
            document.querySelectorAll('[id]').forEach(el => seen.set(el.id, (seen.get(el.id) || 0) + 1));
            return Array.from(seen).filter(([, n]) => n > 1).map(([id]) => id);
        }"""
    )


@pytest.fixture
def check_accessibility():
    """check_accessibility(page, name): axe-core (WCAG 2.1 A and AA) finds no violation on the
    page as it is now, and no id is used twice. A page that fails is saved as a full-page
    screenshot, screenshots/<name>.png, to be looked at; with PORTAL_TEST_SCREENSHOTS=1 every
    page checked is (a full-page screenshot costs about as much as the check: CI takes none)."""

    def check(page, name: str) -> None:
        page.wait_for_load_state("load")
        if SCREENSHOT_EVERY_PAGE:
            screenshot(page, name)
        violations = run_axe(page)
        repeated = duplicate_ids(page)
        if (violations or repeated) and not SCREENSHOT_EVERY_PAGE:
            screenshot(page, name)
        assert not violations, f"{name} ({page.url}) has accessibility violations:\n{_describe(violations)}"
        assert not repeated, f"{name} ({page.url}) uses these ids more than once: {repeated}"

    return check


def screenshot(page, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


@pytest.fixture
def demo_password():
    return DEMO_PASSWORD


def unique_email(prefix: str = "parent") -> str:
    """The live server's database lives for the whole run: every journey uses its own addresses."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}@example.net"


@pytest.fixture(name="unique_email")
def unique_email_fixture():
    return unique_email


@pytest.fixture
def log_in():
    """log_in(page, email, password): through the login form, as a person would."""

    def login(page, email: str, password: str) -> None:
        page.goto("/login")
        page.locator("#email").fill(email)
        page.locator("#password").fill(password)
        with page.expect_navigation():
            page.locator("form[action='/login'] button[type=submit]").click()

    return login


@pytest.fixture
def log_out():
    """log_out(page): the logout button in the header."""

    def logout(page) -> None:
        with page.expect_navigation():
            page.locator(".site-header form[action='/logout'] button").click()

    return logout


@pytest.fixture
def register_account(live_server):
    """register_account(page, email=None) -> (email, password): the address on /register, then
    the link mailed to it, which opens the form for the name and password."""

    def register(page, email: str | None = None, display_name: str = "测试家长 Test Parent"):
        email = email or unique_email()
        password = "a long enough password"
        page.goto("/register")
        page.locator("#email").fill(email)
        # Up to 30 s, not Playwright's 10: on a CI machine loaded by both test workers this one
        # navigation (the address stored, its mail written) once took longer than 10 s.
        with page.expect_navigation(url="**/register/sent", timeout=30_000):
            page.locator("form[action='/register'] button[type=submit]").click()
        page.goto(mailed_link(live_server.app, email))
        page.locator("#display_name").fill(display_name)
        page.locator("#password").fill(password)
        page.locator("#confirm").fill(password)
        with page.expect_navigation(url="**/me"):
            page.locator("form[action^='/register/complete/'] button[type=submit]").click()
        return email, password

    return register


@pytest.fixture(scope="session")
def translate():
    """translate(language, message) -> what a page in that language shows for `message`: the
    catalogue's translation, or the message itself while it is not translated yet."""
    catalogues = {}
    for po_path in TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"):
        language = po_path.parent.parent.name
        with po_path.open("rb") as f:
            catalogues[language] = read_po(f, locale=language)

    def lookup(language: str, message: str) -> str:
        catalogue = catalogues.get(language)
        entry = catalogue.get(message) if catalogue is not None else None
        return entry.string if entry is not None and entry.string else message

    return lookup
