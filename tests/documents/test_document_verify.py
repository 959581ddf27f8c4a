"""/verify: anyone checks whether a PDF (or the SHA-256 of one) is a record the portal published.

Authentic when the bytes are in the archive; altered when they carry the portal's signature but
are not in the archive; unknown otherwise. Bad input gets a message beside its field (422), a
body over the size limit 413, and nothing anyone uploads makes the page fail.
"""

import re
from datetime import UTC, date, datetime
from io import BytesIO

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from portal.audit import AuditEvent
from portal.charters import services as charters
from portal.documents import services, signing
from portal.documents.models import DocumentKind
from portal.meetings import services as meetings
from portal.meetings.models import BodyKind, Constituency, Position
from tests.helpers.decisions import insert_published
from tests.helpers.pages import ENGLISH, HTMX, csrf_token_from, field_error

VERIFY = "/verify"
MEETING_START = datetime(2026, 3, 2, 7, 30, tzinfo=UTC)
FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(autouse=True)
def _pdfs_rendered_once(pdfs_rendered_once_per_run):
    """Test after test adopts the same charter version: its PDF is rendered once per run (and
    signed and archived every time, so each test's copy is a file of its own)."""


@pytest.fixture
def published_charter(with_app, db, school):
    """Version 1 of the school's charter, adopted: its PDF rendered, signed and archived."""
    with with_app():
        draft = charters.start_draft(None, school, from_template=True)
        charters.adopt_version(None, draft, adopted_on=date(2025, 6, 1), effective_on=date(2025, 9, 1))
        db.session.commit()
    return draft


@pytest.fixture
def published_pdf(db, published_charter):
    return services.find_by_sha256(published_charter.document_sha256).content


def check(client, *, pdf=None, sha256=None, filename="copy.pdf", headers=ENGLISH):
    data = {}
    if pdf is not None:
        data["file"] = (BytesIO(pdf), filename)
    if sha256 is not None:
        data["sha256"] = sha256
    return client.post(VERIFY, data=data, content_type="multipart/form-data", headers=headers)


def verdict(response) -> str | None:
    match = re.search(r'data-verdict="([a-z]+)"', response.get_data(as_text=True))
    return match.group(1) if match else None


# --- the page -----------------------------------------------------------------------------


def test_visitor_finds_a_form_for_a_file_or_a_sha256(client):
    response = client.get(VERIFY, headers=ENGLISH)

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<h1>Verify a document</h1>" in page
    form = re.search(r'<form id="verify-form"[^>]*>', page).group(0)
    assert 'method="post"' in form and 'action="/verify"' in form and 'enctype="multipart/form-data"' in form
    assert (
        'hx-post="/verify"' in form
        and 'hx-encoding="multipart/form-data"' in form
        and 'hx-target="#verify-result"' in form
    )
    assert (
        '<label for="file">A PDF file</label>' in page
        and 'type="file"' in page
        and 'accept="application/pdf,.pdf"' in page
    )
    assert '<label for="sha256">Or its SHA-256, or the fingerprint at the foot of its pages</label>' in page
    assert "up to 16 MB" in page
    # The result region is in the page from the start, so that screen readers announce what htmx puts in it.
    assert re.search(r'<section id="verify-result"[^>]*role="status"[^>]*aria-labelledby="verify-result-heading"', page)
    assert "data-verdict" not in page


# --- verdicts -----------------------------------------------------------------------------


def test_visitor_sees_that_a_published_pdf_is_authentic(client, school, published_charter, published_pdf):
    response = check(client, pdf=published_pdf)

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert verdict(response) == "authentic"
    assert "Authentic: the portal published this record." in page
    assert "exactly the one published, byte for byte" in page
    assert f'<code class="sha256">{published_charter.document_sha256}</code>' in page
    assert f'href="/schools/{school.slug}/charter/versions/1"' in page
    assert "Charter of First Test Primary School, version 1" in page
    assert "<dd>Charter</dd>" in page and "<dd>First Test Primary School</dd>" in page
    assert "Published on" in page


