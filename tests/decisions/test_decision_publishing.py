"""Publishing a decision: one atomic step that numbers, renders, signs, archives and audits."""

from datetime import UTC, datetime, timedelta, timezone
from io import BytesIO

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader
from sqlalchemy import func, select

from portal.audit import AuditEvent
from portal.charters import services as charters
from portal.charters.models import CharterVersion
from portal.decisions import services
from portal.decisions.models import Decision, DecisionRefusal, DecisionStatus
from portal.documents import render, signing
from portal.documents.models import Document
from portal.documents.services import archive_counts, find_by_sha256
from portal.domain import DomainError
from tests.helpers.pdfs import pdf_text


def test_publishing_numbers_the_decision_and_archives_its_signed_pdf(app, db, make_published, school):
    school.decision_prefix = "渝解小校委"
    db.session.commit()

    decision = make_published()

    assert decision.status == DecisionStatus.PUBLISHED
    assert decision.number == f"渝解小校委〔{decision.number_year}〕1号"
    document = find_by_sha256(decision.document_sha256)
    assert document is not None and document.content.startswith(b"%PDF")
    assert archive_counts() == (1, 1)


def published_pdf(decision) -> bytes:
    return find_by_sha256(decision.document_sha256).content


def test_the_pdf_shows_the_number_the_chinese_title_the_vote_and_where_to_verify(app, db, make_published, school):
    school.decision_prefix = "渝解小校委"
    db.session.commit()

    decision = make_published(votes_for=2, votes_against=1)

    text = pdf_text(published_pdf(decision))
    assert decision.number in text
    assert "关于加强学校食堂管理的决定" in text
    assert "赞成 2 票，反对 1 票，弃权 0 票" in text
    assert "https://portal.test/verify" in text
    assert "第1页/共1页" in text.replace(" ", "")
    assert "草稿" not in text


def test_the_pdf_is_pdf_a_3_and_its_signature_is_intact(app, make_published):
    decision = make_published()
    pdf = published_pdf(decision)

    xmp = PdfFileReader(BytesIO(pdf)).root["/Metadata"].get_object().data.decode()
    assert 'pdfaid:part="3"' in xmp or "<pdfaid:part>3</pdfaid:part>" in xmp
    with app.app_context():
        assert signing.verify_signature(pdf) == "valid"
        changed = bytearray(pdf)
        changed[len(pdf) // 3] ^= 0x01
        assert signing.verify_signature(bytes(changed)) in ("broken", "unsigned")


def test_the_preview_is_marked_draft_and_takes_no_number(app, db, make_draft):
    draft = make_draft()

    with app.app_context():
        text = pdf_text(services.preview_pdf(draft))

    assert "草稿 — 未发布" in text and "DRAFT — not published" in text
    assert archive_counts() == (0, 0) and draft.number is None


def test_numbers_count_up_per_school_and_start_again_each_year(
    app, db, make_published, other_school, other_school_meeting, make_draft
):
    first = make_published(now=datetime(2026, 5, 1, 2, tzinfo=UTC))
    second = make_published(now=datetime(2026, 6, 1, 2, tzinfo=UTC))
    # Beijing is 8 hours ahead: 2026-12-31 20:00 UTC is already 2027 there.
    third = make_published(now=datetime(2026, 12, 31, 20, tzinfo=UTC))
    elsewhere = make_draft(school=other_school, meeting=other_school_meeting)
    with app.app_context():
        services.publish_decision(None, elsewhere, now=datetime(2026, 6, 2, tzinfo=UTC))
        db.session.commit()

    assert [first.number, second.number, third.number] == ["〔2026〕1号", "〔2026〕2号", "〔2027〕1号"]
    assert elsewhere.number == "〔2026〕1号"


def test_publishing_a_decision_that_supersedes_another_marks_the_earlier_one(app, db, make_published):
    earlier = make_published(title="旧决定")
    later = make_published(title="新决定", replaces_id=earlier.id, replaces_how="supersedes")

    earlier = db.session.get(Decision, earlier.id)
    assert earlier.status == DecisionStatus.SUPERSEDED
    assert earlier.replaced_by.id == later.id
    # An official document is cited by its title in 《》, then its number in （） (先引标题，后引发文字号).
    text = pdf_text(published_pdf(later)).replace(" ", "").replace("\n", "")
    assert f"取代《{earlier.title}》（{earlier.number}）" in text


def test_publishing_a_decision_that_revokes_another_marks_it_revoked(app, db, make_published):
    earlier = make_published(title="旧决定")
    make_published(title="废止决定", replaces_id=earlier.id, replaces_how="revokes")

    assert db.session.get(Decision, earlier.id).status == DecisionStatus.REVOKED


def test_a_decision_no_longer_in_force_cannot_be_superseded_again(app, db, make_published, make_draft):
    earlier = make_published()
    make_published(replaces_id=earlier.id)

    with pytest.raises(DomainError) as refused:
        make_draft(replaces_id=earlier.id)

    assert refused.value.reason == DecisionRefusal.UNKNOWN_TARGET


def test_a_decision_that_adopts_a_draft_charter_version_adopts_it(app, db, school, make_published):
    version = charters.start_draft(None, school)
    charters.edit_draft(None, version, body="# 第一章 总则\n\n第一条 本校依法办学。", change_note="首版")
    db.session.commit()

    decision = make_published(charter_version_id=version.id)

    version = db.session.get(CharterVersion, version.id)
    assert (
        version.is_adopted
        and version.adopted_on == decision.published_at.astimezone(timezone(timedelta(hours=8))).date()
    )
    assert "通过《" in pdf_text(published_pdf(decision))


@pytest.mark.parametrize("failing", ["render", "sign", "store"])
def test_a_failure_anywhere_leaves_the_draft_unchanged_and_uses_no_number(app, db, make_draft, monkeypatch, failing):
    draft_id = make_draft().id
    if failing == "render":
        monkeypatch.setattr(render, "render_pdf", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("fonts missing")))
    elif failing == "sign":
        monkeypatch.setattr(signing, "sign_pdf", lambda *a, **k: (_ for _ in ()).throw(OSError("no key")))
    else:
        monkeypatch.setattr(
            Document, "__init__", lambda *a, **k: (_ for _ in ()).throw(OSError(28, "No space left on device"))
        )

    with app.app_context():
        with pytest.raises((RuntimeError, OSError)):
            services.publish_decision(None, db.session.get(Decision, draft_id))
        db.session.rollback()

    db.session.remove()
    assert db.session.get(Decision, draft_id).status == DecisionStatus.DRAFT
    assert db.session.get(Decision, draft_id).number is None
    assert archive_counts() == (0, 0)
    assert (
        db.session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action.like("decision.publish%"))
        )
        == 0
    )
    monkeypatch.undo()
    with app.app_context():
        published = services.publish_decision(None, db.session.get(Decision, draft_id))  # the number was not used up
        assert published.number_sequence == 1


