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
- Every entry is keyed by the address (path and query), host, scheme, the page's language as the
  portal would choose it for that visitor (?lang=, the language cookie, then Accept-Language) and
  the release of the code that built it.
- An entry records what it was built from: every table its queries read (all SQL passes
  _note_tables_read, whichever feature or template asked), each at the version it had before the
  page's first query. It is served only while each of those tables is still at that version (read
  with the entry, in one round trip to Redis). A commit that changed a row of a public-facing table
  bumps that table's version (the ORM listeners below), so the very next request for a page built
  from it renders afresh; a deleted row bumps the tables whose rows refer to it too (the database
  deletes or changes those itself). A change renews only the pages that read its table: a
  parent's response renews the consultation's pages, not every school's and decision's page in
  the city. The ORM rather than the features' events: a listener on the session sees every
  change, also those no event names (a school's profile edited, a display name changed, a tally
  counted, a command or job run), and the engine sees every read, so a feature added tomorrow
  cannot forget to say what it changed or what its page shows.
  What the engine does not see is a read that is not a query: data kept in the process between
  requests. None is kept today (the working calendar lives for one request, the markdown cache
  is keyed by the text itself, statements built once hold no rows); a cache of rows added one
  day must put its tables into the render's set as _note_tables_read does.
- What changes with the clock alone (a consultation opening or closing at its time, a charter or
  decision taking effect on a date, "today") is handled by the entries' lifetime: never past the
  next such moment (next_change_by_clock), and never more than PORTAL_PAGE_CACHE_SECONDS.

Where it is kept: with REDIS_URL in Redis (entries and the tables' versions, one hash, shared by
every web process, on every machine); without, entries in this process's memory and the tables'
versions in a small JSON file in instance/ (PORTAL_PAGE_CACHE_VERSION_FILE), which the job worker
bumps too. A version is a fresh token, never a count: one lost (Redis emptied, the file deleted)
cannot come back equal to one an entry still holds.

A cached page carries an ETag (a hash of its bytes): a browser asking again with If-None-Match
gets 304 from the cache, nothing rendered. A page is also kept gzipped, compressed once when it is
kept: browsers that accept gzip (all of them) get a fifth of the bytes, which on a phone's slow
mobile data is most of the wait (`Vary: Accept-Encoding`; the gzipped copy has its own ETag).
"""

import fcntl
import gzip
import hashlib
import json
import logging
import os
import re
import secrets
import threading
import time
import weakref
from collections import OrderedDict
from datetime import UTC, datetime, timedelta
from datetime import time as time_of_day
from functools import lru_cache
from itertools import chain
from operator import itemgetter
from urllib.parse import parse_qsl, unquote_plus

from flask import Flask, current_app, g, has_app_context, has_request_context, request, session
from flask_wtf.csrf import generate_csrf
from sqlalchemy import Engine, event, func, inspect, select
from sqlalchemy.orm import Session
from werkzeug.datastructures import LanguageAccept
from werkzeug.exceptions import HTTPException
from werkzeug.http import parse_accept_header, parse_cookie, parse_etags

from portal import clock
from portal.charters.models import CharterVersion
from portal.consultations.models import Consultation
from portal.decisions.models import Decision
from portal.extensions import db
from portal.i18n import LANGUAGE_COOKIE, LANGUAGE_PARAMETER, language_named
from portal.web import code_release

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
        "staff_invitation",
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

# Every entry is built from this too: bump_version() renews them all.
EVERYTHING = "*"
# The tables next_change_by_clock reads.
CLOCK_TABLES = ("consultation", "charter_version", "decision")

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


def _new_token() -> str:
    """A version no earlier one can equal, whatever was lost (a version file deleted, Redis
    emptied while a process still holds entries it served)."""
    return f"{time.time_ns():x}-{secrets.token_hex(4)}"


class LocalStore:
    """Entries in this process's memory (the most recently used PORTAL_PAGE_CACHE_ENTRIES), the
    tables' versions in a file (JSON) that every process of this machine reads and bumps."""

    def __init__(self, version_file: str, max_entries: int):
        self.version_file = version_file
        self.entries = _Recent(max_entries)

    def versions(self, tables: list[str] | None = None) -> dict[str, str]:
        """The current version of each of `tables` (of every table bumped so far if None)."""
        try:
            with open(self.version_file, "rb") as file:  # noqa: PTH123
                found = json.loads(file.read() or b"{}")
        except FileNotFoundError:
            found = {}
        except ValueError:  # the single version an earlier release kept: no table bumped since
            found = {}
        if not isinstance(found, dict):
            found = {}
        return found if tables is None else {table: found.get(table, "0") for table in tables}

    def raw_versions(self, tables: tuple[str, ...]) -> list[str]:
        found = self.versions()
        return [found.get(table, "0") for table in tables]

    @staticmethod
    def raw_expected(read: dict[str, str], tables: tuple[str, ...]) -> list[str]:
        """What raw_versions answers while each of `tables` is at its version in `read`."""
        return [read[table] for table in tables]

    def bump(self, tables: set[str]) -> None:
        folder = os.path.dirname(self.version_file)
        if folder:
            os.makedirs(folder, exist_ok=True)
        with open(f"{self.version_file}.lock", "a") as lock:  # noqa: PTH123
            fcntl.flock(lock, fcntl.LOCK_EX)  # two processes bumping at once: neither's is lost
            versions = self.versions()
            token = _new_token()
            versions.update(dict.fromkeys(tables, token))
            temporary = f"{self.version_file}.{os.getpid()}.{secrets.token_hex(4)}"
            with open(temporary, "w") as file:  # noqa: PTH123
                json.dump(versions, file)
            os.replace(temporary, self.version_file)  # atomic: a reader sees the old or the new

    def lookup(self, key: str) -> tuple[dict[str, str], bytes | None]:
        """Every table's version and the entry under `key` (of whichever versions it was kept)."""
        return self.versions(), self.get(key)

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

    def admit_query_page(self, most: int, seconds: float) -> bool:
        return True  # the process keeps its most recently used entries only: bounded already

    def clear(self) -> None:
        self.entries.clear()


