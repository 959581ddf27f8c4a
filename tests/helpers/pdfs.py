"""Helpers for tests that read PDFs: the text poppler extracts, and the context of the sample
document (templates/pdf/sample.html)."""

import subprocess

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


def pdf_text(pdf_bytes: bytes, *, page: int | None = None) -> str:
    """The text of a PDF (or of one page), as poppler's pdftotext reads it."""
    args = ["pdftotext", "-enc", "UTF-8"]
    if page is not None:
        args += ["-f", str(page), "-l", str(page)]
    return subprocess.run([*args, "-", "-"], input=pdf_bytes, capture_output=True, check=True).stdout.decode()
