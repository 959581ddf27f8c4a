"""The page cache: what a visitor without an account sees of a public page is built once and then
served from the cache, until anything it shows changes.

How it stays right (never stale):
- Only GET requests without a session or "remember me" cookie, not from htmx, for the pages in
  CACHED_ENDPOINTS, are looked up; a page is stored only when it answered 200, set no cookie,
  put nothing in the session, and carried no CSRF token (PageCacheMiddleware, _store_or_not).
  A person's page (logged in, a message waiting, a form with a token) is never stored or served.
  A visitor's request the cache would answer is built as a page for every visitor (no token, no
  session begun) with the cache switched off or out of reach too (SHARED): visitors read the same
  page, and are given no cookie for reading, whether it is kept or not.
- Every entry is keyed by the address (path and query), host, scheme and the page's language as
  the portal would choose it for that visitor (?lang=, the language cookie, then Accept-Language),
  and is served only if it was rendered at the cache's current *version* (both read in one round
  trip to Redis). Any commit that changed a row of a public-facing model bumps the version (the
  ORM listeners below), so the very next request renders afresh. The ORM rather than
  the features' events: a listener on the session sees every change, also those no event names
  (a school's profile edited, a display name changed, a tally counted, a command or job run), so
  a feature added tomorrow cannot forget to say so.
- What changes with the clock alone (a consultation opening or closing at its time, a charter or
  decision taking effect on a date, "today") is handled by the entries' lifetime: never past the
  next such moment (next_change_by_clock), and never more than PORTAL_PAGE_CACHE_SECONDS.

Where it is kept: with REDIS_URL in Redis (entries and version shared by every web process, on
every machine); without, entries in this process's memory and the version in a small file in
instance/ (PORTAL_PAGE_CACHE_VERSION_FILE), which the job worker bumps too.

A cached page carries an ETag (a hash of its bytes): a browser asking again with If-None-Match
gets 304 from the cache, nothing rendered. A page is also kept gzipped, compressed once when it is
kept: browsers that accept gzip (all of them) get a fifth of the bytes, which on a phone's slow
mobile data is most of the wait (`Vary: Accept-Encoding`; the gzipped copy has its own ETag).
"""

import gzip
import hashlib
import json
import logging
import os
import secrets
import threading
import time
import weakref
from collections import OrderedDict
from datetime import UTC, datetime, timedelta
from datetime import time as time_of_day
from functools import lru_cache
from itertools import chain
from urllib.parse import parse_qsl

from flask import Flask, current_app, g, has_app_context, request, session
from flask_wtf.csrf import generate_csrf
from sqlalchemy import event, func, inspect, select
from sqlalchemy.orm import Session
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header, parse_cookie, parse_etags

from portal import clock
from portal.charters.models import CharterVersion
from portal.consultations.models import Consultation
from portal.decisions.models import Decision
from portal.extensions import db

log = logging.getLogger(__name__)

# The pages a visitor reads. Not: forms that carry a token (login, registration, /verify), anything
# that answers to a person, and exports that are streamed (CSV and JSON: 100,000 responses).
CACHED_ENDPOINTS = frozenset(
    {
        "pages.home",
        "pages.privacy",
        "pages.terms",
        "schools.index",
        "pages.school",
        "charters.current",
        "charters.versions",
        "charters.version",
        "charters.diff",
        "meetings.index",
        "meetings.show",
        "meetings.body",
        "meetings.calendar",
        "decisions.index",
        "decisions.show",
        "decisions.feed",
        "decisions.school_feed",
        "feedback.new",
        "consultations.index",
        "consultations.show",
        "consultations.responses",
        "disclosure.school",
        "disclosure.published",
    }
)

# Rows no public page shows: changing them never changes a visitor's page. For the account, only
# what others read of it (its name, whether it was erased, whether it is active).
PRIVATE_TABLES = frozenset(
    {
        "account_session",
        "audit_event",
        "data_export",
        "invitation",
        "notification",
        "notification_preference",
        "mail",
        "follow",
        "consultation_report",
        "charter_diff",  # a comparison stored when first asked for: the same text either way
        "feedback_reference_counter",
        "log_cosignature",  # shown only by /log/checkpoint, which is not kept here; witnesses post often
    }
)
PUBLIC_USER_COLUMNS = frozenset({"display_name", "deleted_at", "active"})

STORE_HEADER = "X-Portal-Page-Cache"  # between the view side and the middleware; never sent
SHARED = "portal.shared_page"  # in the WSGI environ: a visitor's request the cache would answer


# --- where entries and the version are kept ------------------------------------------------------