class RedisStore:
    """Entries and the tables' versions (one hash) in Redis, shared by every web process. Redis
    unreachable: no entry is found or kept (pages are rendered as without a cache), never an
    error page."""

    def __init__(self, url: str, prefix: str):
        import redis

        self.client = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self.prefix = prefix
        self.versions_key = f"{prefix}:tables"
        self.query_pages_key = f"{prefix}:query-pages"

    def versions(self, tables: list[str] | None = None) -> dict[str, str]:
        if tables is None:
            return {name.decode(): value.decode() for name, value in self.client.hgetall(self.versions_key).items()}
        values = self.client.hmget(self.versions_key, tables) if tables else []
        return {table: value.decode() if value else "0" for table, value in zip(tables, values, strict=True)}

    def raw_versions(self, tables: tuple[str, ...]) -> list[bytes | None]:
        """The versions of `tables` as Redis answers them (a hit asks this alone: no decoding)."""
        return self.client.execute_command("HMGET", self.versions_key, *tables)

    @staticmethod
    def raw_expected(read: dict[str, str], tables: tuple[str, ...]) -> list[bytes | None]:
        """What raw_versions answers while each of `tables` is at its version in `read`."""
        return [None if read[table] == "0" else read[table].encode() for table in tables]

    def bump(self, tables: set[str]) -> None:
        self.client.hset(self.versions_key, mapping=dict.fromkeys(sorted(tables), _new_token()))

    def lookup(self, key: str) -> tuple[dict[str, str], bytes | None]:
        """Every table's version and the entry under `key`, in one round trip."""
        pipe = self.client.pipeline(transaction=False)
        pipe.hgetall(self.versions_key)
        pipe.get(f"{self.prefix}:page:{key}")
        versions, value = pipe.execute()
        return {name.decode(): version.decode() for name, version in versions.items()}, value

    def get(self, key: str) -> bytes | None:
        return self.client.get(f"{self.prefix}:page:{key}")

    def set(self, key: str, value: bytes, seconds: float) -> None:
        self.client.set(f"{self.prefix}:page:{key}", value, px=max(1, int(seconds * 1000)))

    def admit_query_page(self, most: int, seconds: float) -> bool:
        """Whether one more page whose address has a query string may be kept: at most `most` in
        each `seconds` (entries live no longer). Anybody can make up query strings (?x=1, ?x=2,
        ...), each a page of its own; without this bound they would fill the Redis the job queue
        and the rate limits live in. A page of the portal's own addresses (no query string) is
        bounded by the records there are. Over the bound, pages are rendered as without a cache."""
        pipe = self.client.pipeline(transaction=False)
        pipe.set(self.query_pages_key, 0, ex=max(1, int(seconds)), nx=True)  # a new window begins
        pipe.incr(self.query_pages_key)
        _, kept = pipe.execute()
        return kept <= most

    def clear(self) -> None:
        for key in self.client.scan_iter(f"{self.prefix}:page:*", count=1000):
            self.client.delete(key)


