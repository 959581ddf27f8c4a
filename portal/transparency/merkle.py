"""RFC 9162 §2.1 Merkle tree hashing, inclusion and consistency proofs — plain functions with no
database, no Flask: the offline verifier (portal.verify_record) uses them as they are.

A tree is read through `subtree(start, end) -> bytes`, the hash of leaves [start, end). Every
range the algorithms ask for is either a complete, aligned subtree (stored once, see
transparency.models.LogNode) or the right edge of the tree, which splits into O(log n) of them.
"""

import hashlib
from collections.abc import Callable

LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
EMPTY_ROOT = hashlib.sha256(b"").digest()

Subtree = Callable[[int, int], bytes]


def leaf_hash(leaf: bytes) -> bytes:
    return hashlib.sha256(LEAF_PREFIX + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def split_point(n: int) -> int:
    """The largest power of two smaller than n (n > 1), RFC 9162 §2.1.1's k."""
    return 1 << ((n - 1).bit_length() - 1)


def root_of_hashes(hashes: list[bytes]) -> bytes:
    """MTH over leaf hashes, straight from the definition (for checks and small trees)."""
    if not hashes:
        return EMPTY_ROOT
    if len(hashes) == 1:
        return hashes[0]
    k = split_point(len(hashes))
    return node_hash(root_of_hashes(hashes[:k]), root_of_hashes(hashes[k:]))


def perfect_subtrees(start: int, end: int) -> list[tuple[int, int]]:
    """The complete aligned subtrees (level, index) that make up [start, end) as the tree splits
    it, left to right; [start, end) must itself be a range the recursion visits."""
    n = end - start
    if n <= 0:
        return []
    if n & (n - 1) == 0 and start % n == 0:
        return [(n.bit_length() - 1, start // n)]
    k = split_point(n)
    return perfect_subtrees(start, start + k) + perfect_subtrees(start + k, end)


def range_hash(start: int, end: int, perfect: Callable[[int, int], bytes]) -> bytes:
    """MTH(D[start:end]) from the hashes of complete subtrees `perfect(level, index)`."""
    n = end - start
    if n & (n - 1) == 0 and start % n == 0:
        return perfect(n.bit_length() - 1, start // n)
    k = split_point(n)
    return node_hash(range_hash(start, start + k, perfect), range_hash(start + k, end, perfect))


def inclusion_proof(index: int, size: int, subtree: Subtree) -> list[bytes]:
    """PATH(index, D[0:size]), RFC 9162 §2.1.3.1."""
    if not 0 <= index < size:
        raise ValueError("index outside the tree")
    return _path(index, 0, size, subtree)


def _path(m: int, start: int, end: int, subtree: Subtree) -> list[bytes]:
    n = end - start
    if n == 1:
        return []
    k = split_point(n)
    if m < k:
        return _path(m, start, start + k, subtree) + [subtree(start + k, end)]
    return _path(m - k, start + k, end, subtree) + [subtree(start, start + k)]


def consistency_proof(first: int, second: int, subtree: Subtree) -> list[bytes]:
    """PROOF(first, D[0:second]), RFC 9162 §2.1.4.1 (empty when first is 0 or first == second)."""
    if not 0 <= first <= second:
        raise ValueError("first must be between 0 and second")
    if first == 0 or first == second:
        return []
    return _subproof(first, 0, second, True, subtree)


def _subproof(m: int, start: int, end: int, complete: bool, subtree: Subtree) -> list[bytes]:
    n = end - start
    if m == n:
        return [] if complete else [subtree(start, end)]
    k = split_point(n)
    if m <= k:
        return _subproof(m, start, start + k, complete, subtree) + [subtree(start + k, end)]
    return _subproof(m - k, start + k, end, False, subtree) + [subtree(start, start + k)]


def root_from_inclusion(index: int, size: int, leaf_digest: bytes, proof: list[bytes]) -> bytes:
    """The root an inclusion proof leads to, RFC 9162 §2.1.3.2. Raises ValueError if the proof
    has the wrong length for (index, size)."""
    if not 0 <= index < size:
        raise ValueError("index outside the tree")
    fn, sn, r = index, size - 1, leaf_digest
    for p in proof:
        if sn == 0:
            raise ValueError("inclusion proof too long")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while True:
                    fn >>= 1
                    sn >>= 1
                    if fn & 1 or fn == 0:
                        break
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ValueError("inclusion proof too short")
    return r


def verify_inclusion(index: int, size: int, leaf_digest: bytes, proof: list[bytes], root: bytes) -> bool:
    try:
        return root_from_inclusion(index, size, leaf_digest, proof) == root
    except ValueError:
        return False


def verify_consistency(first: int, second: int, first_root: bytes, second_root: bytes, proof: list[bytes]) -> bool:
    """RFC 9162 §2.1.4.2."""
    if not 0 <= first <= second:
        return False
    if first == second:
        return not proof and first_root == second_root
    if first == 0:
        return not proof  # the empty tree is a prefix of every tree
    if not proof:
        return False
    if first & (first - 1) == 0:  # a power of two: first_root is the first node of the path
        proof = [first_root, *proof]
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while True:
                    fn >>= 1
                    sn >>= 1
                    if fn & 1 or fn == 0:
                        break
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == first_root and sr == second_root