class _Recent:
    """The most recently used values by key, at most `max_entries`, for every thread of this
    process: the local store's entries, and the entries a process served (PageCache)."""

    def __init__(self, max_entries: int):
        self.max_entries = max_entries
        self.items: OrderedDict[str, object] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: str):
        with self.lock:
            value = self.items.get(key)
            if value is not None:
                self.items.move_to_end(key)
            return value

    def put(self, key: str, value) -> None:
        with self.lock:
            self.items[key] = value
            self.items.move_to_end(key)
            while len(self.items) > self.max_entries:
                self.items.popitem(last=False)

    def pop(self, key: str) -> None:
        with self.lock:
            self.items.pop(key, None)

    def clear(self) -> None:
        with self.lock:
            self.items.clear()


class LocalStore:
    """Entries in this process's memory (the most recently used PORTAL_PAGE_CACHE_ENTRIES), the
    version in a file that every process of this machine reads and bumps."""

    def __init__(self, version_file: str, max_entries: int):
        self.version_file = version_file
        self.entries = _Recent(max_entries)

    def version(self) -> str:
        try:
            with open(self.version_file, "rb") as file:  # noqa: PTH123
                return file.read().decode() or "0"
        except FileNotFoundError:
            return "0"

    def bump(self) -> None:
        folder = os.path.dirname(self.version_file)
        if folder:
            os.makedirs(folder, exist_ok=True)
        temporary = f"{self.version_file}.{os.getpid()}.{secrets.token_hex(4)}"
        with open(temporary, "wb") as file:
            file.write(f"{time.time_ns()}-{secrets.token_hex(4)}".encode())
        os.replace(temporary, self.version_file)  # atomic: a reader sees the old or the new
        self.entries.clear()  # keyed by the old version: unreachable now, free them

    def lookup(self, key: str) -> tuple[str, bytes | None]:
        """The current version and the entry under `key` (of whichever version it was kept)."""
        return self.version(), self.get(key)

    def get(self, key: str) -> bytes | None:
        found = self.entries.get(key)
        if found is None:
            return None
        expires, value = found
        if expires <= time.time():
            self.entries.pop(key)
            return None
        return value

    def set(self, key: str, value: bytes, seconds: float) -> None:
        self.entries.put(key, (time.time() + seconds, value))

    def clear(self) -> None:
        self.entries.clear()


class RedisStore:
    """Entries and version in Redis, shared by every web process. Redis unreachable: no entry is
    found or kept (pages are rendered as without a cache), never an error page."""

    def __init__(self, url: str, prefix: str):
        import redis

        self.client = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self.prefix = prefix
        self.version_key = f"{prefix}:version"

    def version(self) -> str:
        value = self.client.get(self.version_key)
        return value.decode() if value else "0"

    def bump(self) -> None:
        self.client.incr(self.version_key)

    def lookup(self, key: str) -> tuple[str, bytes | None]:
        """The current version and the entry under `key`, in one round trip (MGET)."""
        version, value = self.client.mget(self.version_key, f"{self.prefix}:page:{key}")
        return (version.decode() if version else "0"), value

    def get(self, key: str) -> bytes | None:
        return self.client.get(f"{self.prefix}:page:{key}")

    def set(self, key: str, value: bytes, seconds: float) -> None:
        self.client.set(f"{self.prefix}:page:{key}", value, px=max(1, int(seconds * 1000)))

    def clear(self) -> None:
        for key in self.client.scan_iter(f"{self.prefix}:page:*", count=1000):
            self.client.delete(key)


_stores: "weakref.WeakSet[PageCache]" = weakref.WeakSet()


# --- the WSGI side: look up before the app, keep what it marked --------------------------------


def _pack(status: str, headers: list[tuple[str, str]], body: bytes, boundary: float, version: str) -> bytes:
    """An entry: its head (JSON, one line), the page's bytes, then the same gzipped if worth it."""
    compressed = _gzipped(headers, body)
    head = json.dumps([status, headers, boundary, version, len(body)]).encode()
    return head + b"\n" + body + (compressed or b"")


def _unpack(value: bytes) -> tuple[str, list[tuple[str, str]], bytes, float, str, bytes | None]:
    head, _, rest = value.partition(b"\n")
    status, headers, boundary, version, *length = json.loads(head)
    size = length[0] if length else len(rest)  # an entry kept before pages were gzipped: no copy
    return status, [tuple(pair) for pair in headers], rest[:size], boundary, version, rest[size:] or None