_stores: "weakref.WeakSet[PageCache]" = weakref.WeakSet()


# --- the WSGI side: look up before the app, keep what it marked --------------------------------


def _pack(status: str, headers: list[tuple[str, str]], body: bytes, boundary: float, read: dict) -> bytes:
    """An entry: its head (JSON, one line: the tables it was built from, each at its version),
    the page's bytes, then the same gzipped if worth it."""
    compressed = _gzipped(headers, body)
    head = json.dumps([status, headers, boundary, read, len(body)]).encode()
    return head + b"\n" + body + (compressed or b"")


def _unpack(value: bytes) -> tuple[str, list[tuple[str, str]], bytes, float, dict | None, bytes | None]:
    head, _, rest = value.partition(b"\n")
    status, headers, boundary, read, *length = json.loads(head)
    size = length[0] if length else len(rest)  # an entry kept before pages were gzipped: no copy
    if not isinstance(read, dict):
        read = None  # kept by an earlier release at one version for everything: never served
    return status, [tuple(pair) for pair in headers], rest[:size], boundary, read, rest[size:] or None


def _still_current(read: dict | None, versions: dict[str, str]) -> bool:
    """Whether every table a page was built from is at the version it was read at."""
    return read is not None and all(versions.get(table, "0") == version for table, version in read.items())


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
        self._boundaries: dict[tuple, datetime] = {}
        # Pages kept by an earlier release are not this release's: its code is part of every key.
        self._release = code_release(app.root_path, app.template_folder)[0]
        # The entries this process last served, unpacked, by key, with the tables they were built
        # from and those tables' versions as the store answers them: an entry never changes once
        # kept (a change makes a new one), so while those tables are at those versions, only the
        # versions are asked for (and compared as they come), not the page again.
        self._served = _Recent(min(256, int(app.config["PORTAL_PAGE_CACHE_ENTRIES"])))
        # Which query arguments each page takes (web.query_args), found once per endpoint.
        self._url_map, self._views = app.url_map, app.view_functions
        self._taken: dict[str, frozenset[str] | None] = {}
        self._bound = None

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
        chosen = cookies.get(LANGUAGE_COOKIE)
        query = parse_qsl(environ.get("QUERY_STRING", ""))
        asked = language_named(
            next((value for name, value in query if name == LANGUAGE_PARAMETER), None),
            available,
        )
        if asked:
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
        query = environ.get("QUERY_STRING", "")
        if query:
            # The page's own arguments alone go on to the app, and make the key.
            query = environ["QUERY_STRING"] = self.taken_query(path, query)
        parts = (
            environ.get("wsgi.url_scheme", ""),
            environ.get("HTTP_HOST", ""),
            path,
            query,
            language,
            self._release,
        )
        return hashlib.blake2b("\x1f".join(parts).encode("utf-8", "surrogateescape"), digest_size=20).hexdigest()

    def taken_query(self, path: str, query: str) -> str:
        """`query` with only the arguments the page at `path` takes (web.query_args) and `lang`
        (when it names one of the portal's languages), in the order of their names (each name's
        values in their order); as it came for an address whose view says nothing of its
        arguments, or that answers with no page (404, 405, a redirect to add a missing slash: the
        app answers those as it always does)."""
        try:
            endpoint = self._adapter().match(path, method="GET")[0]
        except HTTPException:
            return query
        taken = self._taken.get(endpoint, False)
        if taken is False:
            declared = getattr(self._views.get(endpoint), "query_args", None)
            taken = None if declared is None else frozenset((*declared, LANGUAGE_PARAMETER))
            self._taken[endpoint] = taken
        if taken is None:
            return query
        # Each argument as it came (its value's bytes untouched), by its name as the app reads it;
        # a `?lang=` naming no language of the portal is ignored by the app (i18n.py), so left out.
        languages = self.config["PORTAL_LANGUAGES"]
        kept = []
        for part in query.split("&"):
            name, _, value = part.partition("=")
            name = unquote_plus(name)
            if name in taken and (name != LANGUAGE_PARAMETER or language_named(unquote_plus(value), languages)):
                kept.append((name, part))
        return "&".join(part for _, part in sorted(kept, key=itemgetter(0)))

    def _adapter(self):
        # Paths only: this portal's routes depend on neither the host nor a subdomain. Bound at
        # the first request, once every blueprint's routes are in the map.
        if self._bound is None:
            self._bound = self._url_map.bind("portal")
        return self._bound

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
            # The entry is kept under the address alone and says which tables it was built from,
            # each at which version. Served by this process already: those tables' versions
            # alone; else every table's version and the entry, in one round trip to Redis.
            versions, entry = None, None
            served = self._served.get(key)
            if served is not None and self.store.raw_versions(served[0]) == served[1]:
                entry = served[2]
            else:  # not served here yet, or changed since: is the page kept as it is now?
                versions, found = self.store.lookup(key)
                if found is not None:
                    entry = _unpack(found)
                    if not _still_current(entry[4], versions):
                        entry = None
            if entry is not None and _now() < entry[3]:  # and the clock has not changed it since
                if served is None or served[2] is not entry:
                    tables = tuple(entry[4])
                    self._served.put(key, (tables, self.store.raw_expected(entry[4], tables), entry))
                status, headers, body, _boundary, _read, compressed = entry
                return self._serve(environ, start_response, status, headers, body, compressed)
            if versions is None:
                versions = self.store.versions()
        except Exception as error:  # noqa: BLE001 - a cache out of reach is no cache, never a 500
            log.warning("page cache unavailable: %s", error)
            return self.wsgi_app(environ, start_response)
        # Rendered afresh: the versions read now, before any of its queries, and the tables its
        # queries read (_note_tables_read) say what the page was built from.
        environ["portal.page_cache"] = {"versions": versions, "tables": set()}
        return self._render_and_keep(environ, start_response, key)

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
        render = environ["portal.page_cache"]
        read = {table: render["versions"].get(table, "0") for table in (*render["tables"], EVERYTHING)}
        try:
            if not environ.get("QUERY_STRING") or self.store.admit_query_page(
                int(self.config["PORTAL_PAGE_CACHE_QUERY_PAGES"]), float(self.config["PORTAL_PAGE_CACHE_SECONDS"])
            ):
                self.store.set(key, _pack(answer["status"], kept, body, boundary, read), seconds)
        except Exception as error:  # noqa: BLE001 - not kept this time; the page was sent all the same
            log.warning("page cache unavailable: %s", error)
        return [body]

    def next_boundary(self, started: datetime, versions: dict[str, str]) -> datetime:
        """The next change by the clock after `started`, found once per version of the tables
        it is read from (a change of their rows may move it)."""
        version = tuple(versions.get(table, "0") for table in (EVERYTHING, *CLOCK_TABLES))
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
        boundary = cache.next_boundary(g.page_started, request.environ["portal.page_cache"]["versions"])
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
    """Every visitor's next request renders afresh, whatever it shows (every entry was built
    from EVERYTHING too)."""
    bump_tables({EVERYTHING})


