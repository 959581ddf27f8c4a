"""Signed notes, checkpoints and cosignatures in the C2SP formats, and the keys that sign them:
what a witness or a verifier reads must be exactly what the formats say, and anything else is
refused with NoteError rather than an exception of another kind."""

import base64
import hashlib

import pytest

from portal.transparency import notes


@pytest.fixture(scope="module")
def log_key():
    return notes.generate_signer("portal.example/log")


def test_keys_survive_their_text_form(log_key):
    assert notes.parse_signer_key(str(log_key)) == log_key
    assert notes.parse_verifier_key(str(log_key.verifier)) == log_key.verifier
    name, key_id, material = str(log_key.verifier).split("+", 2)
    raw = base64.b64decode(material)
    assert raw[0] == 0x01 and key_id == hashlib.sha256(name.encode() + b"\n" + raw).digest()[:4].hex()


@pytest.mark.parametrize(
    "text",
    ["", "name", "name+abcd1234", "na me+abcd1234+AAAA", "name+abcd1234+!!!!", "name+00000000+" + "A" * 44],
)
def test_malformed_verifier_keys_are_refused(text):
    with pytest.raises(notes.NoteError):
        notes.parse_verifier_key(text)


def test_a_checkpoint_verifies_with_its_key_only(log_key):
    body = notes.Checkpoint("portal.example/log", 7, b"\x01" * 32).body
    signed = notes.sign_note(body, log_key)
    assert notes.verify_checkpoint(signed, log_key.verifier) == notes.Checkpoint("portal.example/log", 7, b"\x01" * 32)
    with pytest.raises(notes.NoteError, match="not signed by"):
        notes.verify_checkpoint(signed, notes.generate_signer("portal.example/log").verifier)
    with pytest.raises(notes.NoteError, match="does not verify"):
        notes.verify_checkpoint(signed.replace("\n7\n", "\n8\n"), log_key.verifier)
    with pytest.raises(notes.NoteError, match="is for"):
        notes.verify_checkpoint(signed, log_key.verifier, origin="other.example/log")


@pytest.mark.parametrize(
    "body",
    ["origin\n007\n" + "A" * 43 + "=\n", "origin\n-1\n" + "A" * 43 + "=\n", "origin\n1\nAAAA\n", "\n1\nAAAA\n"],
)
def test_malformed_checkpoints_are_refused(body):
    with pytest.raises(notes.NoteError):
        notes.parse_checkpoint_body(body)


def test_a_cosignature_is_over_the_time_and_the_checkpoint():
    witness = notes.generate_signer("news.example/witness", notes.COSIGNATURE_V1)
    body = notes.Checkpoint("portal.example/log", 7, b"\x01" * 32).body
    signature = notes.cosign(body, witness, 1_700_000_000)
    assert len(signature.blob) == 72
    assert notes.verify_cosignature(body, signature, witness.verifier) == 1_700_000_000
    other_body = notes.Checkpoint("portal.example/log", 8, b"\x01" * 32).body
    assert notes.verify_cosignature(other_body, signature, witness.verifier) is None
    assert notes.verify_cosignature(body, signature, notes.generate_signer("portal.example/log").verifier) is None
