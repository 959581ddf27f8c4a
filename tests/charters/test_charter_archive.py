"""Adopting a charter version publishes it: its PDF is rendered, signed and archived in the same
transaction, downloadable for good from the version's page, and verifiable at /verify."""

import hashlib
import re
from datetime import date
from urllib.parse import quote

import pytest
from sqlalchemy import select

from portal.charters import services
from portal.charters.models import CharterStatus, CharterVersion
from portal.documents import render, signing
from portal.documents.models import DocumentKind, PublicationLogEntry
from portal.documents.services import archive_counts, find_by_sha256, verify_archive
from tests.helpers.charters import VERSION_1
from tests.helpers.pages import ENGLISH
from tests.helpers.pdfs import pdf_text


def fresh(db, version) -> CharterVersion:
    db.session.expire_all()
    return db.session.get(CharterVersion, version.id)


def pdf_url(school, number):
    return f"/schools/{school.slug}/charter/versions/{number}.pdf"


@pytest.fixture
def adopted(school, add_version):
    return add_version(school, VERSION_1, adopted_on=date(2021, 6, 25), effective_on=date(2021, 9, 1), note="首部章程")


def test_adopting_a_version_archives_its_signed_pdf(app, db, school, adopted):
    version = fresh(db, adopted)

    document = find_by_sha256(version.document_sha256)
    assert document is not None and document.kind == DocumentKind.CHARTER_VERSION and document.signed
    assert hashlib.sha256(document.content).hexdigest() == version.document_sha256
    (entry,) = db.session.scalars(
        select(PublicationLogEntry).where(PublicationLogEntry.document_sha256 == document.sha256)
    ).all()
    assert (entry.object_type, entry.object_id) == ("charter_version", version.id)
    with app.app_context():
        assert signing.verify_signature(document.content) == "valid"
        assert verify_archive() == []


def test_the_charter_pdf_says_whose_charter_which_version_and_when(db, school, adopted):
    text = pdf_text(find_by_sha256(fresh(db, adopted).document_sha256).content)

    assert school.name_zh in text
    assert "章程（第 1 版）" in text
    assert "2021年6月25日" in text and "2021年9月1日" in text
    assert "首部章程" in text
    assert "第一章 总则" in text and "学校实行校长负责制。" in text
    assert "https://portal.test/verify" in text  # where to check a copy, in every page's footer


def test_each_adopted_version_has_its_own_document(db, school, charter):
    first, second = (fresh(db, version) for version in charter)

    assert first.document_sha256 and second.document_sha256 and first.document_sha256 != second.document_sha256
    assert archive_counts() == (2, 2)


def test_a_draft_has_no_document(db, school, draft):
    assert fresh(db, draft).document_sha256 is None


@pytest.mark.parametrize("failing", ["render", "sign"])
def test_adoption_fails_whole_when_the_pdf_cannot_be_made(with_app, db, school, charter, draft, monkeypatch, failing):
    def broken(*args, **kwargs):
        raise RuntimeError(f"{failing} failed")

    monkeypatch.setattr(*((render, "render_pdf") if failing == "render" else (signing, "sign_pdf")), broken)
    before = archive_counts()

    with with_app():
        with pytest.raises(RuntimeError, match=f"{failing} failed"):
            services.adopt_version(None, draft, adopted_on=date(2026, 3, 1), effective_on=date(2026, 3, 1))
        db.session.rollback()

    version = fresh(db, draft)
    assert version.status == CharterStatus.DRAFT and version.adopted_on is None and version.document_sha256 is None
    assert archive_counts() == before
    assert services.latest_adopted(school).number == 2


