"""Reading pages in tests: field messages, CSRF tokens, logged-in clients."""

import html
import re
from html.parser import HTMLParser
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


class _FormReader(HTMLParser):
    """The values each form of a page would send, as a browser fills them: text inputs and hidden
    ones, ticked boxes and radios, the chosen option of each select, textareas; by form action."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: dict[str, dict[str, list[str]]] = {}
        self._form = None
        self._select = None
        self._first_option = None
        self._option = None
        self._textarea = None

    def _add(self, name, value):
        if self._form is not None and name:
            self._form.setdefault(name, []).append(value)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form":
            self._form = self.forms.setdefault(attributes.get("action") or "", {})
        elif tag == "input":
            kind = (attributes.get("type") or "text").lower()
            if kind in ("checkbox", "radio"):
                if "checked" in attributes:
                    self._add(attributes.get("name"), attributes.get("value") or "on")
            elif kind not in ("submit", "button", "reset", "file"):
                self._add(attributes.get("name"), attributes.get("value") or "")
        elif tag == "textarea":
            self._textarea = [attributes.get("name"), ""]
        elif tag == "select":
            self._select = [attributes.get("name"), None]
            self._first_option = None
        elif tag == "option" and self._select is not None:
            self._option = [attributes.get("value"), "", "selected" in attributes]

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data
        if self._option is not None:
            self._option[1] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "textarea" and self._textarea is not None:
            name, text = self._textarea
            # HTML drops the line break that follows <textarea> (WTForms writes \r\n there).
            self._add(name, text.removeprefix("\r").removeprefix("\n"))
            self._textarea = None
        elif tag == "option" and self._option is not None:
            value, text, selected = self._option
            value = text.strip() if value is None else value
            if self._first_option is None:
                self._first_option = value
            if selected:
                self._select[1] = value
            self._option = None
        elif tag == "select" and self._select is not None:
            name, chosen = self._select
            self._add(name, chosen if chosen is not None else (self._first_option or ""))
            self._select = None


def forms_on(page: str, under: str = "") -> dict[str, dict[str, list[str]]]:
    """The forms of the page whose action starts with `under` (the page's own, not the header's
    language and logout forms), by action: {field name: [values]} as the browser would send
    them (without the CSRF token, which changes with each page)."""
    reader = _FormReader()
    reader.feed(page)
    for values in reader.forms.values():
        values.pop("csrf_token", None)
    return {action: values for action, values in reader.forms.items() if action.startswith(under)}


def form_data(page: str, action: str) -> dict[str, list[str]]:
    """What the form posting to `action` would send, as forms_on reads it."""
    forms = forms_on(page)
    assert action in forms, f"the page has no form posting to {action}: {sorted(forms)}"
    return forms[action]


def without_form_tokens(page: str) -> str:
    """A page without its form tokens (the form's and htmx's), which carry the second they were
    made: for comparing two pages that must say the same."""
    return re.sub(r'("X-CSRFToken": "|name="csrf_token" value=")[^"]+', r"\1…", page)
