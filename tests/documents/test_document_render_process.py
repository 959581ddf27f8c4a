"""PDFs are written by a child process that is replaced after PORTAL_RENDERS_PER_PROCESS
documents, so the web process and the job worker never hold WeasyPrint's memory."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from portal.documents import render
from tests.helpers.pdfs import pdf_text, sample_context

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def renders_per_process(app):
    app.config["PORTAL_RENDERS_PER_PROCESS"] = 2
    yield 2
    app.config["PORTAL_RENDERS_PER_PROCESS"] = 0
    render.shutdown_render_process()


# Slow (about 3 s on a quiet machine): it starts two render children, each loading fonts once, as
# production does; the next test starts two more.
def test_pdfs_are_written_by_a_child_that_is_replaced_after_its_share_of_renders(app, renders_per_process):
    children = []
    with app.app_context():
        for _ in range(3):
            pdf = render.render_pdf("sample", sample_context(2))
            assert pdf.startswith(b"%PDF") and "关于调整2026年秋季学期作息时间的决定" in pdf_text(pdf).replace(" ", "")
            children.append(render.last_render_pid)

    assert os.getpid() not in children
    assert children[0] == children[1]  # one child wrote the first two
    assert children[2] != children[0]  # and a new one the third


def test_a_template_error_is_raised_in_the_process_that_asked(app, renders_per_process):
    with app.app_context(), pytest.raises(ValueError):
        render.render_pdf("../secret", {})


def test_a_render_child_left_idle_is_stopped_and_the_next_render_starts_another(app, renders_per_process):
    before = app.config["PORTAL_RENDER_IDLE_SECONDS"]
    app.config["PORTAL_RENDER_IDLE_SECONDS"] = 0.2
    try:
        with app.app_context():
            render.render_pdf("sample", sample_context(1))
            first = render.last_render_pid
            deadline = time.monotonic() + 10
            while render.render_process_ids() and time.monotonic() < deadline:
                time.sleep(0.05)
            assert render.render_process_ids() == []  # stopped: nothing is held while nobody renders
            render.render_pdf("sample", sample_context(1))
            assert render.last_render_pid != first
    finally:
        app.config["PORTAL_RENDER_IDLE_SECONDS"] = before


# Slow (about 4 s): a fresh interpreter imports the portal (2 s) and starts a fork server that
# loads WeasyPrint for the child; in this process the suite has imported WeasyPrint already.
def test_a_web_process_serves_pages_and_has_pdfs_written_without_ever_loading_weasyprint(tmp_path):
    code = """
import sys
from portal import create_app
from portal.documents import render
from tests.helpers.pdfs import pdf_text, sample_context

app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite:///%s", "PORTAL_RENDERS_PER_PROCESS": 5,
                  "PORTAL_PAGE_CACHE": False, "REDIS_URL": ""})
assert app.test_client().get("/terms").status_code == 200
with app.app_context():
    pdf = render.render_pdf("sample", sample_context(1))
render.shutdown_render_process()
print(pdf.startswith(b"%%PDF"), "关于调整" in pdf_text(pdf).replace(" ", ""), "weasyprint" in sys.modules)
""" % (tmp_path / "empty.db")
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=120,
    )

    assert result.stdout.split() == ["True", "True", "False"], result.stdout + result.stderr
