"""/verify tells the whole truth: for a published record, where it stands now (in force, not yet
in force until a day, superseded by a later decision, revoked), on either side of the day it
changes, with a fixed clock; the fingerprint printed at the foot of a PDF's pages finds its record
however it is typed; /verify?sha256= and /verify?fingerprint= are links to the answer; and a copy
whose certificate bytes are damaged is "altered", not "unknown"."""

import re
from datetime import date
from io import BytesIO
from pathlib import Path

import pytest

from portal.decisions.models import DecisionStatus
from portal.documents import services
from portal.documents.models import Document, DocumentKind
from portal.documents.render import body_fingerprint, grouped_fingerprint
from portal.extensions import db as _db
from tests.helpers.clock import beijing, freeze
from tests.helpers.decisions import insert_published, stand_in_pdf
from tests.helpers.pages import ENGLISH

OLD_BODY = "自2026年3月1日起，学校食堂每周公布菜谱。"
NEW_BODY = "自2026年9月1日起，学校食堂每周公布菜谱和价格。"
REVOKED_BODY = "自2026年3月1日起，午休时间延长十分钟。"
REVOKING_BODY = "撤销关于延长午休时间的决定。"


def published(school, *, body, **fields):
    """A published decision with an archived (stand-in) document that records its text's
    fingerprint, and its publication log entry, as publishing leaves them."""
    decision = insert_published(school, body=body, commit=False, **fields)
    content = stand_in_pdf(f"{school.id} {decision.number} {body}")
    document = Document(
        sha256=services.sha256_hex(content),
        size=len(content),
        content=content,
        kind=DocumentKind.DECISION,
        signed=False,
        text_sha256=body_fingerprint(body),
    )
    _db.session.add(document)
    _db.session.flush()
    decision.document_sha256 = document.sha256
    services._append_to_log(document, "decision", decision.id)
    _db.session.commit()
    return decision, document


@pytest.fixture
def superseded(db, school):
    """A decision in force from 1 March 2026, superseded by one that takes effect on 1 September."""
    old, old_document = published(
        school, body=OLD_BODY, effective_on=date(2026, 3, 1), status=DecisionStatus.SUPERSEDED
    )
    new, new_document = published(school, body=NEW_BODY, effective_on=date(2026, 9, 1), supersedes_id=old.id)
    return old, old_document, new, new_document


@pytest.fixture
def revoked(db, school):
    kept, kept_document = published(
        school, body=REVOKED_BODY, effective_on=date(2026, 3, 1), status=DecisionStatus.REVOKED
    )
    revoking, _ = published(school, body=REVOKING_BODY, effective_on=date(2026, 6, 1), revokes_id=kept.id)
    return kept, kept_document, revoking


def verify(client, **query):
    return client.get("/verify", query_string=query, headers=ENGLISH)


def verdict(page: str) -> str | None:
    match = re.search(r'data-verdict="([a-z]+)"', page)
    return match.group(1) if match else None


def statuses(page: str) -> list[str]:
    return re.findall(r'data-status="([a-z_]+)"', page)


# --- status now, at the boundaries --------------------------------------------------------


def test_the_day_before_its_replacement_takes_effect_a_decision_is_still_in_force(client, superseded, monkeypatch):
    old, old_document, new, _ = superseded
    freeze(monkeypatch, beijing(2026, 8, 31, 23, 59))

    page = verify(client, sha256=old_document.sha256).get_data(as_text=True)

    assert verdict(page) == "authentic"
    assert statuses(page) == ["ending"]
    assert "In force until September 1, 2026, when a later decision replaces it" in page
    assert "To be superseded on September 1, 2026 by" in page
    assert f'href="/decisions/{new.id}"' in page
    assert "no longer in force" not in page


def test_from_the_day_its_replacement_takes_effect_a_decision_is_superseded(client, superseded, monkeypatch):
    old, old_document, new, _ = superseded
    freeze(monkeypatch, beijing(2026, 9, 1, 0, 0))

    page = verify(client, sha256=old_document.sha256).get_data(as_text=True)

    assert verdict(page) == "authentic"
    assert statuses(page) == ["superseded"]
    assert re.search(rf'Superseded on September 1, 2026 by <a href="/decisions/{new.id}">', page)
    assert new.number in page
    assert 'id="verdict-no-longer-in-force"' in page


def test_a_decision_not_yet_in_force_says_from_when(client, superseded, monkeypatch):
    _, _, _, new_document = superseded
    freeze(monkeypatch, beijing(2026, 8, 31, 12, 0))
    page = verify(client, sha256=new_document.sha256).get_data(as_text=True)
    assert statuses(page) == ["not_yet_in_force"]
    assert "Not yet in force (from September 1, 2026)" in page

    freeze(monkeypatch, beijing(2026, 9, 1, 0, 0))
    page = verify(client, sha256=new_document.sha256).get_data(as_text=True)
    assert statuses(page) == ["in_force"]


def test_a_revoked_decision_says_when_and_by_which_decision(client, revoked, monkeypatch):
    kept, kept_document, revoking = revoked
    freeze(monkeypatch, beijing(2026, 6, 1, 8, 0))

    page = verify(client, sha256=kept_document.sha256).get_data(as_text=True)

    assert statuses(page) == ["revoked"]
    assert re.search(rf'Revoked on June 1, 2026 by <a href="/decisions/{revoking.id}">', page)


