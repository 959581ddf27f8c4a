"""PAdES signatures with pyHanko: sign a rendered PDF with the portal's key, and tell whether a
PDF carries the portal's signature intact.

The key and certificate are PEM files named by PORTAL_SIGNING_KEY / PORTAL_SIGNING_CERT.
`generate_development_keys()` (behind `flask portal keys init`) makes a self-signed pair for
development; a real deployment configures a key whose certificate a public CA issued.
"""

import asyncio
import logging
import os
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from io import BytesIO
from pathlib import Path
from typing import Literal

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from flask import current_app
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import signers
from pyhanko.sign.fields import SigSeedSubFilter
from pyhanko.sign.general import load_cert_from_pemder
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

log = logging.getLogger(__name__)

SIGNATURE_FIELD = "Signature1"
DEVELOPMENT_SUBJECT = "重庆市学校治理公共平台（开发用）"
DEVELOPMENT_VALIDITY = timedelta(days=3653)  # ten years
PDF_HEADER_WINDOW = 1024  # a PDF's "%PDF-" header may follow a little junk (ISO 32000 §7.5.2)

Verdict = Literal["valid", "broken", "unsigned"]


class SigningKeyMissing(RuntimeError):
    """The configured key or certificate file does not exist or cannot be read."""


def _paths(key_path=None, cert_path=None) -> tuple[Path, Path]:
    config = current_app.config
    return Path(key_path or config["PORTAL_SIGNING_KEY"]), Path(cert_path or config["PORTAL_SIGNING_CERT"])


def _stamp(path: Path) -> tuple[str, int, int]:
    """Cache key of a file: its path and modification time, so a replaced key is picked up."""
    try:
        stat = path.stat()
    except OSError as error:
        raise SigningKeyMissing(f"cannot read {path}: {error.strerror}") from error
    return str(path), stat.st_mtime_ns, stat.st_size


@lru_cache(maxsize=4)
def _load_signer(key_stamp, cert_stamp) -> signers.SimpleSigner:
    signer = signers.SimpleSigner.load(key_stamp[0], cert_stamp[0])
    if signer is None:  # pyHanko logs the reason and returns None
        raise SigningKeyMissing(f"cannot load the signing key {key_stamp[0]} with certificate {cert_stamp[0]}")
    return signer


@lru_cache(maxsize=4)
def _load_certificate(cert_stamp) -> asn1_x509.Certificate:
    return load_cert_from_pemder(cert_stamp[0])


def portal_certificate(cert_path=None) -> asn1_x509.Certificate:
    """The certificate the portal signs with (from PORTAL_SIGNING_CERT)."""
    # Given a path, no app is needed (the check worker runs without one).
    path = Path(cert_path) if cert_path else _paths()[1]
    return _load_certificate(_stamp(path))


def _outside_any_event_loop(function, *args):
    """pyHanko's synchronous API calls asyncio.run() inside, which fails in a thread whose event
    loop is already running (an async server, or Playwright's sync API in the tests). There, the
    call runs in a short-lived thread of its own; everywhere else, right here."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return function(*args)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(function, *args).result()


def sign_pdf(pdf_bytes: bytes, *, key_path=None, cert_path=None) -> bytes:
    """The PDF with a PAdES signature (SHA-256) by the portal's key, added as an incremental
    update, so the signed file starts with exactly the rendered bytes. Raises on any failure."""
    key, cert = _paths(key_path, cert_path)
    signer = _load_signer(_stamp(key), _stamp(cert))
    metadata = signers.PdfSignatureMetadata(
        field_name=SIGNATURE_FIELD, subfilter=SigSeedSubFilter.PADES, md_algorithm="sha256"
    )
    writer = IncrementalPdfFileWriter(BytesIO(pdf_bytes))
    output = _outside_any_event_loop(signers.PdfSigner(metadata, signer=signer).sign_pdf, writer)
    return output.getvalue()


def _carries_certificate(data: bytes, certificate: asn1_x509.Certificate) -> bool:
    """Whether the raw bytes contain our certificate (a signature's /Contents is hex-encoded CMS):
    for files too damaged to parse, to tell "our signature, broken" from "not ours"."""
    return certificate.dump().hex().encode() in data.lower()


def verify_signature(pdf_bytes: bytes, *, cert_path=None) -> Verdict:
    """ "valid": signed by the portal's certificate, intact, and nothing after the signature;
    "broken": it carries the portal's signature but the bytes no longer match it;
    "unsigned": no signature by the portal (none at all, someone else's, or not a PDF).
    Never raises for what it is given; a missing portal certificate does raise."""
    certificate = portal_certificate(cert_path)
    if not isinstance(pdf_bytes, (bytes, bytearray)) or b"%PDF-" not in pdf_bytes[:PDF_HEADER_WINDOW]:
        return "unsigned"
    data = bytes(pdf_bytes)
    try:
        signatures = PdfFileReader(BytesIO(data), strict=False).embedded_signatures
    except Exception:  # noqa: BLE001 - any parse failure of untrusted bytes
        return "broken" if _carries_certificate(data, certificate) else "unsigned"
    ours = []
    for signature in signatures:
        try:
            if signature.signer_cert.dump() == certificate.dump():
                ours.append(signature)
        except Exception:  # noqa: BLE001 - a mangled CMS blob
            if _carries_certificate(data, certificate):
                return "broken"
    if not ours:
        return "unsigned"
    context = ValidationContext(trust_roots=[certificate], allow_fetching=False)
    for signature in ours:
        try:
            status = _outside_any_event_loop(validate_pdf_signature, signature, context)
        except Exception:  # noqa: BLE001 - pyHanko raises several kinds for damaged signatures
            log.info("signature validation failed", exc_info=True)
            return "broken"
        if not (status.intact and status.valid and status.trusted):
            return "broken"
        if status.coverage != SignatureCoverageLevel.ENTIRE_FILE:
            return "broken"  # bytes were added after the signature
    return "valid"


def _write_private(path: Path, data: bytes) -> None:
    """Create `path` with mode 0600; fail if it exists (the caller removes it first on --force)."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as f:
        f.write(data)
    os.chmod(path, 0o600)


def generate_development_keys(key_path, cert_path, *, force: bool = False) -> tuple[Path, Path]:
    """A self-signed EC P-256 key pair for development, valid ten years, written as PEM files
    with mode 0600. Refuses (FileExistsError) to replace existing files unless `force`."""
    key_path, cert_path = Path(key_path), Path(cert_path)
    existing = [str(p) for p in (key_path, cert_path) if p.exists()]
    if existing and not force:
        raise FileExistsError(", ".join(existing))
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, DEVELOPMENT_SUBJECT)])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + DEVELOPMENT_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    cert_pem = certificate.public_bytes(serialization.Encoding.PEM)
    for path in (key_path, cert_path):
        path.parent.mkdir(parents=True, exist_ok=True)
        if force:
            path.unlink(missing_ok=True)
    _write_private(key_path, key_pem)
    _write_private(cert_path, cert_pem)
    return key_path, cert_path
