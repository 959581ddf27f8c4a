"""The CJK fonts are subset by HarfBuzz, never by WeasyPrint's slow fontTools fallback.

How WeasyPrint 70 decides (weasyprint/text/ffi.py and weasyprint/pdf/fonts.py): at import,
`ffi.harfbuzz_subset` is the library dlopen()ed under the names 'libharfbuzz-subset-0',
'harfbuzz-subset', …, 'libharfbuzz-subset.so.0', or None when none loads (only a
DeprecationWarning at import time says so). `Font.subset()` then calls `_harfbuzz_subset()` if
that library loaded and HarfBuzz is at least 4.1.0, and otherwise logs a warning on the
"weasyprint" logger and calls `_fonttools_subset()`, which takes ~12 s instead of ~0.3 s for a
two-page Chinese PDF: every publication would then time out. Debian ships the library as
libharfbuzz-subset0 (the Makefile's system-packages target installs it).
"""

import ctypes
import ctypes.util
import logging
import re
from io import BytesIO
from pathlib import Path

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader
from weasyprint.pdf import fonts as weasyprint_fonts
from weasyprint.text import ffi as weasyprint_ffi

from portal.documents.render import render_pdf
from tests.helpers.pdfs import sample_context

REPOSITORY = Path(__file__).resolve().parents[2]
INSTALL_HINT = "install Debian's libharfbuzz-subset0 (`make system-packages`)"


class FontToolsFallback(Exception):
    """Raised instead of running the slow fallback: the test only needs to know it was chosen."""


@pytest.fixture
def subsetting_calls(monkeypatch):
    """Counts the calls of WeasyPrint's two subsetting paths while the real HarfBuzz one runs;
    the fontTools one is stopped at once (it would take seconds)."""
    calls = {"harfbuzz": 0, "fonttools": 0}
    harfbuzz_subset = weasyprint_fonts.Font._harfbuzz_subset

    def counted_harfbuzz(self, *args, **kwargs):
        calls["harfbuzz"] += 1
        return harfbuzz_subset(self, *args, **kwargs)

    def stopped_fonttools(self, *args, **kwargs):
        calls["fonttools"] += 1
        raise FontToolsFallback(self.family)

    monkeypatch.setattr(weasyprint_fonts.Font, "_harfbuzz_subset", counted_harfbuzz)
    monkeypatch.setattr(weasyprint_fonts.Font, "_fonttools_subset", stopped_fonttools)
    return calls


def subsetting_warnings(caplog) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name.startswith("weasyprint") and re.search("subset", r.getMessage(), re.I)
    ]


def test_the_harfbuzz_subset_library_is_installed_where_the_system_finds_it():
    assert ctypes.util.find_library("harfbuzz-subset"), INSTALL_HINT
    ctypes.CDLL("libharfbuzz-subset.so.0").hb_subset_or_fail  # noqa: B018  (the symbol WeasyPrint calls)


def test_weasyprint_loaded_harfbuzz_subset_and_a_recent_enough_harfbuzz():
    """The very condition Font.subset() checks, on the objects WeasyPrint itself loaded."""
    assert weasyprint_ffi.harfbuzz_subset is not None, f"WeasyPrint could not dlopen HarfBuzz-Subset: {INSTALL_HINT}"
    assert weasyprint_fonts.harfbuzz_subset is weasyprint_ffi.harfbuzz_subset
    assert weasyprint_ffi.harfbuzz.hb_version_atleast(4, 1, 0), (
        "HarfBuzz older than 4.1.0: WeasyPrint subsets with fontTools"
    )


def test_a_two_page_chinese_pdf_is_subset_by_harfbuzz_without_any_warning(app, caplog, subsetting_calls):
    with caplog.at_level(logging.DEBUG, logger="weasyprint"), app.app_context():
        pdf = render_pdf("sample", sample_context())

    assert int(PdfFileReader(BytesIO(pdf)).root["/Pages"]["/Count"]) == 2
    assert subsetting_calls["fonttools"] == 0, INSTALL_HINT
    assert subsetting_calls["harfbuzz"] >= 2  # at least the serif body and the sans headings
    assert subsetting_warnings(caplog) == []
    # Subset, not whole: one Noto CJK font alone is over 15 MB.
    assert len(pdf) < 2 * 1024 * 1024


def test_without_harfbuzz_subset_the_fallback_would_be_noticed(app, caplog, monkeypatch, subsetting_calls):
    """The check above is not vacuous: with the library missing, as on a machine without
    libharfbuzz-subset0, WeasyPrint takes the fontTools path and warns, and we see both."""
    monkeypatch.setattr(weasyprint_fonts, "harfbuzz_subset", None)

    with caplog.at_level(logging.WARNING, logger="weasyprint"), app.app_context(), pytest.raises(FontToolsFallback):
        render_pdf("sample", sample_context(paragraphs=1))

    assert subsetting_calls == {"harfbuzz": 0, "fonttools": 1}
    assert any("fontTools instead of HarfBuzz-Subset" in message for message in subsetting_warnings(caplog))


def test_the_system_packages_target_installs_libharfbuzz_subset0():
    makefile = (REPOSITORY / "Makefile").read_text()
    (packages,) = re.findall(r"^DEBIAN_PACKAGES\s*:=\s*(.+)$", makefile, re.M)
    assert "libharfbuzz-subset0" in packages.split()
    assert re.search(r"^system-packages:", makefile, re.M)
    assert re.search(r"^setup:.*\bsystem-packages\b", makefile, re.M)
