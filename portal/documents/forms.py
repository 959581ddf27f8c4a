"""The form of the verification page: a PDF to check, or the SHA-256 of one."""

import re

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import StringField

from portal.documents.signing import PDF_HEADER_WINDOW
from portal.forms import PortalForm

SHA256_HEX = re.compile(r"^[0-9a-fA-F]{64}$")
WHITESPACE = re.compile(r"\s+")
# What people type between the groups of a fingerprint read from paper: spaces, dashes (ASCII,
# Unicode and full-width), colons and dots.
SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212\uff0d:\uff1a.\u3000]+")

NOTHING_GIVEN = _l("Choose the PDF file you want to check, or type its SHA-256.")
BOTH_GIVEN = _l(
    "Check a file or a SHA-256, not both at once. To check the file, clear this field and choose the file again."
)
EMPTY_FILE = _l("This file is empty. Choose the PDF file you want to check.")
NOT_A_PDF = _l("This file is not a PDF. Choose the PDF file you want to check.")
MALFORMED_SHA256 = _l("A SHA-256 is 64 characters long and has only the digits 0–9 and the letters a–f.")


# Full-width ASCII (Ａ, ３, from a Chinese input method) to ASCII; nothing else (not "²", not "①").
FULL_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}


def normalise_digest(value: str) -> str:
    """A SHA-256 or fingerprint as typed: without the spaces, dashes and line breaks between its
    groups, in lowercase. Full-width letters and digits (a Chinese input method) become ASCII."""
    return SEPARATORS.sub("", value.translate(FULL_WIDTH)).lower()


def without_whitespace(value):
    """A SHA-256 copied from a page or a PDF often comes with spaces or a line break in it, and a
    fingerprint typed from paper with the spaces or dashes between its groups."""
    return normalise_digest(value) if isinstance(value, str) else value


class VerifyForm(PortalForm):
    file = FileField(_l("A PDF file"), render_kw={"accept": "application/pdf,.pdf"})
    sha256 = StringField(
        _l("Or its SHA-256, or the fingerprint at the foot of its pages"),
        filters=[without_whitespace],
        description=_l(
            "64 characters: the SHA-256 shown beside the download link of each published record, "
            "or the fingerprint printed beside the QR code at the foot of its pages (spaces and dashes do not matter)."
        ),
        render_kw={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "off"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The limit is the request size limit: a bigger upload is refused (413) before it gets here.
        limit = current_app.config.get("MAX_CONTENT_LENGTH")
        self.file.description = (
            _l("A copy you downloaded or were sent, up to %(size)d MB.", size=max(1, limit // (1024 * 1024)))
            if limit
            else _l("A copy you downloaded or were sent.")
        )
        self.pdf_bytes: bytes | None = None

    def validate(self, extra_validators=None) -> bool:
        """Exactly one of the two: a non-empty PDF (read into `pdf_bytes`), or a well-formed
        SHA-256 (in `sha256.data`, lowercase)."""
        valid = super().validate(extra_validators)
        upload, typed = self.file.data, self.sha256.data or ""
        if upload is None and not typed:
            self.file.errors.append(NOTHING_GIVEN)
            return False
        if upload is not None and typed:
            self.sha256.errors.append(BOTH_GIVEN)
            return False
        if upload is not None:
            data = upload.read()
            if not data:
                self.file.errors.append(EMPTY_FILE)
                return False
            # The same window the signature check allows: a PDF's header may follow a little junk.
            if b"%PDF-" not in data[:PDF_HEADER_WINDOW]:
                self.file.errors.append(NOT_A_PDF)
                return False
            self.pdf_bytes = data
        elif not self.sha256.errors:
            if not SHA256_HEX.match(typed):
                self.sha256.errors.append(MALFORMED_SHA256)
                return False
            self.sha256.data = typed.lower()
        return valid and not self.sha256.errors
