"""What several browser journeys (tests/browser/) check: the page at phone width, and its language."""

import os

PHONE = {"width": 360, "height": 740}
HTML_LANG = {"zh": "zh-CN", "en": "en"}


def assert_no_horizontal_scrolling(page, name):
    scroll_width = page.evaluate("() => document.documentElement.scrollWidth")
    wide = page.evaluate(
        """(limit) => Array.from(document.querySelectorAll('body *'))
            .filter(el => el.getBoundingClientRect().right > limit + 0.5)
            .slice(0, 5)
            .map(el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
                 + (el.className ? '.' + String(el.className).replace(/ /g, '.') : ''))""",
        PHONE["width"],
    )
    assert scroll_width <= PHONE["width"], f"{name} scrolls sideways ({scroll_width}px wide): {wide}"


def run_jobs(live_server) -> int:
    """Run the jobs waiting in the queue as the job worker would (the live server has none)."""
    from portal import jobs
    from portal.extensions import db

    ran = 0
    with live_server.app.app_context():
        while (task := jobs.huey.dequeue()) is not None:
            task.execute()
            ran += 1
        db.session.remove()
    return ran


# Screenshots of the pages the browser tests walk are kept in tests/browser/screenshots/ when
# asked for (PORTAL_TEST_SCREENSHOTS=1, for looking at them); otherwise only a failing page's.
SCREENSHOT_EVERY_PAGE = os.environ.get("PORTAL_TEST_SCREENSHOTS") == "1"
