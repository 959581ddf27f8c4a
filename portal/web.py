"""Small helpers every view uses: htmx-aware rendering, safe redirects, loading objects or 404."""

import functools
from urllib.parse import urlsplit

from flask import abort, redirect, render_template, request
from flask_babel import get_locale
from sqlalchemy.exc import OperationalError

from portal.extensions import db, sqlite_write_transaction


def is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


def render_page_or_fragment(page: str, fragment: str, status: int = 200, **context):
    """The full page for a normal request, the fragment alone for htmx (the page includes the fragment)."""
    return render_template(fragment if is_htmx() else page, **context), status


def redirect_to(url: str):
    """303 after a POST, so reloading the next page never resubmits the form.
    htmx follows redirects itself; HX-Location would skip the page's own history entry."""
    if is_htmx():
        return "", 204, {"HX-Redirect": url}
    return redirect(url, code=303)


def safe_next(target: str | None, default: str) -> str:
    """Only a path on this site: never another host (`//evil.example`, `https://...`, `\\\\evil`)."""
    if not target or len(target) > 2000:  # a huge Location header breaks proxies
        return default
    target = target.strip()
    try:
        parts = urlsplit(target)
    except ValueError:  # not even an address, such as "//[" (an unclosed IPv6 host)
        return default
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    if any(ord(ch) < 32 for ch in target):
        return default
    return target


def get_or_404(model, ident):
    obj = db.session.get(model, ident)
    if obj is None:
        abort(404)
    return obj


def current_language() -> str:
    return str(get_locale() or "zh")[:2]


def html_lang() -> str:
    return "en" if current_language() == "en" else "zh-CN"


def current_page_path() -> str:
    """The address of the page being shown, to come back to after logging in or switching
    language. After a POST that re-rendered a form, that is the page the form was on (from the
    Referer), not the address the form was posted to, which answers only POST."""
    if request.method == "GET":
        return request.full_path.rstrip("?")
    try:
        referrer = urlsplit(request.referrer or "")
    except ValueError:  # a Referer that is not an address, such as "http://["
        return "/"
    if referrer.netloc == request.host and referrer.path:
        return referrer.path + (f"?{referrer.query}" if referrer.query else "")
    return "/"


def found_or_404(obj):
    """The object, or a 404 page when it is None."""
    if obj is None:
        abort(404)
    return obj


def school_or_404(slug: str):
    """The school at /schools/<slug>, with its authority loaded, or a 404 page."""
    from portal.schools.services import school_by_slug  # web helpers are imported by every feature

    return found_or_404(school_by_slug(slug))


def int_arg(name: str, max_digits: int = 9) -> int | None:
    """A whole number from the query string, or None for anything else (negative, huge, text)."""
    value = request.args.get(name, "")
    return int(value) if value.isdigit() and len(value) <= max_digits else None


def page_arg() -> int:
    """The `page` of a paginated list: 1 unless a sensible page number was asked for."""
    return int_arg("page", max_digits=5) or 1


def retry_once_if_database_busy(view):
    """For a view that reads a row and then changes it. SQLite has one writer, and a transaction
    that read before another one committed cannot write after it: it fails with "database is
    locked". Run once more, in a transaction that takes the write lock first (waiting for the
    other writer), the view reads what the other committed and answers as it does on PostgreSQL,
    where the row lock makes it wait: typically 409, "someone else handled this". Any other error,
    or a second failure, is raised as it is."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        try:
            return view(*args, **kwargs)
        except OperationalError as error:
            if "database is locked" not in str(error.orig):
                raise
            db.session.rollback()  # the next query begins a new transaction, with the write lock
            token = sqlite_write_transaction.set(True)
            try:
                return view(*args, **kwargs)
            finally:
                sqlite_write_transaction.reset(token)

    return wrapper
