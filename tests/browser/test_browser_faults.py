"""A fault while a parent sends feedback, in a real browser: the database fills up at the moment
of the commit. Without JavaScript the parent gets the prepared page (503) that says their
feedback was not sent and keeps it, with a button that sends it again; with JavaScript (htmx)
the form stays as typed and the page's alert says the same. Once the fault is gone, sending
again makes exactly one item. Chinese and English, on a phone and on a desktop."""

import re
import sqlite3
import uuid
from contextlib import contextmanager

import pytest
from flask import has_request_context, request
from flask_babel import gettext
from playwright.sync_api import expect
from sqlalchemy import event
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

pytestmark = pytest.mark.browser

SLUG = "jiefang-road-primary"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
LOCALES = {"zh": "zh-CN", "en": "en-US"}
NOT_SENT = "Your feedback was not sent"
NOT_RECEIVED = (
    "The portal could not store your feedback, so the school has not received it. Please send it again in a moment."
)


def assert_fits(page, name: str) -> None:
    width = page.viewport_size["width"]
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width, f"{name} scrolls sideways"


def in_language(live_server, language: str, message: str) -> str:
    """`message` as the live server says it in `language` (its catalogues)."""
    with live_server.app.test_request_context(headers={"Accept-Language": LOCALES[language]}):
        return str(gettext(message))


@contextmanager
def database_full_when_feedback_is_sent():
    """The live server's commit of a feedback POST fails as SQLite fails it when the disk is full."""

    def refuse(session):
        if has_request_context() and request.method == "POST" and request.path == f"/schools/{SLUG}/feedback":
            raise OperationalError("COMMIT", {}, sqlite3.OperationalError("database or disk is full"))

    event.listen(Session, "before_commit", refuse)
    try:
        yield
    finally:
        event.remove(Session, "before_commit", refuse)


def _the_same_page(new_page, page, language):
    """A page (with scripts) showing exactly what `page` shows, at its address."""
    html, url = page.content(), page.url
    same = new_page(language, viewport=PHONE)
    same.route(url, lambda route: route.fulfill(status=503, body=html, content_type="text/html; charset=utf-8"))
    same.goto(url)
    return same


def _fill_in(page, text):
    page.goto(f"/schools/{SLUG}/feedback")
    page.locator("#category").select_option("canteen")
    page.locator("#body").fill(text)


@pytest.mark.parametrize("language", ["zh", "en"])
def test_without_javascript_the_prepared_page_keeps_the_feedback_and_sends_it_again(
    browser, new_page, live_server, check_accessibility, log_in, demo_password, language
):
    text = f"浏览器测试：食堂太咸 {uuid.uuid4().hex[:8]}"
    context = browser.new_context(
        base_url=live_server.url, locale=LOCALES[language], viewport=PHONE, java_script_enabled=False
    )
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        log_in(page, "parent@example.org", demo_password)
        _fill_in(page, text)

        with database_full_when_feedback_is_sent():
            with page.expect_response(lambda r: r.request.method == "POST") as answer:
                page.locator("#feedback-form button[type=submit]").click()
            page.wait_for_load_state("load")

        assert answer.value.status == 503 and answer.value.headers["retry-after"] == "30"
        expect(page.locator("h1")).to_have_text(in_language(live_server, language, NOT_SENT))
        expect(page.locator("[data-problem]")).to_have_text(in_language(live_server, language, NOT_RECEIVED))
        expect(page.locator("form.send-again input[name=body]")).to_have_value(text)
        assert_fits(page, f"feedback not sent ({language})")
        # axe runs as a script: the same page, as it came, in a page that runs scripts.
        same = _the_same_page(new_page, page, language)
        check_accessibility(same, f"fault-feedback-not-sent-{language}-390")
        same.set_viewport_size(DESKTOP)
        check_accessibility(same, f"fault-feedback-not-sent-{language}-1280")

        with page.expect_navigation(url=re.compile(r".*/me/feedback/\d+$")):
            page.locator("form.send-again button[type=submit]").click()
        expect(page.locator(".feedback-body", has_text=text)).to_have_count(1)
        page.goto("/me/feedback")
        expect(page.locator(".feedback-body", has_text=text)).to_have_count(1)  # sent once
    finally:
        context.close()


@pytest.mark.parametrize("language", ["zh", "en"])
def test_with_htmx_the_form_stays_as_typed_and_the_alert_says_why(
    new_page, live_server, check_accessibility, log_in, demo_password, language
):
    text = f"浏览器测试：午餐太少 {uuid.uuid4().hex[:8]}"
    page = new_page(language, viewport=DESKTOP)
    log_in(page, "parent@example.org", demo_password)
    _fill_in(page, text)

    with database_full_when_feedback_is_sent():
        with page.expect_response(lambda r: r.request.method == "POST") as answer:
            page.locator("#feedback-form button[type=submit]").click()
        expect(page.locator("#request-problem")).to_be_visible()

    assert answer.value.status == 503
    expect(page.locator("#request-problem")).to_have_text(in_language(live_server, language, NOT_RECEIVED))
    expect(page.locator("#body")).to_have_value(text)
    check_accessibility(page, f"fault-feedback-htmx-{language}-1280")
    page.set_viewport_size(PHONE)
    assert_fits(page, f"feedback alert ({language})")
    check_accessibility(page, f"fault-feedback-htmx-{language}-390")

    with page.expect_navigation(url=re.compile(r".*/me/feedback/\d+$")):
        page.locator("#feedback-form button[type=submit]").click()
    page.goto("/me/feedback")
    expect(page.locator(".feedback-body", has_text=text)).to_have_count(1)
