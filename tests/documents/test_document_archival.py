"""Archival files that are what they claim: after signing, a PDF stays PDF 1.7 (PDF/A-3 is a PDF
1.7 standard), says it is PDF/A-3a in its XMP and is tagged for screen readers, embeds its fonts
and colour profile, names one Producer in both places, and carries a QR code and a fingerprint a
reader can type. Signatures carry an RFC 3161 timestamp from the configured TSA (PAdES B-T).

veraPDF needs Java and is not in the registries here: these tests check the rules we can read."""

import re
import subprocess
from datetime import UTC, datetime
from io import BytesIO

import pytest
from asn1crypto import cms
from PIL import Image
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from portal.documents import render, signing
from tests.helpers.pdfs import pdf_text
from tests.helpers.tsa import make_tsa_keys, running_tsa


def reader_of(pdf: bytes) -> PdfFileReader:
    return PdfFileReader(BytesIO(pdf), strict=False)


def xmp_of(pdf: bytes) -> str:
    return reader_of(pdf).root["/Metadata"].get_object().data.decode()


def xmp_value(xmp: str, name: str) -> str | None:
    match = re.search(rf'{name}="([^"]*)"', xmp) or re.search(rf"<{name}>([^<]*)</{name}>", xmp)
    return match.group(1) if match else None


def pages_of(node):
    node = node.get_object()
    if node["/Type"] == "/Page":
        yield node
        return
    for kid in node["/Kids"]:
        yield from pages_of(kid)


# --- PDF 1.7, PDF/A-3a, one Producer -----------------------------------------------------


def test_a_signed_pdf_stays_pdf_1_7(signed_pdf):
    assert signed_pdf.startswith(b"%PDF-1.7\n")
    assert b"/Version /2.0" not in signed_pdf and b"/Version/2.0" not in signed_pdf
    reader = reader_of(signed_pdf)
    assert "/Version" not in reader.root
    assert reader.input_version == (1, 7)


def test_a_signed_pdf_says_it_is_pdf_a_3a(signed_pdf):
    xmp = xmp_of(signed_pdf)
    assert xmp_value(xmp, "pdfaid:part") == "3"
    assert xmp_value(xmp, "pdfaid:conformance") == "A"


def test_a_signed_pdf_is_tagged_for_screen_readers(signed_pdf):
    root = reader_of(signed_pdf).root
    assert "/StructTreeRoot" in root
    assert bool(root["/MarkInfo"]["/Marked"]) is True
    assert str(root["/Lang"]) == "zh-CN"


def test_a_signed_pdf_embeds_its_colour_profile_and_every_font(signed_pdf):
    reader = reader_of(signed_pdf)
    intents = reader.root["/OutputIntents"]
    assert len(intents) >= 1 and "/DestOutputProfile" in intents[0]
    fonts = {}
    for page in pages_of(reader.root["/Pages"]):
        resources = page["/Resources"].get_object()
        fonts.update({str(name): font.get_object() for name, font in resources["/Font"].get_object().items()})
    assert fonts
    for name, font in fonts.items():
        descendants = font.get("/DescendantFonts")
        descriptor = (descendants[0] if descendants else font)["/FontDescriptor"]
        assert {"/FontFile", "/FontFile2", "/FontFile3"} & set(descriptor.keys()), f"{name} is not embedded"


def test_the_producer_in_the_document_info_and_the_xmp_agree(signed_pdf):
    reader = reader_of(signed_pdf)
    producer = str(reader.trailer["/Info"]["/Producer"])
    assert xmp_value(xmp_of(signed_pdf), "pdf:Producer") == producer
    assert producer.startswith("WeasyPrint ") and "pyHanko " in producer


# --- the footer: QR code and fingerprint ---------------------------------------------------


def test_the_fingerprint_is_printed_in_groups_of_four(app, sample_pdf):
    text = pdf_text(sample_pdf, page=1)
    assert " ".join(["3f3f"] * 8) in text  # two lines of eight groups


def test_the_qr_code_leads_to_verify_for_the_fingerprint(app):
    with app.app_context():
        svg = render.qr_svg(render.fingerprint_link("ab" * 32))
        assert render.fingerprint_link("ab" * 32) == "https://portal.test/verify?fingerprint=" + "ab" * 32
    assert svg.startswith("<svg") and 'viewBox="0 0 41 41"' in svg


def test_the_qr_code_printed_on_the_page_decodes_to_the_verification_link(sample_pdf, tmp_path):
    zxingcpp = pytest.importorskip("zxingcpp")
    (tmp_path / "page.pdf").write_bytes(sample_pdf)
    subprocess.run(
        # Only the foot of page 1, at 150 dpi: the QR code is 18 mm wide, about 106 pixels.
        ["pdftoppm", "-r", "150", "-f", "1", "-l", "1", "-x", "0", "-y", "1500", "-W", "700", "-H", "254"]
        + ["-singlefile", "-png", tmp_path / "page.pdf", tmp_path / "page"],
        check=True,
    )
    codes = zxingcpp.read_barcodes(Image.open(tmp_path / "page.png"))
    assert [code.text for code in codes] == ["https://portal.test/verify?fingerprint=" + "3f" * 32]


