"""Fixtures for the documents pipeline: a throwaway signing key pair (never the repository's
instance/), sample PDF contexts, and text extraction with poppler's pdftotext."""

import pytest

from portal.documents import signing
from portal.documents.render import render_pdf
from tests.helpers.pdfs import sample_context


@pytest.fixture(scope="session")
def signing_keys(app):
    """The development key pair the session's app signs with (see tests/conftest.py)."""
    return app.config["PORTAL_SIGNING_KEY"], app.config["PORTAL_SIGNING_CERT"]


@pytest.fixture(scope="session", autouse=True)
def _fork_server_for_documents(pdf_fork_server):
    yield


@pytest.fixture
def app_context(app, db):
    """The services read the signing key paths from current_app."""
    with app.app_context():
        yield


@pytest.fixture(scope="session")
def sample_pdf(app, signing_keys):
    """One rendered (unsigned) sample PDF, shared: rendering is the slow part."""
    with app.app_context():
        return render_pdf("sample", sample_context())


@pytest.fixture(scope="session")
def signed_pdf(app, sample_pdf):
    with app.app_context():
        return signing.sign_pdf(sample_pdf)
