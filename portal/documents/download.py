"""Serving an archived document: the stored bytes exactly, cacheable for good.

The bytes behind a SHA-256 never change, so the ETag is the SHA-256 itself and browsers and
proxies may keep a copy for a year without asking again ("immutable")."""

import re
import unicodedata
from urllib.parse import quote

from flask import make_response, request

from portal.documents.models import Document

ONE_YEAR = 365 * 24 * 3600
FILENAME_MAX = 120


def file_name(title: str, *, default: str = "document", extension: str = ".pdf") -> str:
    """A file name people recognise (`渝一中校委〔2026〕3号 关于….pdf`) made from `title`,
    without what file systems and download managers refuse (slashes, control characters,
    reserved punctuation, bidirectional overrides), cut short; `default` when nothing is left."""
    name = unicodedata.normalize("NFC", title or "")
    name = "".join(" " if unicodedata.category(ch)[0] in "CZ" else ch for ch in name)
    name = re.sub(r'[\\/:*?"<>|]+', "-", name)
    name = re.sub(r"\s+", " ", name).strip(" .-")
    if len(name) > FILENAME_MAX:
        name = name[: FILENAME_MAX - 1].rstrip(" .-") + "…"
    return (name or default) + extension


def content_disposition(filename: str, *, inline: bool = False, fallback: str = "document.pdf") -> str:
    """An RFC 6266 Content-Disposition: an ASCII `filename` for old clients (the name itself if
    it is plain ASCII, else `fallback`), and the real name, Chinese included, as RFC 5987 UTF-8
    in `filename*`."""
    if filename.isascii():
        fallback = re.sub(r"[^A-Za-z0-9._-]+", "-", filename).strip("-.") or fallback
    if not fallback.lower().endswith(".pdf"):
        fallback += ".pdf"
    disposition = "inline" if inline else "attachment"
    return f"{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def pdf_response(document: Document, title: str, *, inline: bool = False):
    """The document's bytes as a response, to be saved under a file name made from `title`;
    304 when the client already holds these bytes."""
    filename = file_name(title, default=document.kind.value.replace("_", "-"))
    etag = f'"{document.sha256}"'
    headers = {
        "ETag": etag,
        "Cache-Control": f"public, max-age={ONE_YEAR}, immutable",
        "Content-Disposition": content_disposition(
            filename, inline=inline, fallback=f"{document.kind.value.replace('_', '-')}-{document.sha256[:12]}.pdf"
        ),
        "X-Content-Type-Options": "nosniff",
    }
    if request.if_none_match.contains(document.sha256):
        return make_response("", 304, headers)
    response = make_response(document.content, 200, headers)
    response.headers["Content-Type"] = document.media_type
    return response
