"""Helpers every view uses: htmx-aware rendering, the one answer to "someone changed this
first", safe redirects, loading objects or 404, numbers from the request, streamed CSV, and
conditional GET (304) for pages of records that never change."""

import csv
import functools
import hashlib
import io
import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from flask import (
    abort,
    current_app,
    flash,
    g,
    has_request_context,
    make_response,
    redirect,
    render_template,
    request,
    session,
    stream_with_context,
    url_for,
)
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup
from sqlalchemy import event, select
from sqlalchemy.orm import Session, joinedload
from werkzeug.http import is_resource_modified
from werkzeug.routing import IntegerConverter

from portal import policy
from portal.domain import DomainError
from portal.extensions import client_address, db, sqlite_write_transaction
from portal.i18n import LANGUAGE_PARAMETER, locale_and_timezone, page_language
from portal.models import School
from portal.text import quoted_inside, whole_number

# The largest id the databases hold (32-bit integer columns). A larger one exists nowhere.
MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    """`<int:...>` in every route: ASCII digits, 1 to MAX_ID, written as the portal writes it.
    Anything else (0, an id no column can hold, "²", and a leading zero: /decisions/007 would
    be a page of its own for each number of zeros, in the page cache too) is a 404 at routing,
    before a view or a query sees it."""

    regex = r"[1-9][0-9]*"

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


def htmx_target() -> str | None:
    """The id of the element an htmx request will swap (which part of a page it asks for), or
    None for a request that is not htmx's."""
    return request.headers.get("HX-Target") if is_htmx() else None


def render_page_or_fragment(page: str, fragment: str, status: int = 200, **context):
    """The full page for a normal request, the fragment alone for htmx (the page includes the fragment)."""
    return render_template(fragment if is_htmx() else page, **context), status


def redirect_to(url: str):
    """303 after a POST, so reloading the next page never resubmits the form.
    htmx follows redirects itself; HX-Location would skip the page's own history entry."""
    if is_htmx():
        return "", 204, {"HX-Redirect": url}
    return redirect(url, code=303)


def changed_then_back(page_url: str, change: Callable[[], object], said: Callable[[], str]):
    """A button beside one row of a list (send an invitation again, withdraw a code): `change()`
    (one service call) committed, and `said()` flashed; or, refused, the refusal's words flashed
    and nothing committed. Back to the list either way."""
    try:
        change()
    except DomainError as error:
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(said(), "success")
    return redirect_to(page_url)


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
    return page_language()


def template_url_for(endpoint: str, **values) -> str:
    """url_for as templates call it. An address with no values (the header's and the footer's
    links, a static file's fingerprinted name) is the same on every page of a request's
    application root: it is built once per application and root and taken again (building one
    costs about 18 µs, and the layout has fifteen). Anything else is url_for's."""
    if (values and (endpoint != "static" or values.keys() != {"filename"})) or not has_request_context():
        return url_for(endpoint, **values)
    key = (endpoint, values.get("filename"), request.script_root)
    built = current_app.extensions.setdefault("plain_addresses", {})
    address = built.get(key)
    if address is None:
        address = built[key] = url_for(endpoint, **values)
    return address


# How much HTML a process keeps made (made_once), in characters: about a thousand cards of
# responses of an everyday length, a few dozen consultations' pages of them. A card holds at
# most 25,000 characters (a comment and ten long answers); the key holds the same text again.
MADE_ONCE_CHARACTERS = 2_000_000


class _MadeOnce:
    """The pieces made_once keeps: the most recently used, at most `budget` characters of HTML
    in all (a count of entries would not bound the memory: a card is 500 characters or 25,000)."""

    def __init__(self, budget: int):
        self.budget = budget
        self.used = 0
        self.pieces: OrderedDict = OrderedDict()
        self.lock = threading.Lock()  # the development server runs a thread per request

    def get(self, key) -> Markup | None:
        with self.lock:
            piece = self.pieces.get(key)
            if piece is not None:
                self.pieces.move_to_end(key)
            return piece

    def put(self, key, piece: Markup) -> None:
        with self.lock:
            if key in self.pieces or len(piece) > self.budget:
                return
            self.pieces[key] = piece
            self.used += len(piece)
            while self.used > self.budget:
                _key, oldest = self.pieces.popitem(last=False)
                self.used -= len(oldest)

    def clear(self) -> None:
        with self.lock:
            self.pieces.clear()
            self.used = 0


