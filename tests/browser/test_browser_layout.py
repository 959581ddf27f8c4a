"""Pages at phone width, and the translated error page."""

import pytest
from playwright.sync_api import expect

from tests.helpers.browser import HTML_LANG, PHONE, assert_no_horizontal_scrolling

pytestmark = pytest.mark.browser

PUBLIC_PAGES = [("home", "/"), ("login", "/login"), ("register", "/register")]
# The phones parents use most; and the narrowest still in use.
PHONE_390 = {"width": 390, "height": 844}
PHONE_320 = {"width": 320, "height": 640}
PHONE_360 = {"width": 360, "height": 740}

# The header's links and buttons that can be seen: each one's size, and the rows they make
# (centres more than 8 px apart are different rows; a row's items are centred on one line).
HEADER_TARGETS = """(within = '.site-header') =>
    Array.from(document.querySelectorAll(within + ' :is(a, button, input)'))
    .map(el => el.getBoundingClientRect())
    .filter(r => r.width > 1 && r.height > 1)
    .map(r => ({width: r.width, height: r.height, centre: r.top + r.height / 2}))"""


@pytest.mark.parametrize("language", ["zh", "en"])
def test_pages_at_phone_width(new_page, check_accessibility, register_account, language):
    page = new_page(language, viewport=PHONE)
    for name, path in PUBLIC_PAGES:
        page.goto(path)
        expect(page.locator("html")).to_have_attribute("lang", HTML_LANG[language])
        assert_no_horizontal_scrolling(page, f"{path} ({language})")
        check_accessibility(page, f"phone-{name}-{language}")

    register_account(page)
    expect(page.locator("html")).to_have_attribute("lang", HTML_LANG[language])
    assert_no_horizontal_scrolling(page, f"/me ({language})")
    check_accessibility(page, f"phone-me-{language}")


@pytest.mark.parametrize("language", ["zh", "en"])
def test_school_admin_pages_at_phone_width(new_page, check_accessibility, log_in, demo_password, language):
    page = new_page(language, viewport=PHONE)
    log_in(page, "schooladmin@example.org", demo_password)
    path = "/schools/jiefang-road-primary/manage/invitations"
    page.goto(path)
    page.locator("#count").fill("2")
    page.locator("#note").fill("三年级二班 Class 3-2")
    with page.expect_navigation():
        page.locator(f"form[action='{path}'] button[type=submit]").click()
    expect(page.locator(".code-list code")).to_have_count(2)
    # The list of codes is a wide table: it may scroll inside its own box, never the page.
    expect(page.locator(".table-scroll table")).to_be_visible()
    assert_no_horizontal_scrolling(page, f"invitations ({language})")
    check_accessibility(page, f"phone-invitations-{language}")


@pytest.mark.parametrize("language", ["zh", "en"])
def test_error_page_is_translated(new_page, check_accessibility, translate, language):
    page = new_page(language)
    response = page.goto("/does-not-exist")
    assert response.status == 404
    expect(page.locator("html")).to_have_attribute("lang", HTML_LANG[language])
    expect(page.locator("h1")).to_have_text(translate(language, "Page not found"))
    expect(page.locator(".error-page")).to_contain_text(
        translate(language, "There is nothing at this address. It may have been moved, or the link may be mistyped.")
    )
    expect(page.locator(".error-code")).to_have_text(translate(language, "Error code: %(code)s") % {"code": 404})
    expect(page).to_have_title(
        f"{translate(language, 'Page not found')} · {translate(language, 'School Governance Portal')}"
    )
    check_accessibility(page, f"error-404-{language}")

    page.set_viewport_size(PHONE)
    assert_no_horizontal_scrolling(page, f"404 ({language})")
    check_accessibility(page, f"phone-error-404-{language}")


def header_rows(targets: list[dict]) -> int:
    rows = []
    for centre in sorted(target["centre"] for target in targets):
        if not rows or centre - rows[-1] > 8:
            rows.append(centre)
    return len(rows)


def page_width(page) -> int:
    return page.evaluate("() => document.documentElement.scrollWidth")


@pytest.mark.parametrize("language", ["zh", "en"])
def test_header_on_a_phone_is_two_rows_of_targets_big_enough_to_tap(new_page, log_in, demo_password, language):
    page = new_page(language, viewport=PHONE_390)
    page.goto("/schools")
    for who in ("visitor", "parent"):
        if who == "parent":
            log_in(page, "parent@example.org", demo_password)
            page.goto("/schools")
            expect(page.locator(".site-header .notifications-link")).to_be_visible()
        targets = page.evaluate(HEADER_TARGETS)
        assert header_rows(targets) <= 2, f"the header of a {who} ({language}) takes {header_rows(targets)} rows"
        small = [target for target in targets if target["width"] < 24 or target["height"] < 24]
        assert not small, f"targets smaller than 24 x 24 px in the header of a {who} ({language}): {small}"
        assert page_width(page) <= PHONE_390["width"], f"the page of a {who} ({language}) scrolls sideways"
        # The search box is a link to the search page on a phone.
        expect(page.locator(".site-header .search-link")).to_be_visible()
        expect(page.locator("#site-search-q")).to_be_hidden()

        # On the narrowest common phones the navigation and the search icon still share one row.
        page.set_viewport_size(PHONE_360)
        navigation = header_rows(page.evaluate(HEADER_TARGETS, ".site-header .header-bottom"))
        assert navigation == 1, f"the navigation of a {who} ({language}) takes {navigation} rows at 360 px"

        page.set_viewport_size(PHONE_320)
        assert page_width(page) <= PHONE_320["width"], f"the page of a {who} ({language}) scrolls sideways at 320 px"
        page.set_viewport_size({"width": 1280, "height": 800})
        assert header_rows(page.evaluate(HEADER_TARGETS)) <= 2
        expect(page.locator("#site-search-q")).to_be_visible()
        expect(page.locator(".site-header .search-link")).to_be_hidden()
        page.set_viewport_size(PHONE_390)


@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_commission_s_tables_scroll_in_their_own_box_on_a_phone(new_page, log_in, demo_password, language):
    """Words hidden for the eye inside a wide table ("Actions", the day a "Remove" button removes)
    are placed absolutely: they stay inside the table's own scrolling box, not past the page."""
    page = new_page(language, viewport=PHONE_390)
    log_in(page, "admin@example.org", demo_password)
    page.goto("/oversight/working-days")
    page.locator("#day").fill("2027-01-09")  # a Saturday, made a working day
    page.locator("input[name=kind][value=working]").check()
    page.locator("#note").fill("调休上班 Working day in exchange")
    with page.expect_navigation():
        page.locator("form[action='/oversight/working-days'] button[type=submit]").click()
    expect(page.locator(".working-days-table")).to_be_visible()
    assert page_width(page) <= PHONE_390["width"], f"the working days ({language}) scroll sideways"

    page.goto("/authorities/1/manage/supervisors")
    expect(page.locator("#supervisor-assignments")).to_be_visible()
    assert page_width(page) <= PHONE_390["width"], f"the supervisors ({language}) scroll sideways"
