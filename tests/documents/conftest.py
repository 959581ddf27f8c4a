"""Fixtures for the documents pipeline: a throwaway signing key pair (never the repository's
instance/), sample PDF contexts, and text extraction with poppler's pdftotext."""
import subprocess

import pytest

from portal.documents import signing
from portal.documents.render import render_pdf


@pytest.fixture(scope="session")
def signing_keys(app):
    """The development key pair the session's app signs with (see tests/conftest.py)."""
    return app.config["PORTAL_SIGNING_KEY"], app.config["PORTAL_SIGNING_CERT"]


@pytest.fixture
def app_context(app, db):
    """The services read the signing key paths from current_app."""
    with app.app_context():
        yield


PARAGRAPH = (
    "经校务委员会2026年11月20日会议审议，根据《重庆市中小学管理规范》，现决定自2026年12月1日起"
    "调整学校作息时间，上午第一节课开始时间由8:00调整为8:20，以保障学生充足睡眠。"
)


def sample_context(paragraphs: int | list = 18, **overrides) -> dict:
    """A two-page Chinese document (with the default 18 paragraphs), or the given paragraphs."""
    context = {
        "lang": "zh-CN",
        "title": "关于调整2026年秋季学期作息时间的决定",
        "issuer": "重庆市渝中区解放路小学校务委员会",
        "number": "渝解小校委〔2026〕3号",
        "verify_url": "https://portal.test/verify",
        "fingerprint": "3f" * 32,
        "paragraphs": [PARAGRAPH] * paragraphs if isinstance(paragraphs, int) else paragraphs,
    }
    context.update(overrides)
    return context


@pytest.fixture(scope="session")
def sample_pdf(app, signing_keys):
    """One rendered (unsigned) sample PDF, shared: rendering is the slow part."""
    with app.app_context():
        return render_pdf("sample", sample_context())


@pytest.fixture(scope="session")
def signed_pdf(app, sample_pdf):
    with app.app_context():
        return signing.sign_pdf(sample_pdf)


def pdf_text(pdf_bytes: bytes, *, page: int | None = None) -> str:
    args = ["pdftotext", "-enc", "UTF-8"]
    if page is not None:
        args += ["-f", str(page), "-l", str(page)]
    return subprocess.run([*args, "-", "-"], input=pdf_bytes, capture_output=True, check=True).stdout.decode()
