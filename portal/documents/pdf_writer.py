"""WeasyPrint's part of a PDF: HTML to tagged PDF/A-3a bytes (portal/documents/render.py makes the
HTML and decides which process writes it).

Only the render child imports this module (the fork server preloads it, portal/documents/checking.py),
and the calling process when PORTAL_RENDERS_PER_PROCESS=0: WeasyPrint, its fonts' tables and its
cffi bindings take 31 MiB and half a second to import, which no web process or job worker needs.
"""

import logging
import mimetypes
from pathlib import Path
from urllib.parse import unquote, urlsplit

from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

log = logging.getLogger(__name__)

PDF_VARIANT = "pdf/a-3a"  # tagged: a screen reader reads the structure, not only the glyphs


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


def write_pdf(html: str, root: str, fetcher: StaticOnlyFetcher | None = None) -> bytes:
    """WeasyPrint's part: `html` to tagged PDF/A-3a bytes, fetching only files under `root`."""
    fetcher = fetcher or StaticOnlyFetcher(Path(root))
    document = HTML(string=html, base_url=Path(root).resolve().as_uri() + "/", url_fetcher=fetcher)
    return document.write_pdf(pdf_variant=PDF_VARIANT, uncompressed_pdf=False)