made_once_kept = _MadeOnce(MADE_ONCE_CHARACTERS)


def made_once(template: str, macro: str, *args) -> Markup:
    """The HTML that `macro` of `template` makes of `args` in the page's language, made once per
    process and taken again for the same arguments (in the same language and time zone): for a
    piece that many pages and many viewers show alike, whatever else the page holds (a
    response's card, shown to visitors, parents and staff on every visit of its consultation).

    Correct by construction, not by being renewed: the arguments are the key, and the macro is
    the template module's (Template.module), which sees only its arguments and the globals of
    the environment (_(), current_language()), never the request's context (current_user,
    request): nothing about the viewer reaches the HTML unless it is an argument. So the
    arguments must be plain values compared by value (str, int, enums, datetimes, tuples, named
    tuples and frozen dataclasses of them), never ORM objects (compared by identity, they would
    never be found again, and the cache would keep them and their session alive). The code's
    release is the process's; while templates reload as they are edited (development), nothing
    is kept. At most MADE_ONCE_CHARACTERS of HTML are kept, the most recently used."""
    for arg in args:
        if isinstance(arg, db.Model):
            raise TypeError(f"made_once takes plain values, not {type(arg).__name__}")
    if current_app.jinja_env.auto_reload:
        return _make(template, macro, args)
    # The language and the time zone are part of the key: get_template hands out the template in
    # the page's language (i18n.TranslatingEnvironment), and dates are written in the zone.
    key = (template, macro, page_language(), locale_and_timezone()[1], args)
    piece = made_once_kept.get(key)
    if piece is None:
        piece = _make(template, macro, args)
        made_once_kept.put(key, piece)
    return piece


def _make(template: str, macro: str, args: tuple) -> Markup:
    return Markup(getattr(current_app.jinja_env.get_template(template).module, macro)(*args))


def html_lang() -> str:
    return "en" if current_language() == "en" else "zh-CN"


def quoted_inside_in_chinese(title: str) -> str:
    """A title about to be set in 《》 on a Chinese page: its own 《》 become 〈〉 (text.quoted_inside).
    An English page, which does not set it in 《》, shows it as it is."""
    return quoted_inside(title) if current_language() == "zh" else title


def word_gap() -> str:
    """What stands between two pieces of running text a template puts side by side (a sentence
    and the next, a label and its link): a space in English, nothing in Chinese, whose
    full-width punctuation carries its own spacing ("核验副本：" then the link, not "： 链接")."""
    return "" if current_language() == "zh" else " "


def current_page_path() -> str:
    """The address of the page being shown, to come back to after logging in or switching
    language. After a POST that re-rendered a form, that is the page the form was on (from the
    Referer), not the address the form was posted to, which answers only POST."""
    if request.method == "GET":
        return _without_language(request.path, request.query_string.decode("latin-1"))
    try:
        referrer = urlsplit(request.referrer or "")
    except ValueError:  # a Referer that is not an address, such as "http://["
        return "/"
    if referrer.netloc == request.host and referrer.path:
        return _without_language(referrer.path, referrer.query)
    return "/"


def _without_language(path: str, query: str) -> str:
    """The address without its `?lang=`: it was remembered when the page was shown, and kept
    there it would undo the switcher's choice on the way back."""
    kept = [part for part in query.split("&") if part and part.split("=", 1)[0] != LANGUAGE_PARAMETER]
    return path + ("?" + "&".join(kept) if kept else "")


def found_or_404(obj):
    """The object, or a 404 page when it is None."""
    if obj is None:
        abort(404)
    return obj


def school_or_404(slug: str):
    """The school at /schools/<slug>, with its authority loaded, or a 404 page."""
    if not slug or len(slug) > 80:
        abort(404)
    query = select(School).where(School.slug == slug).options(joinedload(School.authority))
    return found_or_404(db.session.scalar(query))


def public_url(endpoint: str, **values) -> str:
    """The absolute address of a page as the public knows it: PORTAL_PUBLIC_URL and the path,
    never the Host a request came with (a client chooses that). For feeds, mails, PDFs, exports.
    Works in a job too (no request)."""
    base = current_app.config["PORTAL_PUBLIC_URL"].rstrip("/")
    if has_request_context():
        return base + url_for(endpoint, **values)
    with current_app.test_request_context("/", base_url=base):  # a host the portal trusts
        return base + url_for(endpoint, **values)