# Pages worth compressing: text of at least this many bytes (smaller ones gain less than a packet).
GZIP_MIN_BYTES = 1024
GZIP_TYPES = ("text/", "application/json", "application/atom+xml", "application/xml")


def _gzipped(headers: list[tuple[str, str]], body: bytes) -> bytes | None:
    if len(body) < GZIP_MIN_BYTES or any(name == "Content-Encoding" for name, _ in headers):
        return None
    content_type = next((value for name, value in headers if name == "Content-Type"), "")
    if not content_type.startswith(GZIP_TYPES):
        return None
    return gzip.compress(body, compresslevel=6, mtime=0)


@lru_cache(maxsize=256)
def _accepts_gzip(accept_encoding: str) -> bool:
    return parse_accept_header(accept_encoding).quality("gzip") > 0


@lru_cache(maxsize=256)
def _best_language(accept_language: str, available: tuple[str, ...], default: str) -> str:
    return parse_accept_header(accept_language, LanguageAccept).best_match(available) or default


class PageCache:
    """The WSGI middleware in front of the Flask app (portal/__init__.py wraps it)."""

    def __init__(self, wsgi_app, app: Flask):
        self.wsgi_app = wsgi_app
        self.config = app.config
        self.store = self._make_store(app)
        _stores.add(self)
        self._boundaries: dict[str, datetime] = {}
        # The entries this process last served, unpacked, by key: an entry never changes once
        # kept (a new version makes a new one), so while the version is the one it was kept at,
        # only the version is asked for (a few bytes), not the page again.
        self._served = _Recent(min(256, int(app.config["PORTAL_PAGE_CACHE_ENTRIES"])))

    @staticmethod
    def _make_store(app: Flask):
        config = app.config
        if config.get("REDIS_URL"):
            return RedisStore(config["REDIS_URL"], config["PORTAL_PAGE_CACHE_PREFIX"])
        return LocalStore(config["PORTAL_PAGE_CACHE_VERSION_FILE"], config["PORTAL_PAGE_CACHE_ENTRIES"])

    # The language the portal would choose for a visitor (portal/i18n.py select_locale), or None
    # when this request must reach the app (a ?lang= that sets the cookie).
    def _language(self, environ, cookies) -> str | None:
        available = tuple(self.config["PORTAL_LANGUAGES"])
        chosen = cookies.get("lang")
        asked = next((value for name, value in parse_qsl(environ.get("QUERY_STRING", "")) if name == "lang"), None)
        if asked in available:
            if chosen != asked and environ.get("HTTP_SEC_FETCH_DEST", "document") == "document":
                return None  # the app remembers it in a cookie
            return asked
        if chosen in available:
            return chosen
        return _best_language(environ.get("HTTP_ACCEPT_LANGUAGE", ""), available, self.config["BABEL_DEFAULT_LOCALE"])

    def key(self, environ) -> str | None:
        """The entry's key for this request, or None when the request is not one a cache answers."""
        if (
            environ.get("REQUEST_METHOD") != "GET"
            or environ.get("HTTP_HX_REQUEST")
            or environ.get("HTTP_AUTHORIZATION")
        ):
            return None
        path = environ.get("PATH_INFO", "")
        if path.startswith("/static/"):
            return None
        cookies = parse_cookie(environ.get("HTTP_COOKIE", "")) if environ.get("HTTP_COOKIE") else {}
        if (
            self.config["SESSION_COOKIE_NAME"] in cookies
            or self.config.get("REMEMBER_COOKIE_NAME", "remember_token") in cookies
        ):
            return None
        language = self._language(environ, cookies)
        if language is None:
            return None
        parts = (
            environ.get("wsgi.url_scheme", ""),
            environ.get("HTTP_HOST", ""),
            path,
            environ.get("QUERY_STRING", ""),
            language,
        )
        return hashlib.blake2b("\x1f".join(parts).encode("utf-8", "surrogateescape"), digest_size=20).hexdigest()

    def __call__(self, environ, start_response):
        key = self.key(environ)
        if key is None:
            return self.wsgi_app(environ, start_response)
        # A visitor's page, which the cache would keep and serve to every visitor: built for every
        # visitor (no one's token in it, no session begun) whether the cache keeps it or not, so
        # that visitors read the same page, and are given no cookie for reading, with the cache
        # switched off or out of reach as with it.
        environ[SHARED] = True
        if not self.config.get("PORTAL_PAGE_CACHE"):
            return self.wsgi_app(environ, start_response)
        try:
            # The entry is kept under the address alone and says which version it was rendered
            # at. Served by this process already: the version alone; else the version and the
            # entry in one round trip to Redis.
            served = self._served.get(key)
            if served is not None:
                version = self.store.version()
                entry = served if served[4] == version else None
            else:
                version, found = self.store.lookup(key)
                entry = _unpack(found) if found is not None else None
        except Exception as error:  # noqa: BLE001 - a cache out of reach is no cache, never a 500
            log.warning("page cache unavailable: %s", error)
            return self.wsgi_app(environ, start_response)
        if entry is None and served is not None:  # a new version: is the page kept at it already?
            found = self._get(key)
            entry = _unpack(found) if found is not None else None
        if entry is not None:
            status, headers, body, boundary, kept_at, compressed = entry
            # Rendered at this version, and the clock has not changed the page since.
            if kept_at == version and _now() < boundary:
                self._served.put(key, entry)
                return self._serve(environ, start_response, status, headers, body, compressed)
        environ["portal.page_cache"] = {"version": version}
        return self._render_and_keep(environ, start_response, key)

    def _get(self, key: str) -> bytes | None:
        try:
            return self.store.get(key)
        except Exception as error:  # noqa: BLE001 - a cache out of reach is no cache, never a 500
            log.warning("page cache unavailable: %s", error)
            return None

    def _serve(self, environ, start_response, status, headers, body, compressed=None):
        if compressed is not None and _accepts_gzip(environ.get("HTTP_ACCEPT_ENCODING", "")):
            # The gzipped copy: its own length and ETag (another representation of the page).
            etag = next((value for name, value in headers if name == "ETag"), None)
            headers = [(name, value) for name, value in headers if name not in ("Content-Length", "ETag")]
            headers += [("Content-Encoding", "gzip"), ("Content-Length", str(len(compressed)))]
            if etag:
                headers.append(("ETag", f'"{etag.strip(chr(34))}-gzip"'))
            body = compressed
        etag = next((value for name, value in headers if name == "ETag"), None)
        if etag and parse_etags(environ.get("HTTP_IF_NONE_MATCH")).contains_weak(etag.strip('"')):
            kept = [(n, v) for n, v in headers if n not in ("Content-Length", "Content-Type", "Content-Encoding")]
            start_response("304 NOT MODIFIED", [*kept, ("X-Cache", "hit")])
            return [b""]
        start_response(status, [*headers, ("X-Cache", "hit")])
        return [body]

    def _render_and_keep(self, environ, start_response, key):
        answer = {}

        def remember(status, headers, exc_info=None):
            answer["status"], answer["headers"] = status, headers
            boundary = next((value for name, value in headers if name == STORE_HEADER), None)
            sent = [(name, value) for name, value in headers if name != STORE_HEADER]
            if boundary is not None and not any(name.lower() == "set-cookie" for name, _ in headers):
                answer["boundary"] = float(boundary)
                sent.append(("X-Cache", "miss"))
            return start_response(status, sent, exc_info)

        body_parts = self.wsgi_app(environ, remember)
        if "boundary" not in answer:
            return body_parts
        try:
            body = b"".join(body_parts)
        finally:
            if hasattr(body_parts, "close"):
                body_parts.close()
        kept = [(name, value) for name, value in answer["headers"] if name != STORE_HEADER]
        boundary = answer["boundary"]
        seconds = min(float(self.config["PORTAL_PAGE_CACHE_SECONDS"]), max(1.0, boundary - _now()))
        try:
            version = environ["portal.page_cache"]["version"]
            self.store.set(key, _pack(answer["status"], kept, body, boundary, version), seconds)
        except Exception as error:  # noqa: BLE001 - not kept this time; the page was sent all the same
            log.warning("page cache unavailable: %s", error)
        return [body]

    def next_boundary(self, started: datetime, version: str) -> datetime:
        """The next change by the clock after `started`, found once per version (a change of rows,
        which may move it, bumps the version)."""
        boundary = self._boundaries.get(version)
        if boundary is None or boundary <= started:
            boundary = next_change_by_clock(started)
            if len(self._boundaries) > 64:
                self._boundaries.clear()
            self._boundaries[version] = boundary
        return boundary


