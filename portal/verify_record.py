"""Check a downloaded record offline: `python -m portal.verify_record FILE.pdf BUNDLE.json`.

BUNDLE.json is the record's evidence bundle (`<record address>/evidence.json`). This needs no
database, no portal configuration and no network — only the two files (the standard library,
`cryptography` and pyHanko). It checks that:

1. the file's SHA-256 is the one the log leaf names;
2. the file carries an intact PAdES signature by the certificate in the bundle, covering the whole
   file (pyHanko validates it, and a signature timestamp too when there is one);
3. the inclusion proof leads from the leaf to a root hash;
4. the checkpoint signs that root and tree size, with the log key in the bundle (or, better, with
   the one given by --key, taken from /log/key or a witness's state);

and prints one verdict line: exit status 0 when everything holds, 1 otherwise.
"""

import argparse
import base64
import binascii
import hashlib
import json
import sys
from io import BytesIO

from asn1crypto import pem
from asn1crypto import x509 as asn1_x509

from portal.transparency import merkle, notes


class NotVerified(Exception):
    pass


def _certificates(pems: list) -> list:
    certificates = []
    for text in pems:
        if not isinstance(text, str):
            raise NotVerified("the bundle's certificates are not PEM text")
        try:
            _type, _headers, der = pem.unarmor(text.encode("ascii"))
            certificates.append(asn1_x509.Certificate.load(der))
        except (ValueError, TypeError) as error:
            raise NotVerified("a certificate in the bundle cannot be read") from error
    if not certificates:
        raise NotVerified("the bundle has no signing certificate")
    return certificates


def check_signature(pdf: bytes, certificates: list) -> str:
    """The signer's common name when the PDF's signature verifies against `certificates`."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    try:
        signatures = PdfFileReader(BytesIO(pdf), strict=False).embedded_signatures
    except Exception as error:  # noqa: BLE001 - any parse failure of the file
        raise NotVerified("the PDF cannot be read") from error
    if not signatures:
        raise NotVerified("the PDF carries no signature")
    context = ValidationContext(trust_roots=certificates, allow_fetching=False)
    for signature in signatures:
        try:
            status = validate_pdf_signature(signature, context)
        except Exception as error:  # noqa: BLE001 - pyHanko raises several kinds for damaged signatures
            raise NotVerified("the PDF's signature is damaged") from error
        # The signer must be one of the bundle's certificates, byte for byte: trusting a name
        # or a key alone would let an edited certificate in the bundle pass.
        if not any(signature.signer_cert.dump() == certificate.dump() for certificate in certificates):
            raise NotVerified("the PDF is not signed by the bundle's certificate")
        if not (status.intact and status.valid and status.trusted):
            raise NotVerified("the PDF's signature is not intact, or not by the bundle's certificate")
        if status.coverage != SignatureCoverageLevel.ENTIRE_FILE:
            raise NotVerified("bytes were added to the PDF after its signature")
    return signatures[-1].signer_cert.subject.human_friendly


def verify(pdf: bytes, bundle: dict, trusted_key: str | None = None) -> str:
    """The verdict line for a record that checks out; raises NotVerified with the reason."""
    try:
        leaf = base64.b64decode(bundle["leaf"]["leaf"], validate=True)
        fields = json.loads(leaf.decode("utf-8"))
        index, size = int(bundle["leaf"]["index"]), int(bundle["tree_size"])
        proof = [bytes.fromhex(node) for node in bundle["inclusion"]]
        key = notes.parse_verifier_key(trusted_key or bundle["log_key"])
        certificates = _certificates(bundle["certificates"])
        checkpoint_text = bundle["checkpoint"]
    except (KeyError, TypeError, ValueError, binascii.Error, notes.NoteError) as error:
        raise NotVerified(f"the bundle is malformed ({error})") from error
    digest = hashlib.sha256(pdf).hexdigest()
    if fields.get("sha256") != digest:
        raise NotVerified("the file is not the one the log published (its SHA-256 differs)")
    signer = check_signature(pdf, certificates)
    try:
        checkpoint = notes.verify_checkpoint(checkpoint_text, key)
    except notes.NoteError as error:
        raise NotVerified(f"the checkpoint does not verify: {error}") from error
    if checkpoint.size != size:
        raise NotVerified("the inclusion proof is not for the checkpoint's tree")
    if not merkle.verify_inclusion(index, size, merkle.leaf_hash(leaf), proof, checkpoint.root):
        raise NotVerified("the inclusion proof does not lead to the checkpoint's root")
    number = f" {fields['number']}" if fields.get("number") else ""
    return (
        f"VERIFIED: {fields.get('record')}{number} ({fields.get('kind')}, {fields.get('status')} "
        f"{fields.get('published_at')}) is entry {index} of {checkpoint.origin} at {size} entries; "
        f"signed by {signer}"
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m portal.verify_record", description=__doc__.split("\n\n")[0])
    parser.add_argument("pdf", help="the downloaded PDF")
    parser.add_argument("bundle", help="its evidence bundle (evidence.json)")
    parser.add_argument("--key", default=None, help="the log's verifier key to trust instead of the bundle's")
    args = parser.parse_args(argv)
    try:
        with open(args.pdf, "rb") as pdf_file:
            pdf = pdf_file.read()
        with open(args.bundle, "rb") as bundle_file:
            bundle = json.loads(bundle_file.read().decode("utf-8"))
        if not isinstance(bundle, dict):
            raise NotVerified("the bundle is not a JSON object")
        print(verify(pdf, bundle, args.key))
        return 0
    except NotVerified as reason:
        print(f"NOT VERIFIED: {reason}")
    except (OSError, ValueError) as error:
        print(f"NOT VERIFIED: cannot read the files ({error})")
    return 1


if __name__ == "__main__":
    sys.exit(main())
