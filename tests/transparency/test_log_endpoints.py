"""The log as anyone reads it over HTTP: what the issue's "Done when" asks (an independent
script recomputes the checkpoint's root from /log/entries, checks its Ed25519 signature and a
decision's inclusion proof, with Merkle code of its own), the leaves each publication writes,
bad parameters (400 with a JSON error), caching, and the append-only rule."""

import base64
import hashlib
import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import select

from portal import events
from portal.extensions import db as _db
from portal.transparency import services
from portal.transparency.models import LogIsAppendOnly, LogLeaf
from tests.helpers.pages import ENGLISH

# --- an independent verifier: RFC 9162 and C2SP signed-note, written here from the specs -----


def _leaf(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _root(hashes: list[bytes]) -> bytes:
    if len(hashes) == 1:
        return hashes[0]
    k = 1
    while k * 2 < len(hashes):
        k *= 2
    return _node(_root(hashes[:k]), _root(hashes[k:]))


def _root_from_path(index: int, size: int, leaf_hash: bytes, path: list[bytes]) -> bytes:
    """The root an audit path leads to, by recursion on the tree's shape (not the RFC's loop)."""

    def climb(m, n, path):
        if n == 1:
            assert not path
            return leaf_hash
        k = 1
        while k * 2 < n:
            k *= 2
        if m < k:
            return _node(climb(m, k, path[:-1]), path[-1])
        return _node(path[-1], climb(m - k, n - k, path[:-1]))

    return climb(index, size, path)


def _verify_signed_note(note: str, vkey: str) -> str:
    name, key_hash, encoded = vkey.strip().split("+", 2)
    material = base64.b64decode(encoded)
    assert material[0] == 1
    assert hashlib.sha256(name.encode() + b"\n" + material).digest()[:4].hex() == key_hash
    body, signatures = note.split("\n\n", 1)
    body += "\n"
    for line in signatures.splitlines():
        dash_name, blob = line.rsplit(" ", 1)
        raw = base64.b64decode(blob)
        if dash_name == f"\u2014 {name}" and raw[:4].hex() == key_hash:
            Ed25519PublicKey.from_public_bytes(material[1:]).verify(raw[4:], body.encode())  # raises if forged
            return body
    raise AssertionError("not signed by the log key")


def test_an_outsider_recomputes_the_checkpoint_and_proves_a_decision_was_published(client, log_world):
    vkey = client.get("/log/key").get_data(as_text=True)
    note = client.get("/log/checkpoint").get_data(as_text=True)
    origin, size_line, root_line = _verify_signed_note(note, vkey).splitlines()
    assert origin == "portal.test/log"
    size = int(size_line)
    entries = client.get(f"/log/entries?start=0&end={size}").get_json()["entries"]
    assert [entry["index"] for entry in entries] == list(range(size))
    assert base64.b64encode(_root([_leaf(base64.b64decode(e["leaf"])) for e in entries])).decode() == root_line

    pdf = client.get(f"/decisions/{log_world['decision_ids'][1]}.pdf").data
    digest = hashlib.sha256(pdf).hexdigest()
    proof = client.get(f"/log/proof?sha256={digest}&tree_size={size}").get_json()
    leaf = base64.b64decode(proof["leaf"])
    assert json.loads(leaf)["sha256"] == digest
    path = [bytes.fromhex(h) for h in proof["inclusion"]]
    assert base64.b64encode(_root_from_path(proof["index"], size, _leaf(leaf), path)).decode() == root_line


def test_each_publication_and_each_replacement_is_a_leaf(client, log_world):
    entries = client.get("/log/entries").get_json()["entries"]
    first, second, third = (f"/decisions/{i}" for i in log_world["decision_ids"])
    assert [(e["record"], e["status"]) for e in entries] == [
        (first, "published"),
        (second, "published"),
        (third, "published"),
        (first, "superseded"),
    ]
    leaf = json.loads(base64.b64decode(entries[0]["leaf"]))
    assert set(leaf) >= {"kind", "record", "sha256", "status", "published_at", "number", "text_sha256"}
    assert leaf["published_at"].endswith("Z")
    assert entries[3]["by"] == third
    assert base64.b64decode(entries[0]["leaf"]) == json.dumps(
        leaf, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode("utf-8")


def test_a_checkpoint_is_signed_after_every_publication(client, log_world):
    note = client.get("/log/checkpoint").get_data(as_text=True)
    assert note.splitlines()[1] == "4"


def test_consistency_proofs_link_earlier_sizes_to_the_current_one(client, log_world):
    from portal.transparency import merkle

    entries = client.get("/log/entries").get_json()["entries"]
    hashes = [_leaf(base64.b64decode(e["leaf"])) for e in entries]
    for first in range(0, 5):
        proof = client.get(f"/log/consistency?first={first}&second=4").get_json()["consistency"]
        first_root = _root(hashes[:first]) if first else hashlib.sha256(b"").digest()
        assert merkle.verify_consistency(first, 4, first_root, _root(hashes), [bytes.fromhex(p) for p in proof])


@pytest.mark.parametrize(
    "address",
    [
        "/log/entries?start=x",
        "/log/entries?start=-1",
        "/log/entries?start=３",
        "/log/entries?start=0&end=99",
        "/log/entries?start=3&end=1",
        "/log/entries?start=0&end=1001",
        "/log/entries?start=99999999999999999999",
        "/log/proof",
        "/log/proof?sha256=zz",
        "/log/proof?sha256=" + "a" * 65,
        "/log/proof?sha256=" + "a" * 64 + "&tree_size=0",
        "/log/proof?sha256=" + "a" * 64 + "&tree_size=5",
        "/log/proof?sha256=" + "a" * 64 + "&tree_size=²",
        "/log/consistency",
        "/log/consistency?first=1",
        "/log/consistency?first=3&second=2",
        "/log/consistency?first=1&second=5",
        "/log/consistency?first=<script>&second=2",
    ],
)
def test_bad_parameters_answer_400_with_a_json_error(client, log_world, address):
    response = client.get(address)
    assert response.status_code == 400
    assert response.get_json()["error"]


def test_a_file_the_log_does_not_know_has_no_proof(client, log_world):
    response = client.get("/log/proof?sha256=" + "a" * 64)
    assert response.status_code == 404
    assert response.get_json()["error"]


def test_the_proof_of_an_older_tree_names_the_leaf_inside_it(client, log_world):
    digest = log_world["sha256"][0]
    assert client.get(f"/log/proof?sha256={digest}&tree_size=4").get_json()["index"] == 3  # superseded leaf
    assert client.get(f"/log/proof?sha256={digest}&tree_size=3").get_json()["index"] == 0


def test_answers_are_cacheable_and_revalidate_with_their_etag(client, log_world):
    for address in ("/log/checkpoint", "/log/key", "/log/entries?start=0&end=2", "/log/consistency?first=1&second=4"):
        response = client.get(address)
        assert response.headers["Cache-Control"].startswith("public, max-age=")
        assert client.get(address, headers={"If-None-Match": response.headers["ETag"]}).status_code == 304
    assert client.get("/log/checkpoint").headers["Content-Type"] == "text/plain; charset=utf-8"


def test_the_key_is_in_note_verifier_format(client, log_world):
    name, key_hash, encoded = client.get("/log/key").get_data(as_text=True).strip().split("+", 2)
    assert name == "portal.test/log" and len(key_hash) == 8 and len(base64.b64decode(encoded)) == 33


def test_entry_for_sha256_gives_the_newest_index_and_the_checkpoint(db, log_world, app):
    with app.app_context():
        index, checkpoint = services.entry_for_sha256(log_world["sha256"][1].upper())
        assert index == 1 and checkpoint.tree_size == 4
        assert services.entry_for_sha256(log_world["sha256"][0])[0] == 3
        assert services.entry_for_sha256("0" * 64) is None
        assert services.entry_for_sha256("not a hash") is None
        assert services.entry_for_sha256(None) is None


def test_a_signing_key_rotation_is_a_leaf(db, log_world, app, client):
    with app.app_context():
        events.emit(
            "signing.key_rotated", None, None, certificate_sha256="AB" * 32, not_before="2026-12-03T00:00:00+00:00"
        )
        _db.session.commit()
    entry = client.get("/log/entries?start=4&end=5").get_json()["entries"][0]
    assert (entry["kind"], entry["record"], entry["sha256"], entry["status"]) == (
        "signing_key",
        "/log/certificates",
        "ab" * 32,
        "active",
    )
    assert entry["not_before"] == "2026-12-03T00:00:00+00:00"
    assert client.get("/log/checkpoint").get_data(as_text=True).splitlines()[1] == "5"


def test_leaves_can_be_neither_changed_nor_deleted(db, log_world):
    leaf = _db.session.scalar(select(LogLeaf).order_by(LogLeaf.leaf_index).limit(1))
    leaf.status = "revoked"
    with pytest.raises(LogIsAppendOnly):
        _db.session.flush()
    _db.session.rollback()
    leaf = _db.session.scalar(select(LogLeaf).order_by(LogLeaf.leaf_index).limit(1))
    _db.session.delete(leaf)
    with pytest.raises(LogIsAppendOnly):
        _db.session.flush()


def test_verify_names_the_log_entry_and_the_checkpoint_that_holds_a_published_file(client, log_world):
    # The second decision's PDF is leaf 1 of the 4 (the first's leaves are 0 and, superseded, 3).
    page = client.get(f"/verify?sha256={log_world['sha256'][1]}", headers=ENGLISH).get_data(as_text=True)
    assert "Entry 1, contained in the signed checkpoint of 4 entries." in page
    assert f'href="/log/proof?sha256={log_world["sha256"][1]}&amp;tree_size=4"' in page


def test_verify_says_nothing_of_the_log_for_a_file_it_does_not_know(client, log_world):
    page = client.get(f"/verify?sha256={'0' * 64}", headers=ENGLISH).get_data(as_text=True)
    assert 'id="verify-log-entry"' not in page