def _now() -> float:
    return clock.utcnow().timestamp()


def next_change_by_clock(now: datetime) -> datetime:
    """The next moment after `now` at which a public page may change with no row changing: a
    consultation opens or closes, a charter version or a decision takes effect, or the day
    changes in the schools' time zone (pages say "today", "3 days left")."""
    today = clock.local_date(now)
    moments = [clock.local_to_utc(today + timedelta(days=1), time_of_day())]
    opens = db.session.scalar(select(func.min(Consultation.opens_at)).where(Consultation.opens_at > now))
    closes = db.session.scalar(select(func.min(Consultation.closes_at)).where(Consultation.closes_at > now))
    moments += [moment for moment in (opens, closes) if moment is not None]
    for model in (CharterVersion, Decision):
        effective = db.session.scalar(select(func.min(model.effective_on)).where(model.effective_on > today))
        if effective is not None:
            moments.append(clock.local_to_utc(effective, time_of_day()))
    return min(moment if moment.tzinfo else moment.replace(tzinfo=UTC) for moment in moments)


# --- the Flask side: which renders may be kept ------------------------------------------------


def page_is_shared() -> bool:
    """Whether this page is being built for every visitor (it may be kept in the cache): then it
    carries nobody's CSRF token (base.html leaves the token out)."""
    return bool(g.get("page_is_shared"))


