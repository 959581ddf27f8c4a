"""Reading pages in tests: field messages, CSRF tokens, logged-in clients."""

import html
import re
from urllib.parse import parse_qs, urlsplit

ENGLISH = {"Accept-Language": "en"}
HTMX = {"HX-Request": "true"}
PASSWORD = "correct horse battery"  # every make_user account's, unless a test gives another


def field_error(page: str, field_id: str) -> str | None:
    """The text of the message shown beside a field (`<p class="error" id="<field>-error">`), or None."""
    match = re.search(rf'<p class="error" id="{re.escape(field_id)}-error">(.*?)</p>', page, re.S)
    return html.unescape(match.group(1)).strip() if match else None


def field_value(page: str, field_id: str) -> str | None:
    """The value an <input> with this id carries in the page."""
    tag = re.search(rf'<input[^>]*\bid="{re.escape(field_id)}"[^>]*>', page)
    if tag is None:
        return None
    value = re.search(r'\bvalue="([^"]*)"', tag.group(0))
    return html.unescape(value.group(1)) if value else ""


def csrf_token_from(page: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or re.search(
        r'name="csrf_token" value="([^"]+)"', page
    )
    assert match, "the page has no CSRF token"
    return match.group(1)


def location_path(response) -> str:
    """Where a redirect leads, as a path (with its query), whatever form the Location has."""
    location = response.headers["Location"]
    parts = urlsplit(location)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def location_query(response) -> dict[str, list[str]]:
    return parse_qs(urlsplit(response.headers["Location"]).query)


def session_id(user) -> str:
    """A new logged-in session of `user` (as logging in makes one): what Flask-Login keeps."""
    from portal.accounts import services
    from portal.extensions import db

    services.start_session(user, user_agent="pytest")
    db.session.commit()  # as logging in does (the tests' transaction is rolled back after them)
    return user.get_id()


def log_in(client, user):
    """Log `client` in as `user` the way the login_as fixture does, for a second client."""
    logged_in = session_id(user)  # before the session transaction, whose end closes the database session
    with client.session_transaction() as session:
        session["_user_id"] = logged_in
        session["_fresh"] = True
    return client


CJK = re.compile(r"[\u4e00-\u9fff]")


def heading(page: str) -> str:
    """The text of the page's first <h1>."""
    match = re.search(r"<h1[^>]*>(.*?)</h1>", page, re.S)
    assert match, "the page has no <h1>"
    return html.unescape(re.sub(r"<[^>]+>", "", match.group(1))).strip()
