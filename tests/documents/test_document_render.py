"""Rendering: plain data in, PDF/A-3b out, Chinese fonts embedded, page footer, and nothing
fetched from outside our static files."""

import logging
import re
import subprocess
from datetime import date
from io import BytesIO
from pathlib import Path

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader

from portal.documents.pdf_writer import RefusedURL, StaticOnlyFetcher
from portal.documents.render import render_html, render_pdf
from tests.helpers.pdfs import pdf_text, sample_context


def page_count(pdf_bytes: bytes) -> int:
    return int(PdfFileReader(BytesIO(pdf_bytes)).root["/Pages"]["/Count"])


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_the_chinese_text_is_in_the_pdf(sample_pdf):
    text = squeeze(pdf_text(sample_pdf))
    assert "关于调整2026年秋季学期作息时间的决定" in text
    assert "重庆市渝中区解放路小学校务委员会" in text
    assert "渝解小校委〔2026〕3号" in text
    assert "上午第一节课开始时间由8:00调整为8:20" in text


def test_two_pages_with_page_numbers_in_the_footer(sample_pdf):
    assert page_count(sample_pdf) == 2
    assert "第1页/共2页" in squeeze(pdf_text(sample_pdf, page=1))
    assert "第2页/共2页" in squeeze(pdf_text(sample_pdf, page=2))


def test_every_page_carries_the_verification_address_and_fingerprint(sample_pdf):
    for page in (1, 2):
        text = squeeze(pdf_text(sample_pdf, page=page))
        assert "核验地址：https://portal.test/verify" in text
        assert "正文指纹（SHA-256），可在核验页输入：" + "3f" * 32 in text


def test_later_pages_repeat_the_header(sample_pdf):
    assert "渝解小校委〔2026〕3号" in squeeze(pdf_text(sample_pdf, page=2))


def test_the_cjk_fonts_are_embedded_and_subset(sample_pdf, tmp_path):
    path = tmp_path / "sample.pdf"
    path.write_bytes(sample_pdf)
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, check=True).stdout.decode()
    rows = [line for line in fonts.splitlines() if "CJK" in line]
    assert rows, fonts
    for row in rows:
        assert re.match(r"^[A-Z]{6}\+Noto-(Serif|Sans)-CJK-SC", row), row  # a subset prefix
        assert " yes yes " in row  # embedded, subset


def test_the_cjk_fonts_are_embedded(sample_pdf):
    """Read from the PDF's own font dictionaries (they sit in compressed object streams)."""
    reader = PdfFileReader(BytesIO(sample_pdf))
    names = set()
    for page in reader.root["/Pages"]["/Kids"]:
        fonts = page.get_object()["/Resources"]["/Font"]
        for font in fonts.values():
            font = font.get_object()
            names.add(str(font["/BaseFont"]))
            for descendant in font.get("/DescendantFonts", []):
                descriptor = descendant.get_object()["/FontDescriptor"].get_object()
                assert any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3")), descriptor
    assert any(re.search(r"^/?[A-Z]{6}\+Noto-Serif-CJK-SC", name) for name in names), names
    assert any(re.search(r"^/?[A-Z]{6}\+Noto-Sans-CJK-SC", name) for name in names), names


def test_the_pdf_is_tagged_pdf_a_3a(sample_pdf):
    reader = PdfFileReader(BytesIO(sample_pdf))
    xmp = reader.root["/Metadata"].get_object().data.decode()
    assert 'pdfaid:part="3"' in xmp or "<pdfaid:part>3</pdfaid:part>" in xmp
    assert 'pdfaid:conformance="A"' in xmp or "<pdfaid:conformance>A</pdfaid:conformance>" in xmp
    assert "/OutputIntents" in reader.root
    assert "/StructTreeRoot" in reader.root


BAD_URLS = [
    "file:///etc/passwd",
    "http://example.com/tracker.png",
    "https://example.com/tracker.png",
    "../../../../etc/passwd",
    "/etc/passwd",
    "ftp://example.com/x.png",
    "data:image/png;base64,iVBORw0KGgo=",
]


def test_the_fetcher_refuses_everything_outside_static(app, caplog):
    fetcher = StaticOnlyFetcher(Path(app.static_folder))
    with app.app_context(), caplog.at_level(logging.WARNING, logger="portal.documents.render"):
        pdf = render_pdf("sample", sample_context(paragraphs=1, image_urls=BAD_URLS), fetcher=fetcher)
    assert pdf.startswith(b"%PDF-")  # the document still renders, without the images
    refused = " ".join(fetcher.refused)
    assert "file:///etc/passwd" in refused
    assert "http://example.com/tracker.png" in refused
    assert "https://example.com/tracker.png" in refused
    assert "ftp://example.com/x.png" in refused
    assert "data:image/png" in refused
    # The relative and root-relative paths resolve to file: URLs outside static/: refused as well.
    assert all(url.startswith(("file:", "http", "ftp:", "data:")) for url in fetcher.refused)
    assert "refused to fetch" in caplog.text
    assert "root:" not in squeeze(pdf_text(pdf))  # nothing of /etc/passwd made it in


def test_the_default_fetcher_refuses_too(app, caplog):
    with app.app_context(), caplog.at_level(logging.WARNING, logger="portal.documents.render"):
        render_pdf(
            "sample", sample_context(paragraphs=1, image_urls=["file:///etc/passwd", "http://example.com/x.png"])
        )
    assert "refused to fetch 'file:///etc/passwd'" in caplog.text
    assert "refused to fetch 'http://example.com/x.png'" in caplog.text


def test_the_fetcher_serves_our_static_files(app):
    root = Path(app.static_folder)
    fetcher = StaticOnlyFetcher(root)
    response = fetcher((root / "css" / "pdf.css").as_uri())
    assert b"@page" in response.read()
    assert response.content_type == "text/css"
    response.close()
    for url in ((root / ".." / "pyproject.toml").as_uri(), (root / "missing.css").as_uri(), root.as_uri()):
        with pytest.raises(RefusedURL):
            fetcher(url)


def test_templates_take_plain_values_only(app, school):
    with app.app_context():
        assert "2026-11-28" in render_html("sample", sample_context(title=date(2026, 11, 28)))
        with pytest.raises(TypeError, match="plain values only"):
            render_html("sample", sample_context(title=school))
        with pytest.raises(TypeError):
            render_html("sample", sample_context(paragraphs=[object()]))


@pytest.mark.parametrize("name", ["../base", "base.html", "Sample", "", "sample/../../x"])
def test_template_names_are_checked(app, name):
    with app.app_context(), pytest.raises(ValueError):
        render_html(name, sample_context())


def test_text_is_escaped(app):
    with app.app_context():
        html = render_html("sample", sample_context(paragraphs=['<img src="file:///etc/passwd">']))
    assert '<img src="file:///etc/passwd">' not in html
    assert "&lt;img" in html