def test_a_published_pdf_is_answered_from_the_archive_by_its_sha256_without_being_read(
    client, published_pdf, monkeypatch
):
    from portal.documents import checking

    def never(*args, **kwargs):
        raise AssertionError("a published file was parsed")

    monkeypatch.setattr(checking, "check_signature", never)
    monkeypatch.setattr(checking._processes, "Process", never)  # nor any child started

    response = check(client, pdf=published_pdf)

    assert response.status_code == 200 and verdict(response) == "authentic"


def test_typed_sha256_of_a_published_pdf_is_authentic_in_either_case_and_with_spaces(client, school, published_charter):
    digest = published_charter.document_sha256
    typed = f"  {digest[:32].upper()}\n {digest[32:]}  "

    response = check(client, sha256=typed)

    page = response.get_data(as_text=True)
    assert verdict(response) == "authentic"
    assert f'<code class="sha256">{digest}</code>' in page
    assert f'href="/schools/{school.slug}/charter/versions/1"' in page
    assert "A copy whose SHA-256 is the same is that file, unchanged." in page


def test_approved_minutes_are_authentic_and_lead_to_their_meeting(client, db, with_app, school):
    with with_app():
        body = meetings.create_body(
            None, school, {"kind": BodyKind.SCHOOL_BOARD, "name": "校务委员会", "description": ""}
        )
        meetings.add_member(
            None,
            body,
            {
                "name": "周建华",
                "position": Position.CHAIR,
                "constituency": Constituency.PRINCIPAL,
                "term_start": date(2024, 9, 1),
                "term_end": None,
            },
        )
        meeting = meetings.create_meeting(
            None, school, {"body_id": body.id, "title": "第一次会议", "starts_at": MEETING_START, "place": ""}
        )
        meetings.edit_minutes(None, meeting, "会议通过了工作计划。")
        meetings.approve_minutes(None, meeting)
        db.session.commit()

    response = check(client, sha256=meeting.minutes_document_sha256)

    page = response.get_data(as_text=True)
    assert verdict(response) == "authentic"
    assert f'href="/meetings/{meeting.id}"' in page
    assert "Minutes of 第一次会议 (校务委员会)" in page
    assert "<dd>Minutes of a meeting</dd>" in page


def test_a_published_decision_is_authentic_and_leads_to_its_page(client, db, app, school, sample_pdf):
    decision = insert_published(school)
    with app.app_context():
        document = services.archive_pdf(
            None,
            kind=DocumentKind.DECISION,
            object_type="decision",
            object_id=decision.id,
            pdf_bytes=sample_pdf,
            school_id=school.id,
        )
        db.session.commit()
        stored = document.content

    response = check(client, pdf=stored)

    page = response.get_data(as_text=True)
    assert verdict(response) == "authentic"
    assert f'href="/decisions/{decision.id}"' in page
    assert decision.number in page and decision.title in page
    assert "<dd>Decision</dd>" in page


@pytest.mark.parametrize("where", [0.1, 0.5, 0.9])
def test_one_changed_byte_is_reported_as_altered(client, published_pdf, where):
    signed_part = published_pdf.rindex(b"/ByteRange")  # everything before the signature is signed
    altered = bytearray(published_pdf)
    altered[int(signed_part * where)] ^= 0x01

    response = check(client, pdf=bytes(altered))

    assert response.status_code == 200
    assert verdict(response) == "altered"
    assert "Altered after publication" in response.get_data(as_text=True)


def test_a_published_pdf_with_something_added_is_reported_as_altered(client, published_pdf):
    response = check(client, pdf=published_pdf + b"\n% one more line\n%%EOF\n")

    assert verdict(response) == "altered"


def test_a_pdf_signed_by_the_portal_but_never_published_is_reported_as_altered(client, db, signed_pdf):
    # Signed with the portal's key, but not what the archive holds: it cannot be trusted either.
    response = check(client, pdf=signed_pdf)

    assert verdict(response) == "altered"