def register(app: Flask) -> None:
    @app.before_request
    def _mark_shared_render():
        if request.environ.get(SHARED) and request.endpoint in CACHED_ENDPOINTS:
            g.page_is_shared = True
            g.page_started = clock.utcnow()

    def csrf_token():
        # A page with somebody's token in it is theirs: never kept for others.
        g.page_cache_refused = True
        return generate_csrf()

    app.jinja_env.globals["csrf_token"] = csrf_token
    app.jinja_env.globals["page_is_shared"] = page_is_shared

    def _store_or_not(response):
        if not page_is_shared() or g.get("page_cache_refused") or "portal.page_cache" not in request.environ:
            return response
        if response.status_code != 200 or response.is_streamed or response.direct_passthrough:
            return response
        if session.modified or session or "Set-Cookie" in response.headers:
            return response
        cache = current_app.extensions["page_cache"]
        boundary = cache.next_boundary(g.page_started, request.environ["portal.page_cache"]["version"])
        if boundary <= clock.utcnow():
            return response  # the clock changed the page while it was built
        response.set_etag(hashlib.blake2b(response.get_data(), digest_size=16).hexdigest())
        # Kept, it is served gzipped to browsers that accept it, and as it is to others.
        response.vary.add("Accept-Encoding")
        response.headers[STORE_HEADER] = repr(boundary.timestamp())
        return response

    # Run after every other after_request function (they run last registered first): what is kept
    # is the response as it is sent, its headers all set.
    app.after_request_funcs.setdefault(None, []).insert(0, _store_or_not)


def bump_version() -> None:
    """Every visitor's next request renders afresh (called after a commit that changed a public row)."""
    caches = [app_cache] if (app_cache := _current_cache()) else list(_stores)
    for cache in caches:
        if not cache.config.get("PORTAL_PAGE_CACHE"):
            continue  # a portal run without the cache keeps nothing to renew (the tests but those of it)
        try:
            cache.store.bump()
        except Exception as error:  # noqa: BLE001
            # Redis out of reach: its entries cannot be read either while it is, and the version
            # is bumped by the next change. Said loudly, since a stale page is the risk.
            log.error("page cache version could not be bumped: %s", error)


def _current_cache():
    if has_app_context():
        return current_app.extensions.get("page_cache")
    return None


# --- the ORM listeners: a change to a public row bumps the version at commit ----------------------


def _changes_public_row(obj) -> bool:
    table = getattr(getattr(obj, "__table__", None), "name", None)
    if table is None or table in PRIVATE_TABLES:
        return False
    if table == "user_account":
        state = inspect(obj)
        if state.pending or state.deleted:
            return False  # a new account shows nowhere until it writes something
        return any(state.attrs[name].history.has_changes() for name in PUBLIC_USER_COLUMNS)
    return True


@event.listens_for(Session, "after_flush")
def _note_public_changes(session, flush_context):
    if session.info.get("page_cache_changed"):
        return
    if any(_changes_public_row(obj) for obj in chain(session.new, session.dirty, session.deleted)):
        session.info["page_cache_changed"] = True


@event.listens_for(Session, "do_orm_execute")
def _note_bulk_changes(orm_execute_state):
    # UPDATE/DELETE/INSERT statements (a tally counted with count = count + 1) bypass the flush.
    if orm_execute_state.is_update or orm_execute_state.is_delete or orm_execute_state.is_insert:
        table = getattr(orm_execute_state.statement, "table", None)
        if getattr(table, "name", None) not in PRIVATE_TABLES:
            orm_execute_state.session.info["page_cache_changed"] = True


@event.listens_for(Session, "after_commit")
def _bump_after_commit(session):
    if session.info.pop("page_cache_changed", False):
        bump_version()


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session):
    session.info.pop("page_cache_changed", None)
