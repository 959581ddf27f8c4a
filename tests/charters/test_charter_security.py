"""Whatever an author types into a charter, readers' browsers run none of it: scripts, iframes,
event handlers, `javascript:` links and htmx attributes come out as inert text."""

import re
from html.parser import HTMLParser

import pytest

from tests.helpers.pages import ENGLISH, HTMX

HOSTILE = (
    "# 第一章 <script>alert('chapter')</script>总则\n"
    "\n"
    "**第一条** <script>alert('article')</script> <iframe src=\"https://evil.example/\"></iframe>\n"
    "\n"
    "**第二条** [点这里](javascript:alert('link')) <img src=x onerror=\"alert('img')\">\n"
    "\n"
    '**第三条** <a href="/logout" hx-post="/logout" hx-trigger="load">退出</a> '
    '<div hx-get="/me" hx-trigger="every 1s">轮询</div>\n'
    "\n"
    "**第四条** [data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==) "
    "<svg onload=\"alert('svg')\"></svg>\n"
)


class Tags(HTMLParser):
    """Every element and attribute of a page, as a browser would see them."""

    def __init__(self):
        super().__init__()
        self.tags = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def elements(page: str):
    parser = Tags()
    parser.feed(page)
    return parser.tags


def assert_inert(page: str, allowed_htmx=()):
    """No script but ours, no embedded content, no event handler, no script or data link, and no
    htmx attribute but `allowed_htmx` and the CSRF header base.html puts on <body>."""
    tags = elements(page)
    allowed_htmx = {*allowed_htmx, "hx-headers"}
    scripts = [attrs.get("src", "") for tag, attrs in tags if tag == "script"]
    # only htmx and our own script (under their fingerprinted names: portal/static_files.py)
    plain = [re.sub(r"\.[0-9a-f]{12}\.js$", ".js", src) for src in scripts]
    assert plain in (["/static/vendor/htmx.min.js", "/static/js/portal.js"], []), scripts
    # No embedded content below the site's own header (whose icons are SVG: base.html), where
    # what people wrote is shown.
    below_header = elements(page[page.index("</header>") :]) if "</header>" in page else tags
    embedded = [tag for tag, _ in below_header if tag in {"iframe", "img", "svg", "object", "embed"}]
    assert not embedded, embedded
    for tag, attrs in tags:
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name)
            assert not (name.startswith("hx-") and name not in allowed_htmx), (tag, name)
            if name in {"href", "src", "action"} and tag != "link":  # base.html's empty favicon is data:,
                assert not (value or "").strip().lower().startswith(("javascript:", "data:")), (tag, name, value)


@pytest.fixture
def hostile_charter(school, add_version):
    add_version(school, "**第一条** 原文。")
    return add_version(school, HOSTILE, note="<script>alert('note')</script>")


def test_charter_with_scripts_and_htmx_attributes_is_shown_inert(client, school, hostile_charter):
    page = client.get(f"/schools/{school.slug}/charter", headers=ENGLISH).get_data(as_text=True)

    assert_inert(page)
    assert "&lt;script&gt;alert('article')&lt;/script&gt;" in page  # shown as the text it is
    assert "&lt;script&gt;alert(&#39;note&#39;)&lt;/script&gt;" in page


def test_diff_of_a_hostile_charter_is_inert(client, school, hostile_charter):
    page = client.get(f"/schools/{school.slug}/charter/diff?from=1&to=2", headers=ENGLISH).get_data(as_text=True)

    assert_inert(page)
    assert "alert(&#39;article&#39;)" in page


def test_history_of_a_hostile_charter_is_inert(client, school, hostile_charter):
    assert_inert(client.get(f"/schools/{school.slug}/charter/versions", headers=ENGLISH).get_data(as_text=True))


def test_preview_of_a_hostile_draft_is_inert(client, login_as, make_user, school):
    login_as(make_user(role="school_admin", scope=school))
    client.post(f"/schools/{school.slug}/manage/charter/drafts", data={"starting_point": "empty"})

    fragment = client.post(
        f"/schools/{school.slug}/manage/charter/versions/1/preview",
        data={"body": HOSTILE, "change_note": ""},
        headers={**HTMX, **ENGLISH},
    ).get_data(as_text=True)
    page = client.post(
        f"/schools/{school.slug}/manage/charter/versions/1/edit",
        data={"body": HOSTILE, "change_note": "", "action": "preview"},
        headers=ENGLISH,
    ).get_data(as_text=True)

    assert_inert(fragment, allowed_htmx={"hx-swap-oob"})
    # The edit page's own preview button, the text area's live preview and the CSRF header are
    # ours; the text's are not there.
    assert_inert(page, allowed_htmx={"hx-post", "hx-target", "hx-swap", "hx-trigger", "hx-sync"})
    preview = page[page.index('id="charter-preview"') :]
    assert "hx-" not in "".join(name for _tag, attrs in elements(preview) for name in attrs)
