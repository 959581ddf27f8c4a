"""Approving minutes publishes them: the meeting's record (agenda, attendance, minutes) is
rendered to PDF, signed and archived in the same transaction, downloadable for good from the
meeting's page, and verifiable at /verify."""

import hashlib
from urllib.parse import quote

import pytest
from sqlalchemy import select

from portal.documents import render, signing
from portal.documents.models import DocumentKind, PublicationLogEntry
from portal.documents.services import archive_counts, find_by_sha256
from portal.meetings import services
from portal.meetings.models import Meeting, MinutesStatus
from tests.helpers.pages import ENGLISH
from tests.helpers.pdfs import pdf_text


def fresh(db, meeting) -> Meeting:
    db.session.expire_all()
    return db.session.get(Meeting, meeting.id)


def pdf_url(meeting):
    return f"/meetings/{meeting.id}/minutes.pdf"


@pytest.fixture
def attended_meeting(with_app, db, past_meeting):
    """The past meeting with 周建华 and 李秀英 present and 王国平 absent."""
    members = {member.name: member for member in services.members_for_meeting(past_meeting)}
    with with_app():
        services.record_attendance(
            None, past_meeting, {members["周建华"].id: True, members["李秀英"].id: True, members["王国平"].id: False}
        )
        db.session.commit()
    return past_meeting


@pytest.fixture
def approved(with_app, db, attended_meeting):
    with with_app():
        services.approve_minutes(None, attended_meeting)
        db.session.commit()
    return attended_meeting


def test_approving_minutes_archives_their_signed_pdf(app, db, approved):
    meeting = fresh(db, approved)

    document = find_by_sha256(meeting.minutes_document_sha256)
    assert document is not None and document.kind == DocumentKind.MINUTES and document.signed
    assert hashlib.sha256(document.content).hexdigest() == meeting.minutes_document_sha256
    (entry,) = db.session.scalars(
        select(PublicationLogEntry).where(PublicationLogEntry.document_sha256 == document.sha256)
    ).all()
    assert (entry.object_type, entry.object_id) == ("minutes", meeting.id)
    with app.app_context():
        assert signing.verify_signature(document.content) == "valid"


def test_the_minutes_pdf_holds_the_whole_record_of_the_meeting(db, school, approved):
    text = pdf_text(find_by_sha256(fresh(db, approved).minutes_document_sha256).content)

    assert school.name_zh in text and "校务委员会会议纪要" in text
    assert "2026年第一次校务委员会会议" in text
    assert "2026年3月2日 15:30" in text and "学校三楼会议室" in text
    assert "审议2026学年度工作计划" in text and "食堂膳食管理情况通报" in text
    assert "周建华、李秀英" in text and "王国平" in text
    assert "原则通过。表决结果：同意3票，反对0票，弃权0票。" in text
    assert "批准" in text
    assert "https://portal.test/verify" in text


def test_board_member_approving_on_the_page_publishes_the_pdf(
    client, db, school, board_member, attended_meeting, login_as
):
    login_as(board_member)

    response = client.post(
        f"/schools/{school.slug}/manage/meetings/{attended_meeting.id}/approve", data={"confirm": "y"}
    )

    assert response.status_code == 303
    meeting = fresh(db, attended_meeting)
    assert meeting.minutes_approved and find_by_sha256(meeting.minutes_document_sha256) is not None


def test_empty_minutes_are_refused_before_anything_is_rendered(with_app, db, school, board, make_meeting, monkeypatch):
    meeting = make_meeting(school, board, minutes="")
    monkeypatch.setattr(render, "render_pdf", lambda *args, **kwargs: pytest.fail("rendered"))

    with with_app():
        with pytest.raises(services.DomainError, match="minutes_empty"):
            services.approve_minutes(None, meeting)
        db.session.rollback()

    assert archive_counts() == (0, 0)


@pytest.mark.parametrize("failing", ["render", "sign"])
def test_approval_fails_whole_when_the_pdf_cannot_be_made(with_app, db, attended_meeting, monkeypatch, failing):
    def broken(*args, **kwargs):
        raise RuntimeError(f"{failing} failed")

    monkeypatch.setattr(*((render, "render_pdf") if failing == "render" else (signing, "sign_pdf")), broken)

    with with_app():
        with pytest.raises(RuntimeError, match=f"{failing} failed"):
            services.approve_minutes(None, attended_meeting)
        db.session.rollback()

    meeting = fresh(db, attended_meeting)
    assert meeting.minutes_status == MinutesStatus.DRAFT and meeting.minutes_approved_at is None
    assert meeting.minutes_document_sha256 is None
    assert archive_counts() == (0, 0)


def test_approval_page_that_fails_to_make_the_pdf_changes_nothing(
    app, client, db, school, board_member, attended_meeting, login_as, monkeypatch
):
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    monkeypatch.setattr(render, "render_pdf", lambda *args, **kwargs: 1 / 0)
    login_as(board_member)

    response = client.post(
        f"/schools/{school.slug}/manage/meetings/{attended_meeting.id}/approve", data={"confirm": "y"}
    )

    assert response.status_code == 500
    assert not fresh(db, attended_meeting).minutes_approved
    assert archive_counts() == (0, 0)


# --- downloading ----------------------------------------------------------------------------


def test_anyone_downloads_the_archived_pdf_of_approved_minutes(client, db, school, approved):
    digest = fresh(db, approved).minutes_document_sha256

    response = client.get(pdf_url(approved))

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/pdf"
    assert hashlib.sha256(response.data).hexdigest() == digest
    assert response.headers["ETag"] == f'"{digest}"'
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    filename = f"{school.name_zh}校务委员会会议纪要2026-03-02.pdf"
    assert f"filename*=UTF-8''{quote(filename, safe='')}" in response.headers["Content-Disposition"]


def test_a_client_holding_the_minutes_pdf_gets_304(client, db, approved):
    digest = fresh(db, approved).minutes_document_sha256

    response = client.get(pdf_url(approved), headers={"If-None-Match": f'W/"other", "{digest}"'})

    assert response.status_code == 304 and response.data == b""


def test_draft_minutes_have_no_pdf_even_for_the_board(client, board_member, past_meeting, login_as):
    login_as(board_member)

    assert client.get(pdf_url(past_meeting)).status_code == 404


@pytest.mark.parametrize("meeting_id", ["999999", "2147483648"])
def test_minutes_of_a_meeting_that_does_not_exist_are_not_found(client, db, meeting_id):
    assert client.get(f"/meetings/{meeting_id}/minutes.pdf").status_code == 404


# --- the meeting's page ---------------------------------------------------------------------


def test_meeting_page_links_to_the_minutes_pdf_with_its_fingerprint_and_to_verify(client, db, approved):
    digest = fresh(db, approved).minutes_document_sha256

    page = client.get(f"/meetings/{approved.id}", headers=ENGLISH).get_data(as_text=True)

    assert f'href="{pdf_url(approved)}"' in page
    assert f'<code class="fingerprint">{digest}</code>' in page
    assert 'href="/verify"' in page


def test_meeting_page_with_draft_minutes_offers_no_pdf(client, board_member, past_meeting, login_as):
    login_as(board_member)

    page = client.get(f"/meetings/{past_meeting.id}", headers=ENGLISH).get_data(as_text=True)

    assert pdf_url(past_meeting) not in page and "The archived document" not in page
