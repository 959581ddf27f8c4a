"""Downloading a decision's archived PDF, /decisions/<id>.pdf: the stored bytes exactly, named
after the decision, cacheable for good because they never change."""

import hashlib
from urllib.parse import quote, unquote

import pytest

from portal.documents.download import FILENAME_MAX, file_name
from tests.helpers.pages import log_in


def test_pdf_download_has_etag_and_chinese_filename(client, db, school, make_published):
    school.decision_prefix = "渝测一小校委"
    db.session.commit()
    decision = make_published()

    response = client.get(f"/decisions/{decision.id}.pdf")

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["ETag"] == f'"{decision.document_sha256}"'
    assert "immutable" in response.headers["Cache-Control"]
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment; ")
    expected = f"{decision.number} 关于加强学校食堂管理的决定.pdf"
    assert f"filename*=UTF-8''{quote(expected, safe='')}" in disposition


def test_pdf_download_is_the_archived_bytes_exactly(client, make_published):
    decision = make_published()

    response = client.get(f"/decisions/{decision.id}.pdf")

    assert response.data.startswith(b"%PDF")
    assert hashlib.sha256(response.data).hexdigest() == decision.document_sha256


def test_reader_who_already_has_the_pdf_gets_304_without_the_bytes(client, make_published):
    decision = make_published()

    response = client.get(f"/decisions/{decision.id}.pdf", headers={"If-None-Match": f'"{decision.document_sha256}"'})

    assert response.status_code == 304
    assert response.data == b""


def test_superseded_decision_can_still_be_downloaded(client, make_published):
    earlier = make_published()
    make_published(replaces_id=earlier.id, replaces_how="supersedes")

    assert client.get(f"/decisions/{earlier.id}.pdf").status_code == 200


@pytest.mark.parametrize("logged_in", [False, True])
def test_draft_has_no_pdf_download(client, make_draft, make_user, school, logged_in):
    draft = make_draft()
    if logged_in:
        log_in(client, make_user(role="school_admin", scope=school))

    assert client.get(f"/decisions/{draft.id}.pdf").status_code == 404


@pytest.mark.parametrize(
    "address", ["/decisions/999999.pdf", "/decisions/99999999999999999999.pdf", "/decisions/0.pdf"]
)
def test_pdf_of_an_unknown_decision_is_not_found(client, db, address):
    assert client.get(address).status_code == 404


def filename_of(number, title):
    return file_name(f"{number} {title}")


def test_pdf_filename_is_the_number_and_the_title():
    assert (
        filename_of("渝一中校委〔2026〕3号", "关于加强学校食堂管理的决定")
        == "渝一中校委〔2026〕3号 关于加强学校食堂管理的决定.pdf"
    )


def test_pdf_filename_drops_slashes_control_characters_and_reserved_marks():
    name = filename_of("〔2026〕3号", '关于/../..\\etc\x00\x1b[31m "校车" 安全\u202e的决定\r\n<>|?*:')

    assert name == "〔2026〕3号 关于-..-..-etc [31m -校车- 安全 的决定.pdf"
    assert not any(ch in name for ch in '/\\\x00\x1b\r\n"<>|?*:\u202e')


def test_pdf_filename_of_a_long_title_is_cut_short():
    name = filename_of("〔2026〕3号", "关于" + "很长的标题" * 100)

    assert len(name) == FILENAME_MAX + len(".pdf")
    assert name.endswith("…" + ".pdf")


def test_pdf_filename_travels_intact_in_the_header(client, add_published):
    decision = add_published(title="关于“双减”工作/课后服务的决定", with_document=True)

    disposition = client.get(f"/decisions/{decision.id}.pdf").headers["Content-Disposition"]

    encoded = disposition.split("filename*=UTF-8''", 1)[1]
    assert unquote(encoded) == f"{decision.number} 关于“双减”工作-课后服务的决定.pdf"
