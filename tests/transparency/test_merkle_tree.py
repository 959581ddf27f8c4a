"""The log's tree hashing and proofs agree with RFC 9162 §2.1 written out literally (lists sliced
as the RFC's D[k1:k2]), for every tree of 1 to 40 leaves and every pair of sizes."""

import hashlib

import pytest

from portal.transparency import merkle

SIZES = range(1, 41)
LEAVES = [f"leaf {i}".encode() for i in range(max(SIZES))]


def mth(d: list[bytes]) -> bytes:
    n = len(d)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return hashlib.sha256(b"\x00" + d[0]).digest()
    k = 1
    while k * 2 < n:
        k *= 2
    return hashlib.sha256(b"\x01" + mth(d[:k]) + mth(d[k:])).digest()


def path(m: int, d: list[bytes]) -> list[bytes]:
    n = len(d)
    if n == 1:
        return []
    k = 1
    while k * 2 < n:
        k *= 2
    if m < k:
        return path(m, d[:k]) + [mth(d[k:])]
    return path(m - k, d[k:]) + [mth(d[:k])]


def subproof(m: int, d: list[bytes], b: bool) -> list[bytes]:
    n = len(d)
    if m == n:
        return [] if b else [mth(d)]
    k = 1
    while k * 2 < n:
        k *= 2
    if m <= k:
        return subproof(m, d[:k], b) + [mth(d[k:])]
    return subproof(m - k, d[k:], False) + [mth(d[:k])]


def tree_reader(leaves: list[bytes]):
    return lambda start, end: mth(leaves[start:end])


def perfect_reader(leaves: list[bytes]):
    """Complete subtrees only, as the database stores them: anything else is a bug."""

    def perfect(level, position):
        return mth(leaves[position << level : (position + 1) << level])

    return lambda start, end: merkle.range_hash(start, end, perfect)


@pytest.mark.parametrize("n", SIZES)
def test_root_and_every_inclusion_proof_match_the_rfc(n):
    d = LEAVES[:n]
    root = mth(d)
    assert merkle.root_of_hashes([merkle.leaf_hash(x) for x in d]) == root
    assert perfect_reader(d)(0, n) == root
    for m in range(n):
        proof = merkle.inclusion_proof(m, n, perfect_reader(d))
        assert proof == path(m, d)
        assert merkle.verify_inclusion(m, n, merkle.leaf_hash(d[m]), proof, root)
        assert not merkle.verify_inclusion(m, n, merkle.leaf_hash(b"forged"), proof, root)
        if proof:
            assert not merkle.verify_inclusion(m, n, merkle.leaf_hash(d[m]), proof[:-1], root)
            assert not merkle.verify_inclusion(m, n, merkle.leaf_hash(d[m]), [*proof, proof[0]], root)
        if n > 1:
            assert not merkle.verify_inclusion((m + 1) % n, n, merkle.leaf_hash(d[m]), proof, root)


@pytest.mark.parametrize("n", SIZES)
def test_every_consistency_proof_matches_the_rfc_and_verifies(n):
    d = LEAVES[:n]
    for m in range(0, n + 1):
        proof = merkle.consistency_proof(m, n, perfect_reader(d))
        assert proof == ([] if m in (0, n) else subproof(m, d, True))
        assert merkle.verify_consistency(m, n, mth(d[:m]), mth(d), proof)
        if 0 < m < n:
            assert not merkle.verify_consistency(m, n, mth(d[:m]), mth(LEAVES[1 : n + 1]), proof)
            assert not merkle.verify_consistency(m, n, mth([b"other", *d[1:m]]), mth(d), proof)
            assert not merkle.verify_consistency(m, n, mth(d[:m]), mth(d), proof[:-1])


def test_a_tree_rewritten_before_the_checkpoint_is_not_consistent_with_it():
    d = LEAVES[:20]
    rewritten = [LEAVES[1], LEAVES[0], *LEAVES[2:25]]
    proof = merkle.consistency_proof(7, 25, tree_reader(rewritten))
    assert not merkle.verify_consistency(7, 25, mth(d[:7]), mth(rewritten), proof)


def test_proofs_outside_the_tree_are_refused():
    with pytest.raises(ValueError):
        merkle.inclusion_proof(5, 5, tree_reader(LEAVES[:5]))
    with pytest.raises(ValueError):
        merkle.consistency_proof(6, 5, tree_reader(LEAVES[:5]))
    assert not merkle.verify_inclusion(5, 5, b"x" * 32, [], b"x" * 32)
    assert not merkle.verify_consistency(6, 5, b"x" * 32, b"x" * 32, [])