def bump_tables(tables: set[str]) -> None:
    """The pages built from any of `tables` render afresh at the next request (called after a
    commit that changed rows of them)."""
    caches = [app_cache] if (app_cache := _current_cache()) else list(_stores)
    for cache in caches:
        if not cache.config.get("PORTAL_PAGE_CACHE"):
            continue  # a portal run without the cache keeps nothing to renew (the tests but those of it)
        try:
            cache.store.bump(tables)
        except Exception as error:  # noqa: BLE001
            # Redis out of reach: its entries cannot be read either while it is, and the version
            # is bumped by the next change. Said loudly, since a stale page is the risk.
            log.error("page cache version could not be bumped: %s", error)


def _current_cache():
    if has_app_context():
        return current_app.extensions.get("page_cache")
    return None


# --- what a page was built from: the tables its queries read --------------------------------------


def _tables() -> tuple[frozenset[str], dict[str, frozenset[str]]]:
    """Every table's name, and for each the tables whose rows refer to it (by a foreign key, and
    those referring to them in turn): deleting its rows may delete or change theirs in the
    database, where no listener sees it. Worked out again should a model be imported later (a
    script that had imported only some before its first query)."""
    return _tables_of(len(db.metadata.tables))


@lru_cache(maxsize=4)
def _tables_of(how_many: int) -> tuple[frozenset[str], dict[str, frozenset[str]]]:
    names = frozenset(db.metadata.tables)
    referring: dict[str, set[str]] = {name: set() for name in names}
    for table in db.metadata.tables.values():
        for key in table.foreign_keys:
            referring[key.column.table.name].add(table.name)
    closed = {}
    for name in names:
        found, todo = set(), [name]
        while todo:
            for other in referring[todo.pop()] - found:
                found.add(other)
                todo.append(other)
        closed[name] = frozenset(found - {name})
    return names, closed


