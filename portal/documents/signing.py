"""PAdES signatures with pyHanko: sign a rendered PDF with the portal's key and an RFC 3161
timestamp (PAdES B-T), and tell whether a PDF carries one of the portal's signatures intact.

The key and certificate are PEM files named by PORTAL_SIGNING_KEY / PORTAL_SIGNING_CERT.
`generate_development_keys()` (behind `flask portal keys init`) makes a self-signed pair for
development; a real deployment configures a key whose certificate a public CA issued.

The timestamp comes from the TSA at PORTAL_TSA_URL. Without one, a local TSA signs it with the
development TSA key beside the signing keys (PORTAL_TSA_KEY / PORTAL_TSA_CERT, which
`flask portal keys init` creates): good for development and the demo, worth nothing as proof to
anyone else. Neither configured: PAdES B-B, and a warning in the log.

The keys are RSA: pyHanko declares an ECDSA signature on a NIST curve under ISO/TS 32002, an
extension of PDF 2.0, and so marks the file PDF 2.0 — but PDF/A-3 is a PDF 1.7 standard.
"""

import asyncio
import logging
import os
import re
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from io import BytesIO
from pathlib import Path
from typing import Literal

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from flask import current_app
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.metadata import model as xmp_model
from pyhanko.pdf_utils.metadata import xmp_xml
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import signers, timestamps
from pyhanko.sign.fields import SigSeedSubFilter
from pyhanko.sign.general import (
    get_pyca_cryptography_hash,
    load_cert_from_pemder,
    load_certs_from_pemder,
    load_private_key_from_pemder,
)
from pyhanko.sign.timestamps import dummy_client
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

log = logging.getLogger(__name__)

SIGNATURE_FIELD = "Signature1"
DEVELOPMENT_SUBJECT = "重庆市学校治理公共平台（开发用）"
DEVELOPMENT_TSA_SUBJECT = "重庆市学校治理公共平台时间戳（开发用）"
RSA_KEY_BITS = 2048  # pyca checks a key as it loads it: 0.18 s for 3,072 bits (once per process: _KeyLoadedOnceSigner)
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


class _KeyLoadedOnceSigner(signers.SimpleSigner):
    """pyHanko's signer turns its key into pyca's object for every signature, and pyca checks an
    RSA key as it loads it: 44 ms a signature at 2,048 bits, 145 ms at 3,072. This one keeps the
    loaded key for an RSA PKCS #1 v1.5 signature (what the portal's keys make); any other
    mechanism is left to pyHanko."""

    _loaded_key = None

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        if self.get_signature_mechanism_for_digest(digest_algorithm).signature_algo != "rsassa_pkcs1v15":
            return super().sign_raw(data, digest_algorithm)
        if self._loaded_key is None:
            self._loaded_key = serialization.load_der_private_key(self.signing_key.dump(), password=None)
        return self._loaded_key.sign(data, PKCS1v15(), get_pyca_cryptography_hash(digest_algorithm))


@lru_cache(maxsize=4)
def _load_signer(key_stamp, cert_stamp) -> signers.SimpleSigner:
    signer = signers.SimpleSigner.load(key_stamp[0], cert_stamp[0])
    if signer is None:  # pyHanko logs the reason and returns None
        raise SigningKeyMissing(f"cannot load the signing key {key_stamp[0]} with certificate {cert_stamp[0]}")
    # SimpleSigner.load makes a SimpleSigner whatever class it is called on: the same, keeping its key.
    return _KeyLoadedOnceSigner(
        signing_cert=signer.signing_cert, signing_key=signer.signing_key, cert_registry=signer.cert_registry
    )


@lru_cache(maxsize=4)
def _load_certificate(cert_stamp) -> asn1_x509.Certificate:
    return load_cert_from_pemder(cert_stamp[0])


def portal_certificate(cert_path=None) -> asn1_x509.Certificate:
    """The certificate the portal signs with (from PORTAL_SIGNING_CERT)."""
    # Given a path, no app is needed (the check worker runs without one).
    path = Path(cert_path) if cert_path else _paths()[1]
    return _load_certificate(_stamp(path))