def public_host() -> str:
    """The host name of PORTAL_PUBLIC_URL (for identifiers that must not change: calendar UIDs)."""
    return urlsplit(current_app.config["PORTAL_PUBLIC_URL"]).hostname or "localhost"


def managed_school(slug: str, action: str):
    """The school whose management page this is, for someone who may take `action` there: a
    visitor is asked to log in, staff of other schools and districts get 404, others 403."""
    school = school_or_404(slug)
    policy.require(current_user, action, school)
    return school


def conflict(page: str, fragment: str, *, page_context: Callable[[], dict] | None = None, **context):
    """The one answer to "someone changed this first" (or "its state no longer allows this"):
    409, and the part of the page as it is now, with the message, for htmx (base.html's htmx
    configuration swaps 409 as it swaps 422); the whole page, with the message, without htmx.
    `page_context` adds what only the whole page needs (its queries are not run for htmx)."""
    if is_htmx():
        return render_template(fragment, **context), 409
    return render_template(page, **{**context, **(page_context() if page_context else {})}), 409


# --- rate limits --------------------------------------------------------------------------


def account_key() -> str:
    """Rate limits per account: parents behind one school's or one carrier's shared address are
    not limited together. Visitors are counted by address."""
    if current_user.is_authenticated:
        return f"account:{current_user.id}"
    return f"ip:{client_address()}"


def stored_only(response) -> bool:
    """Only what was accepted counts towards a limit (a redirect, htmx's fragment or redirect),
    not a form with mistakes (422) or a refusal."""
    return response.status_code < 400


def configured_limit(name: str) -> Callable[[], str]:
    """A limit read from the settings (portal/config.py) when the request comes, so that tests and
    deployments can change it."""
    return lambda: current_app.config[name]


def int_arg(name: str, max_digits: int = 9) -> int | None:
    """A whole number from the query string, or None for anything else.

    The rule: only ASCII digits, at most `max_digits` of them, count (portal.text.whole_number).
    Anything else — a digit of another script ("²", "٣", full-width "３"), a sign ("-1", "+2"), a
    number too long, an empty value, text — is ignored: the caller uses its default (no filter;
    page_arg: the first page), and the page answers 200.

    Why not 404 or 422, as for an id in the path or in a posted form (which names one object, and
    is wrong if it names none): a query argument only narrows or pages a list a visitor reads.
    It comes from the address bar, an old bookmark, a link copied by a chat app that changed its
    characters, or a crawler; the list without that refinement is what such a visitor can use,
    where an error page would be a dead end. Ignoring it reveals nothing and costs nothing (the
    default list is the one anybody sees), and the page's own controls show what it shows, so
    nobody is misled into thinking a filter applies. A form that a person fills in (a year, an
    amount) is validated by its form class instead, with a message beside the field."""
    return whole_number(request.args.get(name, ""), max_digits)


def form_ids(name: str, most: int = 100) -> list[int]:
    """The ids posted under `name` (checkboxes), at most `most`, in order, each once; what is
    not an id is left out."""
    ids = []
    for value in request.form.getlist(name)[:most]:
        number = whole_number(value)
        if number and number <= MAX_ID and number not in ids:
            ids.append(number)
    return ids


def text_arg(name: str, max_length: int) -> str:
    """Text from the query string (a search, a filter), at most `max_length` characters, without
    control characters (never in what people search for; PostgreSQL refuses a NUL in a query)."""
    value = request.args.get(name, "")[:max_length]
    return "".join(ch for ch in value if unicodedata.category(ch) != "Cc").strip()


def page_arg() -> int:
    """The `page` of a paginated list: 1 unless a sensible page number was asked for."""
    return int_arg("page", max_digits=5) or 1


def query_args(*names: str) -> Callable:
    """Says which query arguments a page that visitors read takes (beside `?lang=`, which every
    page takes): `@query_args("state", "district", "page")` under the route.

    A visitor's request for such a page reaches the view with those arguments alone, in the order
    of their names; others are left out before the page cache looks it up (page_cache.py). The
    same page for `?state=closed`, `?state=closed&from=groupmessage&isappinstalled=0` (what WeChat
    adds to a link shared in a group, the way most parents here are sent one) and
    `?utm_source=x&state=closed` is then kept once and served to all of them, and a made-up
    argument (`?x=1`, `?x=2`, ...) cannot make the portal render a page again for each. Since the
    view never sees what is not named here, no argument it reads can be missing from the cache's
    key: a page that read one it did not name would find it empty, for every visitor alike (its
    tests show that), never serve one visitor's page to another."""

    def declare(view: Callable) -> Callable:
        view.query_args = frozenset(names)
        return view

    return declare


