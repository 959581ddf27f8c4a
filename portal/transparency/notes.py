"""C2SP signed notes (signed-note), checkpoints (tlog-checkpoint) and cosignatures
(tlog-cosignature) with Ed25519 — plain functions on bytes and text, no database, no Flask: the
witness and the offline verifier use them as the portal does.

Keys are text in the note formats:
- verifier key  `<name>+<8 hex key id>+<base64(type byte ‖ 32-byte public key)>`
- private key   `PRIVATE+KEY+<name>+<8 hex key id>+<base64(type byte ‖ 32-byte seed)>`
The type byte is 0x01 for a log's note signature, 0x04 for a witness's cosignature.
"""

import base64
import binascii
import hashlib
import struct
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

ED25519 = 0x01
COSIGNATURE_V1 = 0x04
SIGNATURE_DASH = "\u2014 "  # "— ": an em dash and a space begin every signature line
MAX_NAME = 200


class NoteError(ValueError):
    """A key, note or checkpoint that is malformed, or a signature that does not verify."""


def _valid_name(name: str) -> bool:
    return 0 < len(name) <= MAX_NAME and "+" not in name and not any(c.isspace() for c in name)


def key_id(name: str, kind: int, public: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + bytes([kind]) + public).digest()[:4]


@dataclass(frozen=True)
class VerifierKey:
    name: str
    kind: int
    public: bytes

    @property
    def id(self) -> bytes:
        return key_id(self.name, self.kind, self.public)

    def __str__(self) -> str:
        return f"{self.name}+{self.id.hex()}+{base64.b64encode(bytes([self.kind]) + self.public).decode()}"

    def verify(self, message: bytes, signature: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self.public).verify(signature, message)
        except (InvalidSignature, ValueError):
            return False
        return True


@dataclass(frozen=True)
class SignerKey:
    name: str
    kind: int
    seed: bytes

    @property
    def _private(self) -> Ed25519PrivateKey:
        return Ed25519PrivateKey.from_private_bytes(self.seed)

    @property
    def verifier(self) -> VerifierKey:
        public = self._private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        return VerifierKey(self.name, self.kind, public)

    def sign(self, message: bytes) -> bytes:
        return self._private.sign(message)

    def __str__(self) -> str:
        encoded = base64.b64encode(bytes([self.kind]) + self.seed).decode()
        return f"PRIVATE+KEY+{self.name}+{self.verifier.id.hex()}+{encoded}"


def generate_signer(name: str, kind: int = ED25519) -> SignerKey:
    if not _valid_name(name):
        raise NoteError(f"{name!r} cannot name a key (no '+', no spaces)")
    from cryptography.hazmat.primitives.serialization import NoEncryption, PrivateFormat

    seed = Ed25519PrivateKey.generate().private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    return SignerKey(name, kind, seed)


def _decode_key_material(encoded: str) -> tuple[int, bytes]:
    try:
        raw = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as error:
        raise NoteError("the key is not valid base64") from error
    if len(raw) != 33 or raw[0] not in (ED25519, COSIGNATURE_V1):
        raise NoteError("not an Ed25519 key")
    return raw[0], raw[1:]


def parse_verifier_key(text: str) -> VerifierKey:
    parts = text.strip().split("+", 2)  # base64 may hold "+" itself
    if len(parts) != 3 or not _valid_name(parts[0]):
        raise NoteError("a verifier key is <name>+<key id>+<base64 key>")
    kind, public = _decode_key_material(parts[2])
    key = VerifierKey(parts[0], kind, public)
    if key.id.hex() != parts[1].lower():
        raise NoteError("the key id does not match the key")
    return key


def parse_signer_key(text: str) -> SignerKey:
    parts = text.strip().split("+", 4)
    if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"] or not _valid_name(parts[2]):
        raise NoteError("a private key is PRIVATE+KEY+<name>+<key id>+<base64 key>")
    kind, seed = _decode_key_material(parts[4])
    key = SignerKey(parts[2], kind, seed)
    if key.verifier.id.hex() != parts[3].lower():
        raise NoteError("the key id does not match the key")
    return key


# --- signed notes ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Signature:
    name: str
    id: bytes
    blob: bytes  # what follows the key id: the signature (64 bytes), or timestamp ‖ signature

    @property
    def line(self) -> str:
        return f"{SIGNATURE_DASH}{self.name} {base64.b64encode(self.id + self.blob).decode()}"