def outside_any_event_loop(function, *args):
    """pyHanko's synchronous API calls asyncio.run() inside, which fails in a thread whose event
    loop is already running (an async server, or Playwright's sync API in the tests). There, the
    call runs in a short-lived thread of its own; everywhere else, right here."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return function(*args)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(function, *args).result()


class _ArchivalWriter(IncrementalPdfFileWriter):
    """The incremental update that adds the signature, keeping the file what it claims to be.
    pyHanko appends itself to the document info's /Producer ("WeasyPrint 70.0; pyHanko 0.38.0")
    but writes only itself into the XMP's pdf:Producer, and PDF/A wants the two to agree: the
    XMP gets the document info's value, which names both programs that made the file."""

    def _update_meta(self):
        super()._update_meta()
        if self._info is None or "/Metadata" not in self.root:
            return
        producer = str(self._info.get_object().get("/Producer", ""))
        stream = self.root["/Metadata"]
        if not producer or not isinstance(stream, xmp_xml.MetadataStream):
            return
        fields = {name: value for structure in stream.xmp for name, value in structure}
        fields[xmp_model.PDF_PRODUCER] = xmp_model.XmpValue(producer)
        self.root["/Metadata"] = self.add_object(xmp_xml.MetadataStream.from_xmp([xmp_model.XmpStructure(fields)]))
        self.update_root()


def timestamper() -> timestamps.TimeStamper | None:
    """Who timestamps the signature (PAdES B-T): the TSA at PORTAL_TSA_URL; without one, the local
    development TSA when its key and certificate exist; else None (PAdES B-B)."""
    config = current_app.config
    url = (config.get("PORTAL_TSA_URL") or "").strip()
    if url:
        return timestamps.HTTPTimeStamper(url, timeout=float(config.get("PORTAL_TSA_TIMEOUT", 10)))
    key_path, cert_path = Path(config.get("PORTAL_TSA_KEY") or ""), Path(config.get("PORTAL_TSA_CERT") or "")
    if key_path.is_file() and cert_path.is_file():
        return _local_timestamper(_stamp(key_path), _stamp(cert_path))
    log.warning("no TSA configured (PORTAL_TSA_URL) and no development TSA key: signing without a timestamp")
    return None


class _KeysLoadedOnce:
    """What pyHanko's development TSA (DummyTimeStamper) sees as pyca's `serialization` module: the
    same, but a private key is loaded once, not for every timestamp (44 ms each at 2,048 bits).
    Only the development TSA uses it; a real one is reached over HTTP."""

    def __getattr__(self, name):
        return getattr(serialization, name)

    @staticmethod
    @lru_cache(maxsize=4)
    def load_der_private_key(data, password=None, **options):
        return serialization.load_der_private_key(data, password, **options)


dummy_client.serialization = _KeysLoadedOnce()


@lru_cache(maxsize=4)
def _local_timestamper(key_stamp, cert_stamp) -> DummyTimeStamper:
    return DummyTimeStamper(
        tsa_cert=load_cert_from_pemder(cert_stamp[0]), tsa_key=load_private_key_from_pemder(key_stamp[0], None)
    )


def _revocation_sources(certificate: asn1_x509.Certificate) -> bool:
    """Whether the certificate names where its revocation status is published (CRL or OCSP)."""
    return bool(certificate.crl_distribution_points or certificate.ocsp_urls)


def _validation_data_context(signer: signers.SimpleSigner):
    """For PAdES B-LT: a context that fetches the chain's revocation data (CRLs, OCSP answers) so
    that they are embedded in the file. Only a certificate that names where its status is
    published has any, and the chain up to its root must be configured (PORTAL_SIGNING_CHAIN):
    the operating system's trust list is not what a reader's validator uses. A self-signed
    development certificate has neither, and gets B-T."""
    if not _revocation_sources(signer.signing_cert):
        return None
    chain_file = current_app.config.get("PORTAL_SIGNING_CHAIN") or ""
    if not chain_file:
        log.warning("the signing certificate has revocation data but PORTAL_SIGNING_CHAIN is unset: PAdES B-T only")
        return None
    chain = list(load_certs_from_pemder([chain_file]))
    roots = [c for c in chain if c.self_signed]
    return ValidationContext(trust_roots=roots, other_certs=chain, allow_fetching=True)