# --- timestamps (PAdES B-T) ------------------------------------------------------------------


@pytest.fixture(scope="module")
def tsa(tmp_path_factory):
    key, cert = make_tsa_keys(tmp_path_factory.mktemp("tsa"))
    with running_tsa(key, cert) as (url, served):
        yield url, served, signing.load_cert_from_pemder(str(cert))


def timestamp_tokens(pdf: bytes) -> list:
    signature = reader_of(pdf).embedded_signatures[0]
    unsigned = signature.signer_info["unsigned_attrs"]
    return [attribute for attribute in unsigned if attribute["type"].native == "signature_time_stamp_token"]


def test_a_signature_carries_a_timestamp_from_the_configured_tsa(app, sample_pdf, tsa, monkeypatch):
    url, served, tsa_certificate = tsa
    monkeypatch.setitem(app.config, "PORTAL_TSA_URL", url)
    before = len(served)
    with app.app_context():
        signed = signing.sign_pdf(sample_pdf)

    assert len(served) > before  # the TSA was asked over HTTP
    (token,) = timestamp_tokens(signed)
    signed_data = token["values"][0]["content"]
    assert isinstance(signed_data, cms.SignedData)
    assert signed_data["certificates"][0].chosen.dump() == tsa_certificate.dump()

    signature = reader_of(signed).embedded_signatures[0]
    own = signing.load_cert_from_pemder(app.config["PORTAL_SIGNING_CERT"])
    # pyHanko runs asyncio inside: not in this thread if a browser test's Playwright loop runs here.
    status = signing.outside_any_event_loop(
        validate_pdf_signature,
        signature,
        ValidationContext(trust_roots=[own], allow_fetching=False),
        ValidationContext(trust_roots=[tsa_certificate], allow_fetching=False),
    )
    assert status.bottom_line
    assert status.timestamp_validity.intact and status.timestamp_validity.valid and status.timestamp_validity.trusted
    assert (
        signing.verify_signature(signed, certificates=[own], tsa_certificates=[tsa_certificate], portal_url=None)
        == "valid"
    )


def test_without_a_tsa_url_the_local_development_tsa_timestamps(app, signed_pdf):
    (token,) = timestamp_tokens(signed_pdf)
    tsa_certificate = signing.load_cert_from_pemder(app.config["PORTAL_TSA_CERT"])
    assert token["values"][0]["content"]["certificates"][0].chosen.dump() == tsa_certificate.dump()


def test_a_tsa_that_does_not_answer_stops_the_signing(app, sample_pdf, monkeypatch):
    monkeypatch.setitem(app.config, "PORTAL_TSA_URL", "http://127.0.0.1:9/tsa")  # the discard port: refused
    monkeypatch.setitem(app.config, "PORTAL_TSA_TIMEOUT", 2)
    with app.app_context(), pytest.raises(Exception):  # noqa: B017 - pyHanko's or requests' error
        signing.sign_pdf(sample_pdf)


def test_with_no_tsa_at_all_the_signature_has_no_timestamp(app, sample_pdf, monkeypatch):
    monkeypatch.setitem(app.config, "PORTAL_TSA_URL", "")
    monkeypatch.setitem(app.config, "PORTAL_TSA_KEY", "/nonexistent/tsa-key.pem")
    with app.app_context():
        signed = signing.sign_pdf(sample_pdf)
    assert timestamp_tokens(signed) == []
    assert signing.verify_signature(signed, cert_path=app.config["PORTAL_SIGNING_CERT"]) == "valid"


def test_a_self_signed_certificate_has_no_revocation_data_so_signatures_are_b_t(app):
    certificate = signing.load_cert_from_pemder(app.config["PORTAL_SIGNING_CERT"])
    assert not signing._revocation_sources(certificate)


def test_a_certificate_that_names_its_crl_gets_validation_data_embedded(app, tmp_path, monkeypatch):
    """The B-LT path: only chosen for a certificate with revocation data (not fetched here: no network)."""
    from types import SimpleNamespace

    from asn1crypto import x509 as asn1_x509
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "CA-issued")])
    crl = x509.DistributionPoint([x509.UniformResourceIdentifier("http://crl.example/ca.crl")], None, None, None)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(datetime(2026, 1, 1, tzinfo=UTC))
        .not_valid_after(datetime(2027, 1, 1, tzinfo=UTC))
        .add_extension(x509.CRLDistributionPoints([crl]), critical=False)
        .sign(key, hashes.SHA256())
    )
    with_crl = asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))
    with app.app_context():
        assert signing._revocation_sources(with_crl)
        assert signing._validation_data_context(SimpleNamespace(signing_cert=with_crl)) is None  # no chain set
        (tmp_path / "chain.pem").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
        monkeypatch.setitem(app.config, "PORTAL_SIGNING_CHAIN", str(tmp_path / "chain.pem"))
        assert signing._validation_data_context(SimpleNamespace(signing_cert=with_crl)) is not None
        own = signing.load_cert_from_pemder(app.config["PORTAL_SIGNING_CERT"])
        assert signing._validation_data_context(SimpleNamespace(signing_cert=own)) is None
