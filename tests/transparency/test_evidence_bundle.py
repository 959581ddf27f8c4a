"""A decision's evidence bundle, and `python -m portal.verify_record`: someone downloads the PDF
and its bundle, and later checks them with nothing else — no portal, no database. One changed
byte in either file makes the check fail."""

import base64
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from portal import verify_record
from portal.consultations.models import Phase

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def downloaded(client, log_world, tmp_path):
    """The second decision's PDF and evidence bundle, as saved from the site."""
    decision_id = log_world["decision_ids"][1]
    pdf = client.get(f"/decisions/{decision_id}.pdf").data
    bundle = client.get(f"/decisions/{decision_id}/evidence.json").data
    (tmp_path / "decision.pdf").write_bytes(pdf)
    (tmp_path / "evidence.json").write_bytes(bundle)
    return tmp_path / "decision.pdf", tmp_path / "evidence.json"


def run_offline(pdf_path, bundle_path, *extra):
    """In a process of its own, from a folder with no portal configuration and a database
    address that does not exist: the verifier must not need either."""
    environment = {
        **os.environ,
        "DATABASE_URL": "sqlite:////nonexistent/deleted.db",
        "PYTHONPATH": str(ROOT),
    }
    return subprocess.run(
        [sys.executable, "-m", "portal.verify_record", str(pdf_path), str(bundle_path), *extra],
        capture_output=True,
        text=True,
        cwd=pdf_path.parent,
        env=environment,
        timeout=60,
    )


def test_the_decision_page_links_its_evidence_bundle(client, log_world):
    decision_id = log_world["decision_ids"][1]
    page = client.get(f"/decisions/{decision_id}").get_data(as_text=True)
    assert f'href="/decisions/{decision_id}/evidence.json"' in page


def test_the_bundle_holds_the_leaf_the_proof_the_checkpoint_the_key_and_the_certificate(client, log_world):
    decision_id = log_world["decision_ids"][1]
    response = client.get(f"/decisions/{decision_id}/evidence.json")
    assert response.status_code == 200 and response.headers["Content-Type"] == "application/json"
    bundle = response.get_json()
    leaf = json.loads(base64.b64decode(bundle["leaf"]["leaf"]))
    assert leaf["record"] == f"/decisions/{decision_id}" and leaf["sha256"] == log_world["sha256"][1]
    assert bundle["tree_size"] == 4 and bundle["checkpoint"].startswith("portal.test/log\n4\n")
    assert bundle["log_key"] == client.get("/log/key").get_data(as_text=True).strip()
    assert bundle["certificates"][0].startswith("-----BEGIN CERTIFICATE-----")
    assert bundle["document"] == f"https://portal.test/decisions/{decision_id}.pdf"


def test_there_is_no_bundle_for_a_decision_nobody_published(client, log_world):
    assert client.get("/decisions/999999/evidence.json").status_code == 404


def test_the_verifier_needs_neither_the_portal_nor_its_database(downloaded):
    result = run_offline(*downloaded)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("VERIFIED: /decisions/")
    assert len(result.stdout.strip().splitlines()) == 1


def check_here(capsys, pdf, bundle) -> tuple[int, str]:
    """The same verifier, in this process (a separate process takes 2 s to import pyHanko)."""
    status = verify_record.main([str(pdf), str(bundle)])
    return status, capsys.readouterr().out


def test_the_verifier_imports_no_database_code():
    code = (
        "import sys, portal.verify_record; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('sqlalchemy', 'flask_sqlalchemy', 'psycopg')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}
    )
    assert result.stdout.strip() == "[]", result.stdout + result.stderr