def test_images_and_links_to_files_or_the_network_in_the_text_fetch_nothing(app, db, make_published, caplog):
    body = '<img src="file:///etc/passwd"> ![x](file:///etc/passwd) ![y](http://198.51.100.1/pixel.png)\n\n正文。'

    decision = make_published(body=body)

    text = pdf_text(published_pdf(decision))
    assert "root:" not in text
    assert "正文" in text


def test_a_meeting_in_the_future_cannot_be_the_meeting_of_a_decision(app, db, school, make_draft, decision_meeting):
    with pytest.raises(DomainError) as refused:
        services.create_draft(
            None,
            school,
            {"title": "x", "body": "y", "meeting_id": decision_meeting.id},
            now=datetime(2026, 1, 1, tzinfo=UTC),
        )

    assert refused.value.reason == DecisionRefusal.FUTURE_MEETING


def test_a_charter_version_that_cannot_be_adopted_refuses_the_publication_in_the_decisions_words(
    app, db, school, make_draft
):
    version = charters.start_draft(None, school, from_template=False)  # no text yet
    db.session.commit()
    draft = make_draft(charter_version_id=version.id)

    with app.app_context():
        with pytest.raises(DomainError) as refused:
            services.publish_decision(None, draft)
        db.session.rollback()

    assert refused.value.reason == DecisionRefusal.CHARTER_EMPTY
    assert refused.value.field == "charter_version_id"


def test_the_fingerprint_and_qr_code_in_a_published_decision_lead_back_to_it(app, db, make_published, client):
    decision = make_published()
    pdf = published_pdf(decision)
    fingerprint = render.body_fingerprint(decision.body)

    assert find_by_sha256(decision.document_sha256).text_sha256 == fingerprint
    printed = pdf_text(pdf, page=1)
    assert render.grouped_fingerprint(fingerprint)[:39] in printed  # the first line of eight groups
    with app.app_context():
        assert render.fingerprint_link(fingerprint) == f"https://portal.test/verify?fingerprint={fingerprint}"

    typed = render.grouped_fingerprint(fingerprint).upper()
    page = client.post("/verify", data={"sha256": typed}, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert 'data-verdict="authentic"' in page
    assert f'href="/decisions/{decision.id}"' in page
    assert 'data-status="in_force"' in page or 'data-status="not_yet_in_force"' in page


def test_a_published_decision_is_pdf_1_7_with_a_timestamped_signature(app, db, make_published):
    pdf = published_pdf(make_published())
    assert pdf.startswith(b"%PDF-1.7") and b"/Version /2.0" not in pdf
    signature = PdfFileReader(BytesIO(pdf)).embedded_signatures[0]
    unsigned = [attribute["type"].native for attribute in signature.signer_info["unsigned_attrs"]]
    assert "signature_time_stamp_token" in unsigned