def test_an_unsigned_pdf_is_not_a_published_record(client, db, sample_pdf):
    response = check(client, pdf=sample_pdf)

    page = response.get_data(as_text=True)
    assert verdict(response) == "unknown"
    assert "Not a published record." in page
    assert f'<code class="sha256">{services.sha256_hex(sample_pdf)}</code>' in page


def test_a_pdf_signed_by_someone_else_is_not_a_published_record(client, app, db, sample_pdf, tmp_path):
    key, cert = signing.generate_development_keys(tmp_path / "key.pem", tmp_path / "cert.pem")
    with app.app_context():
        signed_by_someone_else = signing.sign_pdf(
            sample_pdf, key_path=key, cert_path=cert, location="https://elsewhere.example"
        )

    assert verdict(check(client, pdf=signed_by_someone_else)) == "unknown"


def test_an_unknown_sha256_is_not_a_published_record(client, db, published_charter):
    response = check(client, sha256="ab" * 32)

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert verdict(response) == "unknown"
    assert "No record the portal published has this SHA-256 or text fingerprint." in page


def test_checking_a_copy_stores_and_records_nothing(client, db, published_pdf, sample_pdf):
    before = services.archive_counts(), db.session.scalar(select(func.count()).select_from(AuditEvent))

    check(client, pdf=published_pdf)
    check(client, pdf=sample_pdf)
    check(client, sha256="ab" * 32)

    assert (services.archive_counts(), db.session.scalar(select(func.count()).select_from(AuditEvent))) == before


def test_a_publication_of_something_the_portal_cannot_show_is_named_without_a_link(client, app, db, sample_pdf):
    with app.app_context():
        document = services.archive_pdf(
            None, kind=DocumentKind.OUTCOME, object_type="outcome", object_id=7, pdf_bytes=sample_pdf
        )
        db.session.commit()
        digest = document.sha256

    response = check(client, sha256=digest)

    page = response.get_data(as_text=True)
    assert verdict(response) == "authentic"
    assert "A record that is not public" in page and "<dd>Outcome of a consultation</dd>" in page
    assert '<a href="None"' not in page


# --- bad input ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "given, field, message",
    [
        ({}, "file", "Choose the PDF file you want to check, or type its SHA-256."),
        ({"sha256": "   "}, "file", "Choose the PDF file you want to check, or type its SHA-256."),
        ({"pdf": b"%PDF-1.7 x", "sha256": "ab" * 32}, "sha256", "Check a file or a SHA-256, not both at once."),
        ({"pdf": b""}, "file", "This file is empty."),
        ({"pdf": b"GIF89a not a pdf at all"}, "file", "This file is not a PDF."),
        ({"pdf": "名".encode() * 100}, "file", "This file is not a PDF."),
        ({"sha256": "ab" * 31}, "sha256", "A SHA-256 is 64 characters long"),
        ({"sha256": "ab" * 33}, "sha256", "A SHA-256 is 64 characters long"),
        ({"sha256": "zz" * 32}, "sha256", "A SHA-256 is 64 characters long"),
        ({"sha256": "<script>alert(1)</script>"}, "sha256", "A SHA-256 is 64 characters long"),
        ({"sha256": "ab" * 31 + "\x00\x00"}, "sha256", "This contains characters that are not allowed."),
    ],
    ids=["nothing", "only-spaces", "both", "empty-file", "gif", "text", "short", "long", "not-hex", "markup", "nul"],
)
def test_bad_input_gets_a_message_beside_its_field(client, db, given, field, message):
    response = check(client, **given)

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in (field_error(page, field) or "")
    assert "data-verdict" not in page
    assert "<script>alert(1)</script>" not in page


def test_a_pdf_is_recognised_by_its_contents_not_its_name(client, db, sample_pdf):
    # The name of a file says nothing: what counts is what it holds.
    assert verdict(check(client, pdf=sample_pdf, filename="scan.jpg")) == "unknown"


def test_an_empty_file_field_counts_as_no_file(client, db, published_charter):
    # What a browser sends when no file was chosen: a part with an empty name and no bytes.
    response = check(client, pdf=b"", filename="", sha256=published_charter.document_sha256)

    assert verdict(response) == "authentic"