@lru_cache(maxsize=4096)
def _tables_in(statement: str, tables: frozenset[str]) -> frozenset[str]:
    """Which of `tables` a statement names (found once per statement's text; statements are built
    once and their text repeats). A word that only looks like a table's name (a column called
    so) adds a table the page did not need: renewed once too often, never stale."""
    return frozenset(_WORD.findall(statement)) & tables


_WORD = re.compile(r"\w+")


@event.listens_for(Engine, "before_cursor_execute")
def _note_tables_read(conn, cursor, statement, parameters, context, executemany):
    # Every query goes through here, the ORM's, Core's, a lazy load in a template, text(): a page
    # depends on what it read, whichever feature read it, also one added tomorrow.
    if has_request_context():
        render = request.environ.get("portal.page_cache")
        if render is not None:
            render["tables"].update(_tables_in(statement, _tables()[0]))


# --- the ORM listeners: a change to a public row renews the pages built from its table ------------


def _public_tables_changed(obj, deleted: bool) -> set[str]:
    state = inspect(obj)
    names = {table.name for table in state.mapper.tables}  # all of them, should a model inherit
    if names == {"user_account"} and not deleted:
        if state.pending or not any(state.attrs[name].history.has_changes() for name in PUBLIC_USER_COLUMNS):
            return set()  # a new account shows nowhere until it writes something
    changed = names - PRIVATE_TABLES
    if deleted:
        referring = _tables()[1]
        for name in names:
            changed |= referring.get(name, frozenset()) - PRIVATE_TABLES
    return changed


def _note(session, tables: set[str]) -> None:
    if tables:
        session.info.setdefault("page_cache_tables", set()).update(tables)


@event.listens_for(Session, "after_flush")
def _note_public_changes(session, flush_context):
    changed = set()
    for obj in chain(session.new, session.dirty):
        changed |= _public_tables_changed(obj, deleted=False)
    for obj in session.deleted:
        changed |= _public_tables_changed(obj, deleted=True)
    _note(session, changed)


@event.listens_for(Session, "do_orm_execute")
def _note_bulk_changes(orm_execute_state):
    # UPDATE/DELETE/INSERT statements (a tally counted with count = count + 1) bypass the flush.
    if orm_execute_state.is_update or orm_execute_state.is_delete or orm_execute_state.is_insert:
        table = getattr(getattr(orm_execute_state.statement, "table", None), "name", None)
        changed = {table} - PRIVATE_TABLES if table else set()
        if table and orm_execute_state.is_delete:
            changed |= _tables()[1].get(table, frozenset()) - PRIVATE_TABLES
        _note(orm_execute_state.session, changed)


@event.listens_for(Session, "after_commit")
def _bump_after_commit(session):
    tables = session.info.pop("page_cache_tables", None)
    if tables:
        bump_tables(tables)


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session):
    session.info.pop("page_cache_tables", None)