def split_note(text: str) -> tuple[str, list[Signature]]:
    """(body ending in a newline, its signatures). Raises NoteError when malformed."""
    if not isinstance(text, str) or "\n\n" not in text:
        raise NoteError("a signed note is a text, a blank line, and signature lines")
    at = text.rindex("\n\n")
    body, rest = text[: at + 1], text[at + 2 :]
    signatures = []
    lines = rest.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if not lines:
        raise NoteError("the note has no signature")
    for line in lines:
        if not line.startswith(SIGNATURE_DASH):
            raise NoteError("a signature line begins with '— '")
        name, _, encoded = line[len(SIGNATURE_DASH) :].partition(" ")
        try:
            raw = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError) as error:
            raise NoteError("a signature is not valid base64") from error
        if not _valid_name(name) or len(raw) < 5:
            raise NoteError("a malformed signature line")
        signatures.append(Signature(name, raw[:4], raw[4:]))
    return body, signatures


def sign_note(body: str, key: SignerKey) -> str:
    if not body.endswith("\n"):
        raise NoteError("a note's text ends with a newline")
    signature = Signature(key.name, key.verifier.id, key.sign(body.encode("utf-8")))
    return f"{body}\n{signature.line}\n"


def verify_note(text: str, key: VerifierKey) -> str:
    """The note's body if one of its signatures is `key`'s and verifies; raises NoteError."""
    body, signatures = split_note(text)
    for signature in signatures:
        if signature.name == key.name and signature.id == key.id:
            if len(signature.blob) == 64 and key.verify(body.encode("utf-8"), signature.blob):
                return body
            raise NoteError(f"the signature of {key.name} does not verify")
    raise NoteError(f"the note is not signed by {key.name}")


# --- checkpoints ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes

    @property
    def body(self) -> str:
        return f"{self.origin}\n{self.size}\n{base64.b64encode(self.root).decode()}\n"


def parse_checkpoint_body(body: str) -> Checkpoint:
    lines = body.split("\n")
    if len(lines) < 4 or lines[-1] != "" or not lines[0]:
        raise NoteError("a checkpoint is an origin, a tree size and a root hash, one per line")
    size_text = lines[1]
    if not size_text.isascii() or not size_text.isdigit() or (size_text != "0" and size_text.startswith("0")):
        raise NoteError("the tree size is not a decimal number")
    try:
        root = base64.b64decode(lines[2], validate=True)
    except (binascii.Error, ValueError) as error:
        raise NoteError("the root hash is not valid base64") from error
    if len(root) != 32:
        raise NoteError("the root hash is not 32 bytes")
    return Checkpoint(lines[0], int(size_text), root)


def verify_checkpoint(text: str, key: VerifierKey, origin: str | None = None) -> Checkpoint:
    """The checkpoint in a signed note, if `key` signed it (and its origin is `origin`)."""
    checkpoint = parse_checkpoint_body(verify_note(text, key))
    if origin is not None and checkpoint.origin != origin:
        raise NoteError(f"the checkpoint is for {checkpoint.origin}, not {origin}")
    return checkpoint


# --- cosignatures ---------------------------------------------------------------------------


def cosigned_message(body: str, timestamp: int) -> bytes:
    return f"cosignature/v1\ntime {timestamp}\n{body}".encode()


def cosign(body: str, key: SignerKey, timestamp: int) -> Signature:
    """A witness's tlog-cosignature line for a checkpoint body (key kind 0x04)."""
    blob = struct.pack(">Q", timestamp) + key.sign(cosigned_message(body, timestamp))
    return Signature(key.name, key.verifier.id, blob)


def verify_cosignature(body: str, signature: Signature, key: VerifierKey) -> int | None:
    """The cosignature's timestamp if `key` made it over `body`; None otherwise."""
    if key.kind != COSIGNATURE_V1 or signature.name != key.name or signature.id != key.id:
        return None
    if len(signature.blob) != 72:
        return None
    (timestamp,) = struct.unpack(">Q", signature.blob[:8])
    if timestamp >= 2**63:
        return None
    return timestamp if key.verify(cosigned_message(body, timestamp), signature.blob[8:]) else None