def sign_pdf(pdf_bytes: bytes, *, key_path=None, cert_path=None, location: str | None = None) -> bytes:
    """The PDF with a PAdES signature (SHA-256) by the portal's key and, when a TSA is configured,
    an RFC 3161 timestamp over it (B-T; B-LT when the certificate has revocation data), added as
    an incremental update: the signed file starts with exactly the rendered bytes, keeps their
    PDF version (1.7) and has one Producer. The signature names the portal's public address
    (/Location), so that a copy whose signature bytes were damaged is still recognised as one
    of ours (`location`: another address, for tests of strangers' signatures). Raises on any
    failure, a TSA that does not answer included."""
    key, cert = _paths(key_path, cert_path)
    signer = _load_signer(_stamp(key), _stamp(cert))
    validation_context = _validation_data_context(signer)
    metadata = signers.PdfSignatureMetadata(
        field_name=SIGNATURE_FIELD,
        subfilter=SigSeedSubFilter.PADES,
        md_algorithm="sha256",
        location=location or current_app.config["PORTAL_PUBLIC_URL"].rstrip("/"),
        embed_validation_info=validation_context is not None,
        validation_context=validation_context,
        use_pades_lta=False,
    )
    writer = _ArchivalWriter(BytesIO(pdf_bytes))
    pdf_signer = signers.PdfSigner(metadata, signer=signer, timestamper=timestamper())
    output = outside_any_event_loop(pdf_signer.sign_pdf, writer)
    return output.getvalue()


def _carries_certificate(data: bytes, certificates) -> bool:
    """Whether the raw bytes contain one of our certificates (a signature's /Contents is
    hex-encoded CMS): for files too damaged to parse, to tell "our signature, broken" from "not ours"."""
    lowered = data.lower()
    return any(certificate.dump().hex().encode() in lowered for certificate in certificates)


LOCATION = re.compile(rb"/Location\s*\(((?:\\.|[^\\)]){0,400})\)", re.DOTALL)
LITERAL_ESCAPE = re.compile(rb"\\([0-7]{1,3}|.)", re.DOTALL)
LITERAL_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}


def _literal_string(raw: bytes) -> bytes:
    """A PDF literal string's bytes without its escapes (pyHanko writes "https:" as "https\\072")."""

    def unescape(match):
        code = match.group(1)
        if code[:1].isdigit():
            return bytes([int(code, 8) & 0xFF])
        return LITERAL_ESCAPES.get(code, code)

    return LITERAL_ESCAPE.sub(unescape, raw)


def _names_portal(data: bytes, portal_url: str | None) -> bool:
    """Whether the raw bytes hold a signature dictionary naming the portal as where it was signed
    (/Location, see sign_pdf): for files whose signature is too damaged to read the certificate."""
    if not portal_url:
        return False
    wanted = portal_url.encode("utf-8")
    return any(_literal_string(match.group(1)) == wanted for match in LOCATION.finditer(data))


def _signature_location(signature) -> str | None:
    try:
        return str(signature.sig_object.get("/Location") or "") or None
    except Exception:  # noqa: BLE001 - a mangled dictionary
        return None


def _as_certificates(certificates) -> list[asn1_x509.Certificate]:
    return [c if isinstance(c, asn1_x509.Certificate) else asn1_x509.Certificate.load(bytes(c)) for c in certificates]