def test_adoption_page_that_fails_to_make_the_pdf_changes_nothing(
    app, client, db, login_as, make_user, school, charter, draft, monkeypatch
):
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    monkeypatch.setattr(render, "render_pdf", lambda *args, **kwargs: 1 / 0)
    login_as(make_user(role="school_admin", scope=school))

    response = client.post(
        f"/schools/{school.slug}/manage/charter/versions/3/adopt",
        data={"adopted_on": "2026-03-01", "effective_on": "2026-04-01", "confirm": "y"},
        headers=ENGLISH,
    )

    assert response.status_code == 500
    assert fresh(db, draft).status == CharterStatus.DRAFT
    assert archive_counts() == (2, 2)


# --- downloading ----------------------------------------------------------------------------


def test_anyone_downloads_the_archived_pdf_of_an_adopted_version(client, db, school, adopted):
    digest = fresh(db, adopted).document_sha256

    response = client.get(pdf_url(school, 1))

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/pdf"
    assert hashlib.sha256(response.data).hexdigest() == digest
    assert response.headers["ETag"] == f'"{digest}"'
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment; ")
    assert f"filename*=UTF-8''{quote(f'{school.name_zh}章程第1版.pdf', safe='')}" in disposition
    assert re.search(r'filename="[ -~]+\.pdf"', disposition)  # an ASCII name for old clients


def test_a_client_holding_the_pdf_gets_304(client, db, school, adopted):
    digest = fresh(db, adopted).document_sha256

    response = client.get(pdf_url(school, 1), headers={"If-None-Match": f'"{digest}"'})

    assert response.status_code == 304
    assert response.data == b""
    assert response.headers["ETag"] == f'"{digest}"'


def test_a_draft_has_no_pdf_even_for_its_administrator(client, login_as, make_user, school, draft):
    login_as(make_user(role="school_admin", scope=school))

    assert client.get(pdf_url(school, 3)).status_code == 404


@pytest.mark.parametrize("number", [9, 0, 99999999999])
def test_a_version_that_does_not_exist_has_no_pdf(client, school, charter, number):
    assert client.get(pdf_url(school, number)).status_code == 404


def test_a_version_of_another_school_is_not_found_under_this_one(client, school, other_school, add_version):
    add_version(other_school, VERSION_1)

    assert client.get(pdf_url(school, 1)).status_code == 404
    assert client.get(pdf_url(other_school, 1)).status_code == 200


def test_a_version_adopted_before_charters_were_archived_has_no_pdf(client, db, school, adopted):
    version = fresh(db, adopted)
    version.document_sha256 = None  # as for versions adopted before this change
    db.session.commit()

    assert client.get(pdf_url(school, 1)).status_code == 404
    page = client.get(f"/schools/{school.slug}/charter", headers=ENGLISH).get_data(as_text=True)
    assert ".pdf" not in page and "The archived document" not in page


# --- the pages --------------------------------------------------------------------------------


@pytest.mark.parametrize("page", ["current", "version"])
def test_charter_pages_link_to_the_pdf_with_its_fingerprint_and_to_verify(client, db, school, charter, page):
    second = fresh(db, charter[1])
    url = f"/schools/{school.slug}/charter" + ("/versions/2" if page == "version" else "")

    html = client.get(url, headers=ENGLISH).get_data(as_text=True)

    assert f'href="{pdf_url(school, 2)}"' in html
    assert f'<code class="fingerprint">{second.document_sha256}</code>' in html
    assert 'href="/verify"' in html
    assert "verify a copy" in html


def test_an_earlier_version_links_to_its_own_pdf(client, db, school, charter):
    first = fresh(db, charter[0])

    html = client.get(f"/schools/{school.slug}/charter/versions/1", headers=ENGLISH).get_data(as_text=True)

    assert f'href="{pdf_url(school, 1)}"' in html and first.document_sha256 in html


def test_the_draft_page_offers_no_pdf(client, login_as, make_user, school, draft):
    login_as(make_user(role="school_admin", scope=school))

    html = client.get(f"/schools/{school.slug}/charter/versions/3", headers=ENGLISH).get_data(as_text=True)

    assert pdf_url(school, 3) not in html and "The archived document" not in html
