"""HTML to tagged PDF/A-3a with WeasyPrint, from plain data (CONVENTIONS.md §8).

The template gets a dict of plain values, never ORM objects, so what a PDF says is decided
when it is rendered and nothing lazy-loads during layout. WeasyPrint fetches stylesheets and
images only through `pdf_writer.StaticOnlyFetcher`: files under our static/ folder, nothing else — no
other file, no network, no data: URL — so a body containing `<img src="file:///etc/passwd">`
or a tracking pixel fetches nothing.

WeasyPrint's layout of a document peaks at ~250 MiB and leaves a little behind each time, so it
never runs in a web process or a job worker: the HTML is made here (Jinja, cheap), and the PDF is
written by a child process that is replaced after PORTAL_RENDERS_PER_PROCESS documents, and
stopped after PORTAL_RENDER_IDLE_SECONDS without one, so the memory of every long-lived process
stays flat however many PDFs it asks for (bench/pdf_render.py measures it).
PORTAL_RENDERS_PER_PROCESS=0 writes the PDF in the calling process (the test suite, where
starting a child would cost more than the render).
"""

import ctypes
import gc
import hashlib
import logging
import os
import re
import threading
import unicodedata
from collections.abc import Mapping
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import date, datetime
from decimal import Decimal
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING

import segno
from flask import current_app
from markupsafe import Markup

from portal.documents.checking import fork_server  # the one fork server of the process

if TYPE_CHECKING:
    from portal.documents.pdf_writer import StaticOnlyFetcher

log = logging.getLogger(__name__)

TEMPLATE_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
PLAIN_TYPES = (str, int, float, bool, Decimal, date, datetime, type(None))


def static_root() -> Path:
    return Path(current_app.static_folder)


def _check_plain(value, where: str = "context") -> None:
    """Refuse anything but plain values (and lists/dicts of them): no ORM objects in a PDF context."""
    if isinstance(value, PLAIN_TYPES):
        return
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"{where}: keys must be strings, not {type(key).__name__}")
            _check_plain(item, f"{where}[{key!r}]")
        return
    if isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            _check_plain(item, f"{where}[{index}]")
        return
    raise TypeError(f"{where} is a {type(value).__name__}; PDF templates take plain values only")


def render_html(template_name: str, context: dict) -> str:
    """The HTML of templates/pdf/<template_name>.html for `context` (plain values only)."""
    if not TEMPLATE_NAME.match(template_name):
        raise ValueError(f"not a PDF template name: {template_name!r}")
    _check_plain(context)
    context = {**context, **footer_context(context.get("fingerprint"))}
    # The app's Jinja environment (so _() and the filters work) without Flask's render_template:
    # that runs the page context processors, which need a request (current_user, request path),
    # and a PDF is also rendered from the CLI and must not see who is logged in anyway.
    return current_app.jinja_env.get_template(f"pdf/{template_name}.html").render(context)


# --- the render process ----------------------------------------------------------------------

_pool: ProcessPoolExecutor | None = None
_pool_size = 0
_pool_lock = threading.Lock()
_in_flight = 0  # renders submitted and not yet answered (the idle timer leaves the child alone)
_idle_timer: threading.Timer | None = None


def _take_pool(renders_per_process: int) -> ProcessPoolExecutor:
    """This process's render child (one; the worker's threads wait their turn rather than each
    holding 250 MiB), counted as in use until _give_back. It comes from the fork server that
    /verify's checks use, which has WeasyPrint loaded already, and is replaced after
    `renders_per_process` documents."""
    global _pool, _pool_size, _in_flight
    with _pool_lock:
        if _pool is None or _pool_size != renders_per_process:
            if _pool is not None:
                _pool.shutdown(wait=False)  # renders already submitted to it still finish
            # gc.freeze at the child's start: what the fork server loaded (WeasyPrint, fonts'
            # tables) is never looked at again by the collections after each render
            # (_give_memory_back), which then cost a few milliseconds rather than a third of a render.
            _pool = ProcessPoolExecutor(
                1, mp_context=fork_server(), max_tasks_per_child=renders_per_process, initializer=gc.freeze
            )
            _pool_size = renders_per_process
        _in_flight += 1
        return _pool


def _give_back(idle_seconds: float) -> None:
    """A render is answered: once none has been asked for `idle_seconds`, the child is stopped,
    so that a web process that renders now and then does not keep ~120 MiB of fonts and caches
    in a child waiting for its next render."""
    global _in_flight, _idle_timer
    with _pool_lock:
        _in_flight -= 1
        if _idle_timer is not None:
            _idle_timer.cancel()
        _idle_timer = None
        if idle_seconds > 0 and _in_flight == 0:
            _idle_timer = threading.Timer(idle_seconds, _stop_if_idle)
            _idle_timer.daemon = True
            _idle_timer.start()


def _stop_if_idle() -> None:
    global _pool
    with _pool_lock:
        if _in_flight or _pool is None:
            return
        pool, _pool = _pool, None
    pool.shutdown(wait=False)


def _forget_pool(broken: ProcessPoolExecutor) -> None:
    global _pool
    with _pool_lock:
        if _pool is broken:
            _pool = None
    broken.shutdown(wait=False)


