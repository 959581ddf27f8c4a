"""Signatures: the portal's PAdES signature is valid; any change breaks it; anything else is
"unsigned", never an exception."""

import os
import time

import pytest

from portal.documents import signing


def verify(app, data):
    with app.app_context():
        return signing.verify_signature(data)


def test_a_signed_pdf_is_valid(app, signed_pdf, sample_pdf):
    assert signed_pdf.startswith(sample_pdf)  # an incremental update: the rendered bytes are kept
    assert b"/ETSI.CAdES.detached" in signed_pdf
    assert verify(app, signed_pdf) == "valid"


def test_signing_is_fast(app, sample_pdf):
    with app.app_context():
        signing.sign_pdf(sample_pdf)
        started = time.perf_counter()
        signing.sign_pdf(sample_pdf)
        assert time.perf_counter() - started < 1.0


@pytest.mark.parametrize("where", [0.05, 0.3, 0.5, 0.8])
def test_one_altered_byte_breaks_the_signature(app, signed_pdf, sample_pdf, where):
    altered = bytearray(signed_pdf)
    position = int(len(sample_pdf) * where)  # inside the signed range
    altered[position] ^= 0x01
    assert verify(app, bytes(altered)) == "broken"


def test_bytes_appended_after_the_signature_break_it(app, signed_pdf):
    assert verify(app, signed_pdf + b"\n%%EOF\n") == "broken"


def test_a_truncated_signed_pdf_is_broken(app, signed_pdf):
    assert verify(app, signed_pdf[:-500]) == "broken"


def test_an_unsigned_pdf_is_unsigned(app, sample_pdf):
    assert verify(app, sample_pdf) == "unsigned"


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"%PDF-",
        b"%PDF-1.7\n" + os.urandom(4000),
        os.urandom(4000),
        b"hello",
        "not bytes",
        None,
        b"%PDF-1.7\n%%EOF",
    ],
)
def test_garbage_is_unsigned_and_never_an_exception(app, data):
    assert verify(app, data) == "unsigned"


def test_a_pdf_signed_by_someone_else_is_unsigned(app, sample_pdf, tmp_path):
    key, cert = signing.generate_development_keys(tmp_path / "other-key.pem", tmp_path / "other-cert.pem")
    with app.app_context():
        foreign = signing.sign_pdf(sample_pdf, key_path=key, cert_path=cert)
        assert signing.verify_signature(foreign, cert_path=cert) == "valid"  # a good signature, but not ours
        assert signing.verify_signature(foreign) == "unsigned"


def test_development_keys_are_private_and_never_overwritten(tmp_path):
    key, cert = signing.generate_development_keys(tmp_path / "k.pem", tmp_path / "c.pem")
    assert oct(key.stat().st_mode & 0o777) == "0o600"
    assert oct(cert.stat().st_mode & 0o777) == "0o600"
    before = key.read_bytes()
    with pytest.raises(FileExistsError):
        signing.generate_development_keys(key, cert)
    assert key.read_bytes() == before
    signing.generate_development_keys(key, cert, force=True)
    assert key.read_bytes() != before
    assert oct(key.stat().st_mode & 0o777) == "0o600"


def test_the_development_certificate(app, signing_keys):
    with app.app_context():
        certificate = signing.portal_certificate()
    assert certificate.subject.native["common_name"] == "重庆市学校治理公共平台（开发用）"
    validity = certificate["tbs_certificate"]["validity"]
    years = (validity["not_after"].native - validity["not_before"].native).days / 365.25
    assert 9.9 < years < 10.1


def test_signing_without_a_key_fails_loudly(app, sample_pdf, tmp_path):
    with app.app_context(), pytest.raises(signing.SigningKeyMissing):
        signing.sign_pdf(sample_pdf, key_path=tmp_path / "none.pem", cert_path=tmp_path / "none-cert.pem")