# --- one writer at a time (SQLite) -----------------------------------------------------------

# Methods that change something: their transaction takes SQLite's write lock when it begins.
WRITING_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def reads_only(view):
    """For a POST that changes nothing (a check while typing, a preview, /verify): its
    transaction only reads, so it never holds the write lock that other writers wait for."""
    view.takes_write_lock = False
    return view


def reads_first(view):
    """For a POST whose costly part only reads (logging in: checking a password takes tens of
    milliseconds): its transaction begins without the write lock, and the view calls
    `write_lock_from_here()` once that part is done, before it changes anything. Other writers
    do not wait for the costly part."""
    view.takes_write_lock = False
    return view


def write_lock_from_here() -> None:
    """Ends the request's reading transaction (a `reads_first` view wrote nothing in it): what
    follows begins a transaction that takes SQLite's write lock first, and reads afresh what the
    writers before it committed. Objects loaded before are loaded again at their next use.
    Ended by a commit, not a rollback: a rollback would also forget objects added to the session
    and not yet flushed (the tests' data, which they hand to the request in the same session)."""
    db.session.commit()
    g.pop("change_committed", None)  # nothing was changed yet: a fault from here says so
    sqlite_write_transaction.set(True)


def writes(view):
    """For a GET that changes something (opening a notification marks it read): its transaction
    takes the write lock first, as a POST's does."""
    view.takes_write_lock = True
    return view


def unavailable_says(title, message):
    """The words of the "try again" page (503, errors.render_unavailable) when this view meets a
    fault: the database gone, full or locked for too long, or the disk full. They say what did
    not happen ("nothing was published"); the page offers to send the same form again."""

    def mark(view):
        view.unavailable_words = (title, message)
        return view

    return mark


def _view_function():
    if not has_request_context() or request.endpoint is None:
        return None
    return current_app.view_functions.get(request.endpoint)


def unavailable_words() -> tuple | None:
    """(title, message) the current view gave with `unavailable_says`, or None; only when the
    request was to change something (the same address shows a form with GET: nothing was lost)
    and its change was not committed yet (a fault after the commit must not say "not sent")."""
    if request.method not in WRITING_METHODS or g.get("change_committed"):
        return None
    return getattr(_view_function(), "unavailable_words", None)


def _takes_write_lock() -> bool:
    chosen = getattr(_view_function(), "takes_write_lock", None)
    return chosen if chosen is not None else request.method in WRITING_METHODS


def register(app) -> None:
    """SQLite has one writer at a time. A transaction that reads and then writes, begun as a plain
    (deferred) BEGIN, cannot write once another writer has committed since its read: SQLite
    answers "database is locked" at once, without waiting. So a request that writes begins its
    transactions with BEGIN IMMEDIATE (extensions._sqlite_on_begin): it waits for the write lock
    (the busy timeout, PORTAL_SQLITE_BUSY_SECONDS) before it reads, and then reads what the writer
    before it committed, as a row lock makes it on PostgreSQL. Readers never wait (WAL), and
    PostgreSQL is not concerned (its BEGIN is its own)."""

    def write_lock_first():
        if _takes_write_lock():
            sqlite_write_transaction.set(True)

    def plain_begin_again(error=None):
        sqlite_write_transaction.set(False)

    # First of all: the rate limiter and the security checks load the person from the database
    # before the view runs, and that query begins the request's transaction.
    app.before_request_funcs.setdefault(None, []).insert(0, write_lock_first)
    app.teardown_request(plain_begin_again)


@event.listens_for(Session, "after_commit")
def _change_committed(session):
    """The request's change is committed (views commit once): what it still reads to answer (the
    page after) begins a plain transaction, never waiting for other writers, and a fault from
    here on does not say the change was not made. A savepoint released (begin_nested) fires
    after_commit too, and commits nothing yet."""
    if session.in_nested_transaction():
        return
    sqlite_write_transaction.set(False)
    if has_request_context():
        g.change_committed = True