def verify_signature(
    pdf_bytes: bytes, *, cert_path=None, certificates=None, portal_url=None, tsa_certificates=None
) -> Verdict:
    """ "valid": signed by one of the portal's certificates, intact (its timestamp too, when it has
    one), and nothing after the signature;
    "broken": it carries the portal's signature but the bytes no longer match it — or a signature
    that names the portal (its /Location) but whose certificate is damaged or not one of ours;
    "unsigned": no signature by the portal (none at all, someone else's, or not a PDF).
    `certificates`: every certificate the portal has signed with (DER bytes or asn1crypto
    certificates; default: the configured one), so that a document keeps verifying after the key
    is rotated; `portal_url`: the portal's public address, as its signatures name it;
    `tsa_certificates`: the TSA certificates its timestamps are trusted under (none: a timestamp
    must be intact, whoever made it).
    Never raises for what it is given; a missing portal certificate does raise."""
    known = _as_certificates(certificates) if certificates else [portal_certificate(cert_path)]
    known_der = {certificate.dump() for certificate in known}
    if not isinstance(pdf_bytes, (bytes, bytearray)) or b"%PDF-" not in pdf_bytes[:PDF_HEADER_WINDOW]:
        return "unsigned"
    data = bytes(pdf_bytes)
    damaged = "broken" if _carries_certificate(data, known) or _names_portal(data, portal_url) else "unsigned"
    try:
        signatures = PdfFileReader(BytesIO(data), strict=False).embedded_signatures
    except Exception:  # noqa: BLE001 - any parse failure of untrusted bytes
        return damaged
    ours = []
    for signature in signatures:
        try:
            signer_der = signature.signer_cert.dump()
        except Exception:  # noqa: BLE001 - a mangled CMS blob
            if damaged == "broken":
                return "broken"
            continue
        if signer_der in known_der:
            ours.append(signature)
        elif portal_url and _signature_location(signature) == portal_url:
            return "broken"  # it says the portal signed it, with a certificate the portal never used
    if not ours:
        return "unsigned"
    context = ValidationContext(trust_roots=known, allow_fetching=False)
    tsa_roots = _as_certificates(tsa_certificates or [])
    ts_context = ValidationContext(trust_roots=tsa_roots, allow_fetching=False) if tsa_roots else None
    for signature in ours:
        try:
            status = outside_any_event_loop(validate_pdf_signature, signature, context, ts_context)
        except Exception:  # noqa: BLE001 - pyHanko raises several kinds for damaged signatures
            log.info("signature validation failed", exc_info=True)
            return "broken"
        if not (status.intact and status.valid and status.trusted):
            return "broken"
        if status.coverage != SignatureCoverageLevel.ENTIRE_FILE:
            return "broken"  # bytes were added after the signature
        stamp = status.timestamp_validity
        if stamp is not None and not (stamp.intact and stamp.valid):
            return "broken"  # the timestamp no longer matches the signature
    return "valid"


def write_private(path: Path, data: bytes) -> None:
    """Create `path` with mode 0600; fail if it exists (the caller removes it first on --force)."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as f:
        f.write(data)
    os.chmod(path, 0o600)


def generate_development_keys(
    key_path, cert_path, *, force: bool = False, subject: str = DEVELOPMENT_SUBJECT, timestamping: bool = False
) -> tuple[Path, Path]:
    """A self-signed RSA key pair for development, valid ten years, written as PEM files with mode
    0600 (`timestamping`: a TSA's, for the local development TSA). Refuses (FileExistsError) to
    replace existing files unless `force`."""
    key_path, cert_path = Path(key_path), Path(cert_path)
    existing = [str(p) for p in (key_path, cert_path) if p.exists()]
    if existing and not force:
        raise FileExistsError(", ".join(existing))
    key_pem, cert_pem = development_key_pair(subject=subject, timestamping=timestamping)
    for path in (key_path, cert_path):
        path.parent.mkdir(parents=True, exist_ok=True)
        if force:
            path.unlink(missing_ok=True)
    write_private(key_path, key_pem)
    write_private(cert_path, cert_pem)
    return key_path, cert_path


def development_key_pair(*, subject: str = DEVELOPMENT_SUBJECT, timestamping: bool = False) -> tuple[bytes, bytes]:
    """A new self-signed RSA key and certificate, as PEM bytes (key, certificate)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=RSA_KEY_BITS)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    now = datetime.now(UTC)
    builder = (
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
    )
    if timestamping:  # RFC 3161 §2.3: a TSA's certificate has exactly this critical extended key usage
        builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
    certificate = builder.sign(key, hashes.SHA256())
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return key_pem, certificate.public_bytes(serialization.Encoding.PEM)