def test_the_status_is_in_chinese_for_a_chinese_reader(client, superseded, monkeypatch):
    _, old_document, _, _ = superseded
    freeze(monkeypatch, beijing(2026, 9, 2, 9, 0))
    page = client.get(
        "/verify", query_string={"sha256": old_document.sha256}, headers={"Accept-Language": "zh-CN"}
    ).get_data(as_text=True)
    assert statuses(page) == ["superseded"]


# --- the footer's fingerprint -----------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        lambda f: f,
        lambda f: f.upper(),
        lambda f: grouped_fingerprint(f),
        lambda f: grouped_fingerprint(f).replace(" ", "-"),
        lambda f: " " + grouped_fingerprint(f)[:39] + "\n" + grouped_fingerprint(f)[40:].upper() + " ",
        lambda f: grouped_fingerprint(f).replace(" ", "　"),  # ideographic spaces, from a Chinese input method
    ],
    ids=["as printed without spaces", "capitals", "grouped", "dashes", "two lines", "ideographic spaces"],
)
def test_the_fingerprint_typed_from_paper_finds_its_record(client, superseded, typed, monkeypatch):
    old, _, _, _ = superseded
    freeze(monkeypatch, beijing(2026, 9, 2, 9, 0))

    response = client.post("/verify", data={"sha256": typed(body_fingerprint(OLD_BODY))}, headers=ENGLISH)

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert verdict(page) == "authentic"
    assert "This is the fingerprint of the text of the record below" in page
    assert f'href="/decisions/{old.id}"' in page
    assert statuses(page) == ["superseded"]


def test_the_qr_codes_link_opens_the_answer(client, superseded, monkeypatch):
    old, _, _, _ = superseded
    freeze(monkeypatch, beijing(2026, 9, 2, 9, 0))

    response = verify(client, fingerprint=body_fingerprint(OLD_BODY))

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert verdict(page) == "authentic" and f'href="/decisions/{old.id}"' in page
    assert response.headers["Cache-Control"] == "public, max-age=300"
    assert "Accept-Language" in response.headers["Vary"]


def test_an_unknown_fingerprint_is_not_a_published_record(client, db):
    page = verify(client, fingerprint="0" * 64).get_data(as_text=True)
    assert verdict(page) == "unknown"
    assert "No record the portal published has this SHA-256 or text fingerprint." in page


def test_a_file_sha256_given_as_a_fingerprint_is_not_taken_for_one(client, superseded):
    _, old_document, _, _ = superseded
    assert verdict(verify(client, fingerprint=old_document.sha256).get_data(as_text=True)) == "unknown"


@pytest.mark.parametrize(
    "query",
    [
        {"sha256": "xyz"},
        {"sha256": "ab" * 31},
        {"fingerprint": "ab" * 33},
        {"fingerprint": "<script>alert(1)</script>"},
        {"fingerprint": "²" * 64},
        {"sha256": "ab" * 32, "fingerprint": "ab" * 32},
    ],
    ids=["not hex", "short", "long", "script", "superscript digits", "both"],
)
def test_a_malformed_deep_link_is_not_found(client, db, query):
    assert verify(client, **query).status_code == 404


def test_a_link_cut_short_shows_the_form_with_what_it_held_and_what_is_wrong(client, db):
    response = client.get("/verify?sha256=" + "ab" * 31, headers={"Accept-Language": "en"})

    page = response.get_data(as_text=True)
    assert response.status_code == 404
    assert 'value="' + "ab" * 31 + '"' in page
    assert "A SHA-256 is 64 characters long" in page


def test_a_typed_sha256_that_finds_nothing_stays_in_the_field_to_be_corrected(client, db):
    typed = "0123456789abcdef" * 4

    page = client.post("/verify", data={"sha256": typed}, headers={"Accept-Language": "en"}).get_data(as_text=True)

    assert verdict(page) == "unknown"
    assert f'value="{typed}"' in page


def test_a_logged_in_reader_gets_the_answer_uncached(client, superseded, make_user):
    from tests.helpers.pages import log_in

    _, old_document, _, _ = superseded
    log_in(client, make_user())
    response = verify(client, sha256=old_document.sha256)
    assert response.status_code == 200
    assert "public" not in response.headers["Cache-Control"]


# --- a damaged certificate is "altered" -------------------------------------------------------


def test_a_copy_whose_certificate_bytes_are_damaged_is_altered(client, app, db, signed_pdf):
    certificate = services._certificate_facts(Path(app.config["PORTAL_SIGNING_CERT"]).read_bytes())
    from cryptography.hazmat.primitives import serialization

    der_hex = certificate.public_bytes(serialization.Encoding.DER).hex().encode()
    position = signed_pdf.lower().index(der_hex) + len(der_hex) // 2
    damaged = bytearray(signed_pdf)
    damaged[position] = ord("0") if damaged[position] != ord("0") else ord("1")

    response = client.post(
        "/verify", data={"file": (BytesIO(bytes(damaged)), "copy.pdf")}, content_type="multipart/form-data"
    )

    assert verdict(response.get_data(as_text=True)) == "altered"


def test_a_copy_signed_by_a_stranger_in_the_portals_name_is_altered(client, app, db, sample_pdf, tmp_path):
    from portal.documents import signing

    key, cert = signing.generate_development_keys(tmp_path / "key.pem", tmp_path / "cert.pem")
    with app.app_context():
        forged = signing.sign_pdf(sample_pdf, key_path=key, cert_path=cert)  # names https://portal.test

    response = client.post("/verify", data={"file": (BytesIO(forged), "copy.pdf")}, content_type="multipart/form-data")

    assert verdict(response.get_data(as_text=True)) == "altered"
