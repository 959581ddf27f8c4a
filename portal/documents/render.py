"""HTML to tagged PDF/A-3a with WeasyPrint, from plain data (CONVENTIONS.md §8).

The template gets a dict of plain values, never ORM objects, so what a PDF says is decided
when it is rendered and nothing lazy-loads during layout. WeasyPrint fetches stylesheets and
images only through `StaticOnlyFetcher`: files under our static/ folder, nothing else — no
other file, no network, no data: URL — so a body containing `<img src="file:///etc/passwd">`
or a tracking pixel fetches nothing.
"""

import hashlib
import logging
import mimetypes
import re
import unicodedata
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from io import BytesIO
from pathlib import Path
from urllib.parse import unquote, urlsplit

import segno
from flask import current_app
from markupsafe import Markup
from pyhanko.pdf_utils.reader import PdfFileReader
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

log = logging.getLogger(__name__)

PDF_VARIANT = "pdf/a-3a"  # tagged: a screen reader reads the structure, not only the glyphs
TEMPLATE_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
PLAIN_TYPES = (str, int, float, bool, Decimal, date, datetime, type(None))


class RefusedURL(ValueError):
    """WeasyPrint asked for something outside our static files."""


class StaticOnlyFetcher(URLFetcher):
    """Serves files under `static_root` (as file: URLs relative to the base URL) and refuses
    everything else. WeasyPrint catches the refusal, logs it and leaves the image out."""

    def __init__(self, static_root: Path):
        super().__init__(allowed_protocols={"file"}, allow_redirects=False, fail_on_errors=False)
        self.static_root = Path(static_root).resolve()
        self.refused: list[str] = []

    def fetch(self, url, headers=None):
        parts = urlsplit(url)
        path = None
        if parts.scheme == "file" and parts.netloc in ("", "localhost") and not parts.query:
            candidate = Path(unquote(parts.path)).resolve()
            if candidate.is_relative_to(self.static_root) and candidate.is_file():
                path = candidate
        if path is None:
            self.refused.append(url)
            log.warning("PDF rendering refused to fetch %r", url[:200])
            raise RefusedURL(f"only our static files may be fetched, not {url[:200]!r}")
        media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(path.as_uri(), path.read_bytes(), headers={"Content-Type": media_type})


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


def render_pdf(template_name: str, context: dict, *, fetcher: StaticOnlyFetcher | None = None) -> bytes:
    """Render templates/pdf/<template_name>.html to tagged PDF/A-3a bytes, fonts subset and embedded.
    Relative URLs in the template (e.g. "css/pdf.css") resolve against our static/ folder."""
    html = render_html(template_name, context)
    root = static_root()
    fetcher = fetcher or StaticOnlyFetcher(root)
    document = HTML(string=html, base_url=root.resolve().as_uri() + "/", url_fetcher=fetcher)
    return document.write_pdf(pdf_variant=PDF_VARIANT, uncompressed_pdf=False)


def page_count(pdf_bytes: bytes) -> int:
    """How many pages a PDF we rendered has."""
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
