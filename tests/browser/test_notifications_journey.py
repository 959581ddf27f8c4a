"""Notifications in a real browser: a new parent follows a school (with JavaScript the button
changes in place and keeps the keyboard focus), the school opens a consultation, the parent sees
the count in the header, opens the notification, and it is read. The notifications page and the
settings page are checked with axe in Chinese and English, on a phone and on a desktop."""

import re

import pytest
from playwright.sync_api import expect

from portal import jobs
from portal.consultations import services as consultations
from portal.consultations.models import Phase
from portal.extensions import db as _db
from portal.schools.models import School
from tests.helpers.browser import PHONE, assert_no_horizontal_scrolling
from tests.helpers.consultations import create_consultation

pytestmark = pytest.mark.browser

SLUG = "jiefang-road-primary"
DESKTOP = {"width": 1280, "height": 900}
NARROW_PHONE = {"width": 390, "height": 844}  # the screenshots' phone; PHONE (360) checks sideways scrolling
WORDS = {
    "zh": {"follow": "关注", "stop": "取消关注", "new": "新"},
    "en": {"follow": "Follow", "stop": "Stop following", "new": "New"},
}


def open_a_consultation(live_server, title: str) -> int:
    """The school opens a consultation (submitted and approved now), and the worker's jobs run:
    its followers and parents are told."""
    with live_server.app.app_context():
        school = _db.session.scalar(_db.select(School).where(School.slug == SLUG))
        consultation = create_consultation(school, Phase.DRAFT, title=title)
        consultations.submit(None, consultation)
        consultations.approve(None, consultation)
        _db.session.commit()
        consultation_id = consultation.id
        while (task := jobs.huey.dequeue()) is not None:
            task.execute()
        _db.session.remove()
    return consultation_id


@pytest.mark.parametrize("language", ["zh", "en"])
def test_a_parent_follows_a_school_is_told_of_its_news_and_reads_it(
    new_page, live_server, register_account, check_accessibility, language
):
    words = WORDS[language]
    jobs.huey.flush()  # what seeding the demo left for a worker: the demo's own news, not this journey's
    page = new_page(language, viewport=PHONE)
    register_account(page)

    # Following, with JavaScript: the button changes in place, the page stays, the focus stays.
    page.goto(f"/schools/{SLUG}")
    button = page.locator("#follow-button")
    expect(button).to_have_text(words["follow"])
    button.focus()
    url_before = page.url
    with page.expect_response(lambda response: "/follow" in response.url) as answer:
        page.keyboard.press("Enter")
    assert answer.value.status == 200 and answer.value.request.headers.get("hx-request") == "true"
    expect(page.locator("#follow-button")).to_have_text(words["stop"])
    expect(page.locator("#follow-button")).to_be_focused()
    assert page.url == url_before
    expect(page.locator(".count-badge")).to_have_count(0)
    check_accessibility(page, f"school-followed-{language}-phone")

    # The school opens a consultation; the parent's next page shows the count in the header.
    title = f"浏览器测试：关于调整午休时间的意见征集 {language}"
    consultation_id = open_a_consultation(live_server, title)
    page.goto("/")
    badge = page.locator(".site-header .notifications-link .count-badge")
    expect(badge).to_have_text(re.compile(r"^1\b"))

    # The notifications page, at phone width and on a desktop.
    with page.expect_navigation():
        page.locator(".site-header .notifications-link").click()
    expect(page).to_have_url(re.compile(r".*/me/notifications$"))
    item = page.locator(".notification-list li", has_text=title)
    expect(item).to_have_class(re.compile(r"notification-unread"))
    expect(item.locator(".notification-new")).to_have_text(words["new"])
    assert_no_horizontal_scrolling(page, f"notifications ({language})")
    page.set_viewport_size(NARROW_PHONE)
    check_accessibility(page, f"notifications-unread-{language}-phone")
    page.set_viewport_size(DESKTOP)
    check_accessibility(page, f"notifications-unread-{language}-desktop")

    # Opening it goes to the consultation and marks it read.
    with page.expect_navigation(url=re.compile(rf".*/consultations/{consultation_id}$")):
        item.locator("a").click()
    expect(page.locator(".site-header .count-badge")).to_have_count(0)
    page.goto("/me/notifications")
    expect(page.locator(".notification-list li", has_text=title)).not_to_have_class(re.compile("notification-unread"))
    check_accessibility(page, f"notifications-read-{language}-desktop")

    # How I am told, on a desktop and at phone width.
    page.goto("/me/notifications/settings")
    check_accessibility(page, f"notification-settings-{language}-desktop")
    page.set_viewport_size(PHONE)
    assert_no_horizontal_scrolling(page, f"notification settings ({language})")
    page.set_viewport_size(NARROW_PHONE)
    check_accessibility(page, f"notification-settings-{language}-phone")

    # What I follow: the school, with a button to stop.
    page.goto("/me/following")
    expect(page.locator(".follow-list li")).to_have_count(1)
    check_accessibility(page, f"following-{language}-phone")
    page.set_viewport_size(DESKTOP)
    check_accessibility(page, f"following-{language}-desktop")
