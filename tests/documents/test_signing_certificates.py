"""The portal's signing certificates: every one it has signed with is kept and published at
/log/certificates, and rotating the key (`flask portal rotate-signing-key`) never makes an
earlier document fail: each is checked against the certificate in its own signature."""

from io import BytesIO

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader
from sqlalchemy import select

from portal import events
from portal.audit import AuditEvent
from portal.documents import services, signing
from portal.documents.models import DocumentKind, SigningCertificate
from tests.helpers.pages import ENGLISH


@pytest.fixture
def own_keys(app, tmp_path, monkeypatch):
    """A key pair of this test's own, so that rotating it leaves the session's alone."""
    key, cert = signing.generate_development_keys(tmp_path / "signing-key.pem", tmp_path / "signing-cert.pem")
    monkeypatch.setitem(app.config, "PORTAL_SIGNING_KEY", str(key))
    monkeypatch.setitem(app.config, "PORTAL_SIGNING_CERT", str(cert))
    return key, cert


@pytest.fixture
def rotations(monkeypatch):
    """The "signing.key_rotated" events emitted during the test."""
    seen = []
    monkeypatch.setitem(events._listeners, "signing.key_rotated", [seen.append])
    return seen


def publish(sample_pdf, object_id):
    return services.archive_pdf(
        None, kind=DocumentKind.DECISION, object_type="decision", object_id=object_id, pdf_bytes=sample_pdf
    )


def signer_sha256(pdf: bytes) -> str:
    import hashlib

    return hashlib.sha256(PdfFileReader(BytesIO(pdf)).embedded_signatures[0].signer_cert.dump()).hexdigest()


def test_publishing_keeps_the_certificate_it_was_signed_with(with_app, db, own_keys, sample_pdf):
    with with_app():
        document = publish(sample_pdf, 1)
        stored = services.signing_certificates()
        assert [c.sha256 for c in stored] == [services.current_certificate_sha256()]
        assert signer_sha256(document.content) == stored[0].sha256
        publish(sample_pdf, 2)
        assert len(services.signing_certificates()) == 1  # once, however often it signs


def test_after_rotation_earlier_documents_still_verify_and_new_ones_use_the_new_key(
    with_app, db, own_keys, sample_pdf, rotations, client, monkeypatch
):
    # About 3 s, the slowest here for a reason: it signs twice (with timestamps), makes an RSA key,
    # checks the whole archive and reads a changed copy in the bounded child process of /verify.
    with with_app():
        before = publish(sample_pdf, 1)
        old_sha256 = services.current_certificate_sha256()

        rotated = services.rotate_signing_key(None)
        db.session.commit()
        services.write_key_pair(rotated.key_pem, rotated.cert_pem)
        after = publish(sample_pdf, 2)
        db.session.commit()

        new_sha256 = services.current_certificate_sha256()
        assert new_sha256 == rotated.certificate.sha256 != old_sha256
        assert signer_sha256(before.content) == old_sha256
        assert signer_sha256(after.content) == new_sha256
        # The archive's own checks (every file, every signature, the chain); these bare documents
        # belong to no record, so the transparency log's checks of records are not asked here.
        monkeypatch.setattr(services, "_archive_checks", [])
        assert services.verify_archive() == []
        certificates = services.certificate_ders()
        for document in (before, after):
            assert signing.verify_signature(document.content, certificates=certificates) == "valid"
        assert [c.sha256 for c in services.signing_certificates()] == [old_sha256, new_sha256]
        (event,) = rotations
        assert event.data == {
            "certificate_sha256": new_sha256,
            "not_before": rotated.certificate.not_before.isoformat(),
        }
        assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "signing.rotate_key")) is not None

    # The earlier copy is still authentic on /verify, and a changed copy of it is "altered".
    response = client.post(
        "/verify", data={"file": (BytesIO(before.content), "old.pdf")}, content_type="multipart/form-data"
    )
    assert 'data-verdict="authentic"' in response.get_data(as_text=True)
    changed = before.content + b"\n% appended after publication\n"
    response = client.post("/verify", data={"file": (BytesIO(changed), "old.pdf")}, content_type="multipart/form-data")
    assert 'data-verdict="altered"' in response.get_data(as_text=True)


def test_the_rotation_command_stores_the_new_certificate_and_replaces_the_key_files(
    app, db, own_keys, rotations, with_app
):
    key, cert = own_keys
    old_pem = cert.read_bytes()
    result = app.test_cli_runner().invoke(args=["portal", "rotate-signing-key"])

    assert result.exit_code == 0, result.output
    assert cert.read_bytes() != old_pem
    assert key.stat().st_mode & 0o777 == 0o600 and cert.stat().st_mode & 0o777 == 0o600
    with with_app():
        stored = [c.sha256 for c in db.session.scalars(select(SigningCertificate).order_by(SigningCertificate.id))]
        assert stored[-1] == services.current_certificate_sha256()
        assert len(stored) >= 2  # the old one is kept
    assert stored[-1] in result.output
    assert len(rotations) == 1


def test_anyone_reads_every_signing_certificate_at_log_certificates(with_app, db, own_keys, client):
    with with_app():
        services.register_certificate(own_keys[1].read_bytes())
        other_key, other_cert = signing.development_key_pair()
        services.register_certificate(other_cert)
        db.session.commit()
        current = services.current_certificate_sha256()

    response = client.get("/log/certificates", headers=ENGLISH)

    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert "public" in response.headers["Cache-Control"]
    listed = response.get_json()["certificates"]
    assert [c["current"] for c in listed] == [True, False]
    assert listed[0]["sha256"] == current
    assert listed[1]["pem"] == other_cert.decode()
    for entry in listed:
        assert entry["pem"].startswith("-----BEGIN CERTIFICATE-----")
        assert entry["not_before"] < entry["not_after"]
        assert len(entry["sha256"]) == 64


def test_a_certificate_rows_cannot_be_changed(with_app, db, own_keys):
    from portal.documents.models import ArchiveIsAppendOnly

    with with_app():
        row = services.register_certificate(own_keys[1].read_bytes())
        db.session.flush()
        row.subject = "someone else"
        with pytest.raises(ArchiveIsAppendOnly):
            db.session.flush()
        db.session.rollback()