def spreadsheet_safe(value):
    """Spreadsheets run a cell that starts with = + - @ (or a tab or return before them) as a
    formula: a name, an email or a comment in the data could. A leading apostrophe makes them
    show it as the text it is. Numbers and empty cells pass as they are."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


CSV_CHUNK = 64 * 1024  # characters sent at a time: fewer, larger writes than one per row


def csv_response(rows: Iterable[Sequence], filename: str):
    """Rows as a CSV download, streamed as they are read (never all in memory): UTF-8 with a BOM,
    so that Excel reads Chinese right, and every text cell safe from spreadsheet formulas.
    `rows` may be a generator reading the database a batch at a time; the first is the header."""

    def chunks():
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        buffer.write("\ufeff")
        for row in rows:
            writer.writerow([spreadsheet_safe(cell) for cell in row])
            if buffer.tell() >= CSV_CHUNK:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    response = current_app.response_class(stream_with_context(chunks()), content_type="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response  # Cache-Control as for every page: no-store for anyone logged in (security.py)


# --- what other features add to a page ------------------------------------------------------

_page_extras: dict[str, list[Callable]] = {}


def adds_to(page: str):
    """Register a function that gives a feature's part of another feature's page (a dict for its
    template), without that page's feature knowing it: notifications add the follow button to
    "school" and "consultation" pages. The function takes the page's subject and the viewer."""

    def register(provider: Callable):
        _page_extras.setdefault(page, []).append(provider)
        return provider

    return register


def extras(page: str, subject) -> dict:
    """What the registered features add to `page` about `subject`, for its template."""
    added: dict = {}
    for provider in _page_extras.get(page, ()):
        added.update(provider(subject, current_user))
    return added


# --- pages that change only when their records do ----------------------------------------------


@dataclass(frozen=True)
class PageValidators:
    """The ETag and Last-Modified of a page built from records that never change (an adopted
    charter version, a stored comparison): a browser that holds the page asks again with them
    and gets 304 Not Modified, without the page being built again."""

    etag: str
    last_modified: datetime


@functools.cache
def code_release(root: str, templates: str) -> tuple[str, datetime]:
    """A fingerprint of the code and templates this process serves, and when they last changed:
    a new release changes every page, so a page kept from before it is not 'not modified'."""
    digest, newest = hashlib.sha256(), 0
    for folder in (root, templates):
        for path in sorted(Path(folder).rglob("*")):
            if path.suffix in (".py", ".html", ".mo") and path.is_file():
                stat = path.stat()
                digest.update(f"{path}:{stat.st_mtime_ns}:{stat.st_size}\n".encode())
                newest = max(newest, stat.st_mtime_ns)
    return digest.hexdigest()[:16], datetime.fromtimestamp(newest / 1e9, tz=UTC)


def page_validators(*parts, last_modified: datetime | None, is_page: bool = True) -> PageValidators | None:
    """Validators for a page that changes only when `parts` (ids, dates, names of what it shows)
    or `last_modified` (the newest change of its records) do, as a visitor who is not logged in
    sees it in this language, at this address, from this release. None for anyone logged in
    (their pages hold their name and counts, and are never stored: security.py) and for a page
    with a message waiting to be shown once (flash). `is_page=False`: a file (an export), which
    carries no CSRF token, so none is made for it (nor a session, nor a cookie)."""
    if current_user.is_authenticated or session.get("_flashes"):
        return None
    token = ""
    if is_page and not g.get("page_is_shared"):
        # The page carries the session's CSRF token (base.html): made now, so that the session
        # holds it from this first answer on, and a page held from another session never matches.
        # A page kept for every visitor (portal/page_cache.py) carries none.
        generate_csrf()
        token = session.get(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), "")
    release, released_at = code_release(current_app.root_path, current_app.template_folder)
    fingerprint = repr((release, current_language(), is_htmx(), request.full_path, token, parts))
    newest = max(filter(None, (last_modified, released_at)))
    return PageValidators(hashlib.sha256(fingerprint.encode()).hexdigest()[:32], newest)


def not_modified(validators: PageValidators | None):
    """304 Not Modified when the browser's copy of the page is still the page (If-None-Match,
    or failing that If-Modified-Since); else None, and the view builds the page."""
    if validators is None or is_resource_modified(
        request.environ, etag=validators.etag, last_modified=validators.last_modified
    ):
        return None
    return with_validators(make_response("", 304), validators)


def with_validators(response, validators: PageValidators | None):
    """The response with its ETag and Last-Modified (none for a page that has no validators)."""
    if validators is not None:
        response.set_etag(validators.etag)
        response.last_modified = validators.last_modified
    return response