def flip_byte(path: Path, at: int) -> None:
    data = bytearray(path.read_bytes())
    data[at] ^= 0x01
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("where", ["start", "middle", "end"])
def test_one_changed_byte_in_the_pdf_fails(downloaded, where, capsys):
    pdf, bundle = downloaded
    size = pdf.stat().st_size
    flip_byte(pdf, {"start": 20, "middle": size // 2, "end": size - 3}[where])
    status, out = check_here(capsys, pdf, bundle)
    assert status == 1
    assert out.startswith("NOT VERIFIED: the file is not the one the log published")


@pytest.mark.parametrize("field", ["leaf", "inclusion", "checkpoint", "log_key", "certificates", "tree_size"])
def test_one_changed_byte_in_the_bundle_fails(downloaded, field, capsys):
    pdf, bundle_path = downloaded
    bundle = json.loads(bundle_path.read_text(encoding="utf-8"))
    if field == "leaf":
        leaf = bytearray(base64.b64decode(bundle["leaf"]["leaf"]))
        leaf[-3] ^= 0x01
        bundle["leaf"]["leaf"] = base64.b64encode(bytes(leaf)).decode()
    elif field == "inclusion":
        node = bundle["inclusion"][0]
        bundle["inclusion"][0] = ("0" if node[0] != "0" else "1") + node[1:]
    elif field == "checkpoint":
        bundle["checkpoint"] = bundle["checkpoint"].replace("\n4\n", "\n5\n", 1)
    elif field == "log_key":
        name, key_id, key = bundle["log_key"].split("+", 2)
        raw = bytearray(base64.b64decode(key))
        raw[5] ^= 0x01
        bundle["log_key"] = f"{name}+{key_id}+{base64.b64encode(bytes(raw)).decode()}"
    elif field == "certificates":
        lines = bundle["certificates"][0].split("\n")
        lines[3] = lines[3][:10] + ("A" if lines[3][10] != "A" else "B") + lines[3][11:]
        bundle["certificates"][0] = "\n".join(lines)
    elif field == "tree_size":
        bundle["tree_size"] = 3
    bundle_path.write_text(json.dumps(bundle), encoding="utf-8")
    status, out = check_here(capsys, pdf, bundle_path)
    assert status == 1, out
    assert out.startswith("NOT VERIFIED: ")


def test_a_log_key_given_by_the_user_overrides_the_bundles(downloaded, client):
    pdf, bundle = downloaded
    from portal.transparency import notes

    other = notes.generate_signer("portal.test/log").verifier
    assert verify_record.main([str(pdf), str(bundle), "--key", str(other)]) == 1
    key = client.get("/log/key").get_data(as_text=True).strip()
    assert verify_record.main([str(pdf), str(bundle), "--key", key]) == 0


def test_a_file_that_is_no_bundle_fails_cleanly(downloaded, tmp_path):
    pdf, _bundle = downloaded
    junk = tmp_path / "junk.json"
    for content in (b"[]", b"{}", b"not json", b'{"leaf": {"leaf": "!!", "index": 0}}'):
        junk.write_bytes(content)
        assert verify_record.main([str(pdf), str(junk)]) == 1


def stand_in_document(text_value: str) -> str:
    from portal.documents.models import Document, DocumentKind
    from portal.extensions import db as _db
    from tests.helpers.decisions import stand_in_pdf

    content = stand_in_pdf(text_value)
    digest = hashlib.sha256(content).hexdigest()
    _db.session.add(Document(sha256=digest, size=len(content), content=content, kind=DocumentKind.MINUTES))
    _db.session.flush()
    return digest


def logged(app, record: str, kind: str, status: str, sha256: str) -> None:
    from portal.extensions import db as _db
    from portal.transparency import services
    from portal.transparency.services import NewLeaf

    with app.app_context():
        services.record_leaves([NewLeaf(kind, record, status, sha256)])
        _db.session.commit()


def test_charter_versions_minutes_and_outcomes_have_bundles_too(app, client, db, log_world):
    from sqlalchemy import select, text

    from portal.charters.models import CharterStatus, CharterVersion
    from portal.meetings.models import Meeting
    from portal.schools.models import School
    from tests.helpers.consultations import create_consultation

    school = db.session.scalar(select(School).where(School.slug == log_world["school_slug"]))
    charter_sha = stand_in_document("charter")
    db.session.add(
        CharterVersion(
            school_id=school.id, number=1, body="第一条", status=CharterStatus.ADOPTED, document_sha256=charter_sha
        )
    )
    meeting = db.session.scalar(select(Meeting).where(Meeting.school_id == school.id))
    minutes_sha = stand_in_document("minutes")
    db.session.execute(
        text("UPDATE meeting SET minutes_status = 'approved', minutes_document_sha256 = :sha WHERE id = :id"),
        {"sha": minutes_sha, "id": meeting.id},
    )
    db.session.commit()
    with app.test_request_context():
        consultation = create_consultation(school, Phase.CLOSED)
    outcome_sha = stand_in_document("outcome")
    db.session.execute(
        text(
            "UPDATE consultation SET status = 'outcome_published', outcome_document_sha256 = :sha,"
            " outcome_published_at = created_at WHERE id = :id"
        ),
        {"sha": outcome_sha, "id": consultation.id},
    )
    db.session.commit()
    addresses = {
        f"/schools/{school.slug}/charter/versions/1": ("charter_version", "adopted", charter_sha),
        f"/meetings/{meeting.id}": ("minutes", "approved", minutes_sha),
        f"/consultations/{consultation.id}": ("outcome", "published", outcome_sha),
    }
    for record in addresses:
        assert client.get(f"{record}/evidence.json").status_code == 404  # not in the log yet
    for record, (kind, status, sha256) in addresses.items():
        logged(app, record, kind, status, sha256)
    for record, (_kind, _status, sha256) in addresses.items():
        bundle = client.get(f"{record}/evidence.json").get_json()
        leaf = json.loads(base64.b64decode(bundle["leaf"]["leaf"]))
        assert (leaf["record"], leaf["sha256"]) == (record, sha256)
        assert bundle["tree_size"] == 7
    assert client.get(f"/schools/{school.slug}/charter/versions/2/evidence.json").status_code == 404
    assert client.get("/meetings/999999/evidence.json").status_code == 404
    assert client.get("/consultations/999999/evidence.json").status_code == 404


def test_each_published_record_page_links_its_bundle_and_unpublished_ones_do_not(app, client, db, log_world):
    """The adopted charter version, the meeting with approved minutes and the consultation with a
    published outcome each link their evidence bundle, and the link answers; a draft version,
    unapproved minutes and an open consultation have no link (nothing to prove yet)."""
    from sqlalchemy import select, text

    from portal.charters.models import CharterStatus, CharterVersion
    from portal.meetings.models import Meeting
    from portal.schools.models import School
    from tests.helpers.consultations import create_consultation

    school = db.session.scalar(select(School).where(School.slug == log_world["school_slug"]))
    meeting = db.session.scalar(select(Meeting).where(Meeting.school_id == school.id))
    meeting_page = f"/meetings/{meeting.id}"
    assert f'href="{meeting_page}/evidence.json"' not in client.get(meeting_page).get_data(as_text=True)
    charter_sha = stand_in_document("charter")
    db.session.add(
        CharterVersion(
            school_id=school.id, number=1, body="第一条", status=CharterStatus.ADOPTED, document_sha256=charter_sha
        )
    )
    minutes_sha = stand_in_document("minutes")
    db.session.execute(
        text("UPDATE meeting SET minutes_status = 'approved', minutes_document_sha256 = :sha WHERE id = :id"),
        {"sha": minutes_sha, "id": meeting.id},
    )
    db.session.commit()
    with app.test_request_context():
        consultation = create_consultation(school, Phase.CLOSED)
        still_open = create_consultation(school, Phase.OPEN)
    outcome_sha = stand_in_document("outcome")
    db.session.execute(
        text(
            "UPDATE consultation SET status = 'outcome_published', outcome_document_sha256 = :sha,"
            " outcome_published_at = created_at WHERE id = :id"
        ),
        {"sha": outcome_sha, "id": consultation.id},
    )
    db.session.commit()
    pages = {
        f"/schools/{school.slug}/charter/versions/1": ("charter_version", "adopted", charter_sha),
        meeting_page: ("minutes", "approved", minutes_sha),
        f"/consultations/{consultation.id}": ("outcome", "published", outcome_sha),
    }
    for record, (kind, status, sha256) in pages.items():
        logged(app, record, kind, status, sha256)
    for page in pages:
        html = client.get(page).get_data(as_text=True)
        assert f'href="{page}/evidence.json"' in html, page
        assert client.get(f"{page}/evidence.json").status_code == 200, page
    open_page = f"/consultations/{still_open.id}"
    assert "/evidence.json" not in client.get(open_page).get_data(as_text=True)
    assert client.get(f"{open_page}/evidence.json").status_code == 404