def shutdown_render_process() -> None:
    """Stop this process's render child (it starts again at the next render)."""
    global _pool
    with _pool_lock:
        pool, _pool = _pool, None
    if pool is not None:
        pool.shutdown(wait=True)


def render_process_ids() -> list[int]:
    """The pids of this process's render children now (for benchmarks)."""
    pool = _pool
    return list(getattr(pool, "_processes", None) or {}) if pool is not None else []


# The pid of the process that wrote the last PDF this process asked for (for tests and benchmarks).
last_render_pid: int | None = None


def _write_pdf_in_child(html: str, root: str) -> tuple[int, bytes]:
    from portal.documents.pdf_writer import write_pdf  # loaded by the fork server already

    try:
        return os.getpid(), write_pdf(html, root)
    finally:
        _give_memory_back()


# glibc's malloc_trim, where there is one (Debian, the portal's platform); elsewhere nothing.
_malloc_trim = getattr(ctypes.CDLL(None), "malloc_trim", None)


def _give_memory_back() -> None:
    """What a render left behind is given back before the child's next one: the cycles WeasyPrint
    leaves are collected, and the free pages of the C heap returned to the system. Without it a
    child's peak grew with each document it wrote (bench/pdf_render.py, 5 December 2026: 183 MiB
    PSS at its first, 223 MiB by its twentieth, over the 220 MiB goal); with it, 190 MiB by its
    twentieth, and a render in the child takes 1.07 times one in the asking process (1.02 before)."""
    gc.collect()
    if _malloc_trim is not None:
        _malloc_trim(0)


def render_pdf(template_name: str, context: dict, *, fetcher: "StaticOnlyFetcher | None" = None) -> bytes:
    """Render templates/pdf/<template_name>.html to tagged PDF/A-3a bytes, fonts subset and embedded,
    in the render child (see above; in this process with PORTAL_RENDERS_PER_PROCESS=0 or when a
    `fetcher` is given to look at). Relative URLs in the template (e.g. "css/pdf.css") resolve
    against our static/ folder."""
    html = render_html(template_name, context)
    root = str(static_root())
    renders_per_process = int(current_app.config.get("PORTAL_RENDERS_PER_PROCESS") or 0)
    global last_render_pid
    if fetcher is not None or renders_per_process <= 0:
        from portal.documents.pdf_writer import write_pdf  # WeasyPrint: only a process that writes PDFs

        last_render_pid = os.getpid()
        return write_pdf(html, root, fetcher)
    pool = _take_pool(renders_per_process)
    try:
        last_render_pid, pdf = pool.submit(_write_pdf_in_child, html, root).result()
        return pdf
    except BrokenProcessPool:
        # The child died (killed, out of memory): this render failed, the next one gets a new child.
        _forget_pool(pool)
        raise
    finally:
        _give_back(float(current_app.config.get("PORTAL_RENDER_IDLE_SECONDS") or 0))


def page_count(pdf_bytes: bytes) -> int:
    """How many pages a PDF we rendered has."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    return int(PdfFileReader(BytesIO(pdf_bytes)).root["/Pages"]["/Count"])


def body_fingerprint(text: str) -> str:
    """SHA-256 of a document's text (NFC, UTF-8): printed in the PDF's footer, so that a reader
    of a paper copy can check the wording against the archive. (The file's own SHA-256 is what
    /verify checks; it cannot be printed inside the file it fingerprints.)"""
    return hashlib.sha256(unicodedata.normalize("NFC", text or "").encode("utf-8")).hexdigest()


def verify_url() -> str:
    """Where anyone checks a copy. It comes from configuration, not from the request: an archived
    PDF must not carry whichever host name a request happened to use."""
    return current_app.config["PORTAL_PUBLIC_URL"].rstrip("/") + "/verify"


FINGERPRINT_GROUP = 4  # hex digits per group, as printed: "3f2a 9c01 …", easy to read out and type


def grouped_fingerprint(fingerprint: str) -> str:
    """The fingerprint as printed in the footer: groups of four hex digits, space-separated."""
    return " ".join(fingerprint[i : i + FINGERPRINT_GROUP] for i in range(0, len(fingerprint), FINGERPRINT_GROUP))


def fingerprint_link(fingerprint: str) -> str:
    """Where the footer's QR code leads: /verify for this fingerprint, at the public address."""
    return f"{verify_url()}?fingerprint={fingerprint}"


def qr_svg(payload: str) -> Markup:
    """`payload` as a QR code (error correction M: a smudged or folded paper copy still scans), as
    inline SVG sized by the stylesheet."""
    return Markup(segno.make(payload, error="m", micro=False).svg_inline(border=0, omitsize=True))


def footer_context(fingerprint: str | None) -> dict:
    """What the footer of every page prints beside the verification address: the fingerprint
    grouped, and a QR code of the link to /verify for it. Nothing without a fingerprint."""
    if not fingerprint:
        return {}
    link = fingerprint_link(fingerprint)
    half = len(fingerprint) // 2  # two lines of eight groups: the footer is not wide enough for one
    return {
        "fingerprint_grouped": grouped_fingerprint(fingerprint),
        "fingerprint_lines": [grouped_fingerprint(fingerprint[:half]), grouped_fingerprint(fingerprint[half:])],
        "fingerprint_link": link,
        "qr_svg": qr_svg(link),
    }
