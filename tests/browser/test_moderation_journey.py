"""The moderation queue in a real browser, with the keyboard (issue 6): the 渝中区 moderator opens
/moderation, publishes a pending response with "a", rejects the next one with a standard reason
("r" moves to the reason field) and publishes a third with "a", all through htmx without leaving
the page: each handled item is swapped for a short message and the next one takes focus. Back on
the queue the three are gone. Then the city commission's administrator (the moderator cannot read
the audit log) finds the three actions at /audit. The queue is checked with axe at phone width,
in Chinese and in English.

The live server's database lasts the whole run: the journey does not assume which responses are
pending, it reads their ids off the page (each run handles three of the ≥10 the demo leaves).
"""

import re

import pytest
from playwright.sync_api import expect

from tests.helpers.browser import HTML_LANG

pytestmark = pytest.mark.browser

MODERATOR = "moderator@example.org"  # 渝中区审核员 (portal/cli.py)
CITY_ADMIN = "admin@example.org"  # 市教委管理员: reads the audit log of the whole city
PHONE = {"width": 390, "height": 844}
QUEUE = "/moderation?kind=pending"  # only responses awaiting pre-moderation: each has "a" and a reason
PENDING_ITEM = "li.moderation-item:not([data-moderation-done])"


def focused_item_id(page) -> str | None:
    return page.evaluate(
        "() => { const el = document.activeElement;"
        " return el && el.classList.contains('moderation-item') ? el.id : null; }"
    )


def expect_post(page, response_id: int):
    return page.expect_response(
        lambda r: r.url.split("?")[0].endswith(f"/moderation/responses/{response_id}") and r.request.method == "POST"
    )


def response_id(dom_id: str) -> int:
    return int(re.fullmatch(r"moderation-item-(\d+)", dom_id).group(1))


@pytest.mark.parametrize("language", ["zh", "en"])
def test_moderator_clears_three_items_with_the_keyboard_and_the_audit_log_shows_them(
    new_page, check_accessibility, log_in, demo_password, translate, language
):
    page = new_page(language, viewport=PHONE)
    log_in(page, MODERATOR, demo_password)
    page.goto(QUEUE)
    expect(page.locator("html")).to_have_attribute("lang", HTML_LANG[language])
    expect(page.locator("details.moderation-keys")).to_be_attached()
    items = page.locator(PENDING_ITEM)
    assert items.count() >= 3, f"the demo queue has only {items.count()} pending responses left"
    check_accessibility(page, f"moderation-queue-{language}")
    page.evaluate("() => { window.__sameDocument = true; }")

    dom_ids = [items.nth(n).get_attribute("id") for n in range(3)]
    ids = [response_id(dom_id) for dom_id in dom_ids]

    # 1. Focus the first item (as Tab or the previous action would) and press "a": published.
    page.locator(f"#{dom_ids[0]}").focus()
    with expect_post(page, ids[0]) as answer:
        page.keyboard.press("a")
    assert answer.value.status == 200
    done = page.locator(f"#{dom_ids[0]}")
    expect(done).to_have_attribute("data-moderation-done", "")
    expect(done.locator("[role=status]")).to_be_visible()
    expect(done.locator("form")).to_have_count(0)
    # The next item took focus: the keyboard goes on from there.
    expect(page.locator(f"#{dom_ids[1]}")).to_be_focused()

    # 2. "r" opens the reason to reject; a standard reason, then Tab to the button and Enter.
    page.keyboard.press("r")
    reason = page.locator(f"#reject-reason-{ids[1]}")
    expect(reason).to_be_focused()
    expect(page.locator(f"#{dom_ids[1]} details:has(#reject-reason-{ids[1]})")).to_have_attribute("open", "")
    reason.select_option("personal_attack")
    page.keyboard.press("Tab")  # the details (optional)
    expect(page.locator(f"#reject-detail-{ids[1]}")).to_be_focused()
    page.keyboard.press("Tab")  # the reject button
    with expect_post(page, ids[1]) as answer:
        page.keyboard.press("Enter")
    assert answer.value.status == 200
    expect(page.locator(f"#{dom_ids[1]}")).to_have_attribute("data-moderation-done", "")
    expect(page.locator(f"#{dom_ids[1]} form")).to_have_count(0)
    expect(page.locator(f"#{dom_ids[2]}")).to_be_focused()

    # 3. "a" again on the item that took focus.
    with expect_post(page, ids[2]) as answer:
        page.keyboard.press("a")
    assert answer.value.status == 200
    expect(page.locator(f"#{dom_ids[2]}")).to_have_attribute("data-moderation-done", "")
    expect(page.locator(f"#{dom_ids[2]} form")).to_have_count(0)

    # No page load happened: same document, same address.
    assert page.evaluate("() => window.__sameDocument === true"), "an action reloaded the page"
    assert page.url.endswith(QUEUE), page.url
    check_accessibility(page, f"moderation-queue-after-actions-{language}")

    # Loaded again, the queue no longer lists them.
    page.goto(QUEUE)
    for dom_id in dom_ids:
        expect(page.locator(f"#{dom_id}")).to_have_count(0)
    page.goto("/moderation")
    for dom_id in dom_ids:
        expect(page.locator(f"#{dom_id}")).to_have_count(0)

    # The audit log, read by the city commission's administrator: one event per item.
    admin = new_page(language, viewport=PHONE)
    log_in(admin, CITY_ADMIN, demo_password)
    for rid, action in zip(ids, ("response.publish", "response.reject", "response.publish"), strict=True):
        admin.goto(f"/audit?action={action}&object=Response&object_id={rid}")
        rows = admin.locator("#audit-results tbody tr")
        # Exactly one such event for the response, by the 渝中区 moderator.
        expect(rows).to_have_count(1)
        expect(rows.first.locator("code.audit-action")).to_have_text(action)
        expect(rows.first).to_contain_text("渝中区审核员 李娜")
        if action == "response.reject":
            # The reason the moderator chose, in the language of the moderator's page.
            expect(rows.first.locator(".audit-data")).to_contain_text(translate(language, "Personal attack"))