def test_a_file_over_the_size_limit_is_refused_with_413(client, app, db, sample_pdf, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 64 * 1024)

    response = check(client, pdf=sample_pdf + b"\0" * (64 * 1024))

    assert response.status_code == 413
    assert 'id="error-413"' in response.get_data(as_text=True)


def test_a_file_over_the_size_limit_is_refused_with_413_before_the_csrf_check(
    csrf_client, app, sample_pdf, monkeypatch
):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 64 * 1024)

    response = check(csrf_client, pdf=sample_pdf + b"\0" * (64 * 1024))

    assert response.status_code == 413


def test_posting_without_the_csrf_token_is_refused(csrf_client):
    assert csrf_client.post(VERIFY, data={"sha256": "ab" * 32}).status_code == 400

    token = csrf_token_from(csrf_client.get(VERIFY).get_data(as_text=True))
    response = csrf_client.post(VERIFY, data={"sha256": "ab" * 32, "csrf_token": token}, headers=ENGLISH)

    assert verdict(response) == "unknown"


def test_checking_is_rate_limited(client, db, rate_limits):
    statuses = [check(client, sha256="ab" * 32).status_code for _attempt in range(21)]

    assert statuses == [200] * 20 + [429]
    assert client.get(VERIFY).status_code == 200  # reading the page is not limited


# --- htmx ---------------------------------------------------------------------------------


def test_htmx_gets_the_verdict_and_an_empty_form_out_of_band(client, published_pdf):
    response = check(client, pdf=published_pdf, headers={**HTMX, **ENGLISH})

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in page and "<h1>" not in page
    assert page.lstrip().startswith('<h2 id="verify-result-heading">')
    assert verdict(response) == "authentic"
    assert re.search(r'<form id="verify-form"[^>]*hx-swap-oob="true"', page)
    assert 'id="file-error"' not in page


def test_htmx_gets_the_messages_in_the_form_out_of_band(client, db):
    response = check(client, sha256="not a hash", headers={**HTMX, **ENGLISH})

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "<html" not in page
    assert re.search(r'<form id="verify-form"[^>]*hx-swap-oob="true"', page)
    assert "A SHA-256 is 64 characters long" in field_error(page, "sha256")
    assert 'aria-describedby="sha256-hint sha256-error"' in page
    assert 'class="error-summary" role="alert"' in page
    assert "data-verdict" not in page


# --- nothing uploaded makes it fail -------------------------------------------------------


def test_a_truncated_published_pdf_never_fails(client, published_pdf):
    for length in (
        5,
        100,
        len(published_pdf) // 3,
        len(published_pdf) // 2,
        len(published_pdf) - 1000,
        len(published_pdf) - 1,
    ):
        response = check(client, pdf=published_pdf[:length])
        assert response.status_code == 200, length
        assert verdict(response) in ("altered", "unknown"), length


pdf_like = st.one_of(
    st.binary(min_size=1, max_size=2000),
    st.binary(max_size=2000).map(lambda tail: b"%PDF-1.7\n" + tail),
    st.binary(max_size=400).map(
        lambda tail: b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\ntrailer << /Root 1 0 R >>\n" + tail
    ),
    st.binary(max_size=200).map(lambda junk: junk + b"%PDF-2.0\n%%EOF"),
)


@FUZZ
@given(data=pdf_like)
def test_garbage_uploads_never_fail(client, data):
    response = check(client, pdf=data)

    assert response.status_code in (200, 422)
    if response.status_code == 200:
        assert verdict(response) in ("altered", "unknown")


@FUZZ
@given(position=st.floats(0, 1, exclude_max=True), value=st.integers(0, 255))
def test_a_published_pdf_with_any_byte_changed_is_never_reported_authentic(client, published_pdf, position, value):
    altered = bytearray(published_pdf)
    index = int(len(altered) * position)
    if altered[index] == value:
        value ^= 0xFF
    altered[index] = value

    response = check(client, pdf=bytes(altered))

    assert response.status_code in (200, 422)  # 422: the byte changed was the header's
    assert verdict(response) in (None, "altered", "unknown")
