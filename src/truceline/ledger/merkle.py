"""The RFC 6962 / RFC 9162 Merkle tree: hashes, roots, proofs, and node addressing.

Pure functions, no I/O. Three layers:

* the hashing scheme (`leaf_hash`, `node_hash`, `EMPTY_ROOT`) and reference
  generation from in-memory leaf hashes (`root`, `inclusion_proof`,
  `consistency_proof`), written straight from RFC 9162 §2.1;
* node addressing for a store that keeps only perfect subtrees (tlog-tiles):
  `inclusion_nodes` / `consistency_nodes` say which `(level, index)` nodes to
  fetch and which "ephemeral" node (a non-perfect subtree on the right border)
  must be rehashed from them; `ProofNodes.rehash` turns the fetched hashes into
  the proof. This is the scheme of transparency-dev/merkle `proof.Nodes`;
* `CompactRange`, the right border of the tree, so an appender extends the root
  in O(log n) memory and learns every new perfect node it must store;
* verifiers (`verify_inclusion`, `verify_consistency`) that raise `ProofError`
  with the semantics of the transparency-dev/merkle test vectors.

A node id `(level, index)` names the perfect subtree covering leaves
`[index << level, (index + 1) << level)`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from truceline.errors import TrucelineError

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

NodeID = tuple[int, int]
"""(level, index) of a perfect subtree."""


class ProofError(TrucelineError, ValueError):
    """A proof, or the hashes and sizes it is checked against, is not valid."""


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two strictly smaller than n (n >= 2): RFC 9162's k."""
    return 1 << ((n - 1).bit_length() - 1)


def _subtree_root(hashes: Sequence[bytes], lo: int, hi: int) -> bytes:
    if hi - lo == 1:
        return hashes[lo]
    k = _split(hi - lo)
    return node_hash(_subtree_root(hashes, lo, lo + k), _subtree_root(hashes, lo + k, hi))


def root(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH(D[n]) of RFC 9162 §2.1.1, from the leaf hashes."""
    if not leaf_hashes:
        return EMPTY_ROOT
    return _subtree_root(leaf_hashes, 0, len(leaf_hashes))


def _path(m: int, lo: int, hi: int, hashes: Sequence[bytes]) -> list[bytes]:
    if hi - lo == 1:
        return []
    k = _split(hi - lo)
    if m < k:
        return _path(m, lo, lo + k, hashes) + [_subtree_root(hashes, lo + k, hi)]
    return _path(m - k, lo + k, hi, hashes) + [_subtree_root(hashes, lo, lo + k)]


def inclusion_proof(index: int, size: int, leaf_hashes: Sequence[bytes]) -> list[bytes]:
    """PATH(index, D[size]) of RFC 9162 §2.1.3.1, from the first `size` leaf hashes."""
    if not 0 <= index < size <= len(leaf_hashes):
        raise ValueError(
            f"index {index} out of range for tree size {size} ({len(leaf_hashes)} leaves)"
        )
    return _path(index, 0, size, leaf_hashes)


def _subproof(m: int, lo: int, hi: int, hashes: Sequence[bytes], whole: bool) -> list[bytes]:
    n = hi - lo
    if m == n:
        return [] if whole else [_subtree_root(hashes, lo, hi)]
    k = _split(n)
    if m <= k:
        return _subproof(m, lo, lo + k, hashes, whole) + [_subtree_root(hashes, lo + k, hi)]
    return _subproof(m - k, lo + k, hi, hashes, False) + [_subtree_root(hashes, lo, lo + k)]


def consistency_proof(size1: int, size2: int, leaf_hashes: Sequence[bytes]) -> list[bytes]:
    """PROOF(size1, D[size2]) of RFC 9162 §2.1.4.1; empty when size1 is 0 or equals size2."""
    if not 0 <= size1 <= size2 <= len(leaf_hashes):
        raise ValueError(f"sizes {size1}, {size2} out of range ({len(leaf_hashes)} leaves)")
    if size1 == 0 or size1 == size2:
        return []
    return _subproof(size1, 0, size2, leaf_hashes, True)


# --- Node addressing -------------------------------------------------------


def decompose(begin: int, end: int) -> tuple[int, int]:
    """Bit masks of the levels of the left and right parts of the compact range [begin, end).

    The left part is the perfect subtrees growing from `begin` (smallest first),
    the right part those shrinking towards `end` (largest first).
    """
    if not 0 <= begin <= end:
        raise ValueError(f"invalid range [{begin}, {end})")
    if begin == 0:
        return 0, end
    xbegin = begin - 1
    # Paths to leaves begin-1 and end diverge at level d; only nodes below it are in the range.
    d = (xbegin ^ end).bit_length() - 1
    mask = (1 << d) - 1
    return ~xbegin & mask, end & mask


def range_nodes(begin: int, end: int) -> list[NodeID]:
    """The perfect subtrees that exactly cover [begin, end), left to right."""
    left, right = decompose(begin, end)
    nodes: list[NodeID] = []
    pos = begin
    for level in range(left.bit_length()):
        if left >> level & 1:
            nodes.append((level, pos >> level))
            pos += 1 << level
    for level in reversed(range(right.bit_length())):
        if right >> level & 1:
            nodes.append((level, pos >> level))
            pos += 1 << level
    return nodes


@dataclass(frozen=True)
class ProofNodes:
    """The stored nodes a proof is built from, in proof order.

    `ids[begin:end]` (when non-empty) cover the ephemeral node `ephemeral`, the
    one node of the proof that is not a perfect subtree; its hash is folded
    right-to-left from theirs. The ids there are stored rightmost first so the
    fold runs in list order.
    """

    ids: tuple[NodeID, ...]
    begin: int = 0
    end: int = 0
    ephemeral: NodeID | None = None

    def rehash(self, hashes: Sequence[bytes]) -> list[bytes]:
        """The proof, from the hashes of `ids` (same order)."""
        if len(hashes) != len(self.ids):
            raise ValueError(f"got {len(hashes)} hashes for {len(self.ids)} node ids")
        if self.begin >= self.end:
            return list(hashes)
        acc = hashes[self.begin]
        for h in hashes[self.begin + 1 : self.end]:
            acc = node_hash(h, acc)
        proof = [*hashes[: self.begin], acc, *hashes[self.end :]]
        return proof

    def _skip_first(self) -> ProofNodes:
        if self.begin < self.end:
            return ProofNodes(self.ids[1:], self.begin - 1, self.end - 1, self.ephemeral)
        return ProofNodes(self.ids[1:])


def _nodes(index: int, level: int, size: int) -> ProofNodes:
    """Nodes proving (level, index) is in the tree of `size`, starting with the node itself."""
    # The fork is where the path from the root to our node leaves the path to
    # leaf `size` (one past the end). Below it siblings are perfect; the fork's
    # sibling is the ephemeral node; above it every sibling is a perfect left one.
    inner = (index ^ (size >> level)).bit_length() - 1
    fork_level, fork_index = level + inner, index >> inner
    begin, end = fork_index << fork_level, (fork_index + 1) << fork_level

    ids: list[NodeID] = [(level, index)]
    for lvl in range(level, fork_level):
        ids.append((lvl, (index >> (lvl - level)) ^ 1))
    right = range_nodes(end, size) if end < size else []
    right_start = len(ids)
    ids.extend(reversed(right))
    ids.extend(reversed(range_nodes(0, begin)))
    if len(right) > 1:
        return ProofNodes(
            tuple(ids), right_start, right_start + len(right), (fork_level, fork_index ^ 1)
        )
    return ProofNodes(tuple(ids))


def inclusion_nodes(index: int, size: int) -> ProofNodes:
    """Which stored nodes make the inclusion proof of leaf `index` in a tree of `size`."""
    if not 0 <= index < size:
        raise ValueError(f"index {index} out of range for tree size {size}")
    return _nodes(index, 0, size)._skip_first()


def consistency_nodes(size1: int, size2: int) -> ProofNodes:
    """Which stored nodes make the consistency proof from `size1` to `size2`."""
    if not 0 <= size1 <= size2:
        raise ValueError(f"invalid sizes {size1} > {size2}")
    if size1 == 0 or size1 == size2:
        return ProofNodes(())
    # The largest perfect subtree ending at size1; its inclusion path in size2 is the proof.
    level = (size1 & -size1).bit_length() - 1
    index = (size1 - 1) >> level
    nodes = _nodes(index, level, size2)
    # When size1 is a power of two that subtree is the old root, which the verifier already has.
    return nodes._skip_first() if index == 0 else nodes


# --- Compact range ---------------------------------------------------------

NodeVisitor = Callable[[int, int, bytes], None]
"""Called as visit(level, index, hash) for every perfect node an append completes."""


class CompactRange:
    """The right border of a tree [0, size): one hash per set bit of size, largest first."""

    def __init__(self, size: int = 0, hashes: Sequence[bytes] = ()) -> None:
        ids = range_nodes(0, size)
        if len(hashes) != len(ids):
            raise ValueError(f"a range of size {size} needs {len(ids)} hashes, got {len(hashes)}")
        for h in hashes:
            _check_hash("compact range hash", h)
        self.size = size
        self.hashes: list[bytes] = list(hashes)

    @staticmethod
    def node_ids(size: int) -> list[NodeID]:
        """The nodes whose hashes restore a range of `size` (see `CompactRange(size, hashes)`)."""
        return range_nodes(0, size)

    def append(self, leaf_hash: bytes, visit: NodeVisitor | None = None) -> None:
        """Add one leaf hash; `visit` sees the leaf and every parent it completes."""
        h = leaf_hash
        index, level = self.size, 0
        if visit:
            visit(0, index, h)
        while index & 1:
            h = node_hash(self.hashes.pop(), h)
            index >>= 1
            level += 1
            if visit:
                visit(level, index, h)
        self.hashes.append(h)
        self.size += 1

    def extend(self, leaf_hashes: Sequence[bytes], visit: NodeVisitor | None = None) -> None:
        for h in leaf_hashes:
            self.append(h, visit)

    def root(self) -> bytes:
        return root_from_range(self.hashes)

    def copy(self) -> CompactRange:
        return CompactRange(self.size, self.hashes)


def root_from_range(hashes: Sequence[bytes]) -> bytes:
    """The root of [0, n) from its compact range (`range_nodes(0, n)` hashes, left to right)."""
    if not hashes:
        return EMPTY_ROOT
    acc = hashes[-1]
    for h in reversed(hashes[:-1]):
        acc = node_hash(h, acc)
    return acc


# --- Verification (RFC 9162 §2.1.3.2 and §2.1.4.2) ------------------------


def _check_hash(what: str, h: bytes) -> None:
    if len(h) != HASH_SIZE:
        raise ProofError(f"{what}: want {HASH_SIZE} bytes, got {len(h)}")


def _check_no_proof_needed(case: str, root1: bytes, root2: bytes, proof: Sequence[bytes]) -> None:
    """When both trees are the same tree, the proof must be empty and the roots equal."""
    if proof:
        raise ProofError(f"{case} but the proof has {len(proof)} hashes")
    if root1 != root2:
        raise ProofError(f"{case} but the roots differ")


def _check_proof_hashes(
    root1: bytes, root2: bytes, proof: Sequence[bytes], empty_message: str
) -> None:
    """Both roots and every proof hash are 32 bytes, and a non-trivial proof is not empty."""
    _check_hash("root1", root1)
    _check_hash("root2", root2)
    for i, p in enumerate(proof):
        _check_hash(f"proof[{i}]", p)
    if not proof:
        raise ProofError(empty_message)


def root_from_inclusion_proof(
    index: int, size: int, leaf_hash: bytes, proof: Sequence[bytes]
) -> bytes:
    """The root implied by an inclusion proof; raises ProofError if it cannot be computed."""
    if not 0 <= index < size:
        raise ProofError(f"index {index} out of range for tree size {size}")
    _check_hash("leaf hash", leaf_hash)
    for i, p in enumerate(proof):
        _check_hash(f"proof[{i}]", p)
    fn, sn, r = index, size - 1, leaf_hash
    for p in proof:
        if sn == 0:
            raise ProofError(f"inclusion proof too long: {len(proof)} hashes")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError(f"inclusion proof too short: {len(proof)} hashes")
    return r


def verify_inclusion(
    index: int, size: int, leaf_hash: bytes, proof: Sequence[bytes], root: bytes
) -> None:
    """Raise ProofError unless `proof` shows leaf `index` with `leaf_hash` is in the tree `root`."""
    _check_hash("root", root)
    got = root_from_inclusion_proof(index, size, leaf_hash, proof)
    if got != root:
        raise ProofError(f"inclusion proof gives root {got.hex()}, want {root.hex()}")


def verify_consistency(
    size1: int, size2: int, root1: bytes, root2: bytes, proof: Sequence[bytes]
) -> None:
    """Raise ProofError unless `proof` shows the tree (size1, root1) is a prefix of (size2, root2).

    size1 == 0 is an error here, even when size2 == 0: an empty tree is trivially
    consistent with everything, so a caller that wants that (tlog-witness `old 0`)
    must say so before asking for a proof check.
    """
    if size1 <= 0:
        raise ProofError(f"size1 is {size1}: consistency with an empty tree needs no proof")
    if size1 > size2:
        raise ProofError(f"size1 {size1} > size2 {size2}")
    if size1 == size2:
        _check_no_proof_needed("sizes are equal", root1, root2, proof)
        return
    # Lengths are checked only now: for equal sizes the vectors compare roots as opaque bytes.
    _check_proof_hashes(root1, root2, proof, "empty consistency proof for different sizes")
    path = list(proof)
    if size1 & (size1 - 1) == 0:
        path.insert(0, root1)
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError(f"consistency proof too long: {len(proof)} hashes")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError(f"consistency proof too short: {len(proof)} hashes")
    if fr != root1:
        raise ProofError(f"consistency proof gives old root {fr.hex()}, want {root1.hex()}")
    if sr != root2:
        raise ProofError(f"consistency proof gives new root {sr.hex()}, want {root2.hex()}")


# --- Subtrees (draft-ietf-plants-merkle-tree-certs) -------------------------
#
# A subtree [start, end) is valid when start is a multiple of bit_ceil(end - start):
# it is then the left part of one perfect node, and its hash MTH(D[start:end]) is
# what an ML-DSA-44 subtree cosignature signs.


def _bit_ceil(n: int) -> int:
    return 1 << (n - 1).bit_length() if n > 1 else 1


def is_valid_subtree(start: int, end: int) -> bool:
    return 0 <= start <= end and (start == end or start % _bit_ceil(end - start) == 0)


def _check_subtree(start: int, end: int, size: int | None = None) -> None:
    if not is_valid_subtree(start, end):
        raise ProofError(f"[{start}, {end}) is not a valid subtree")
    if size is not None and end > size:
        raise ProofError(f"subtree [{start}, {end}) is beyond tree size {size}")


def subtree_root(leaf_hashes: Sequence[bytes], start: int, end: int) -> bytes:
    _check_subtree(start, end, len(leaf_hashes))
    return root(leaf_hashes[start:end])


def subtree_inclusion_proof(
    index: int, start: int, end: int, leaf_hashes: Sequence[bytes]
) -> list[bytes]:
    """Inclusion of leaf `index` in subtree [start, end): PATH within D[start:end]."""
    _check_subtree(start, end, len(leaf_hashes))
    if not start <= index < end:
        raise ValueError(f"index {index} not in subtree [{start}, {end})")
    return inclusion_proof(index - start, end - start, leaf_hashes[start:end])


def verify_subtree_inclusion(
    index: int, start: int, end: int, leaf_hash: bytes, proof: Sequence[bytes], root: bytes
) -> None:
    _check_subtree(start, end)
    if not start <= index < end:
        raise ProofError(f"index {index} not in subtree [{start}, {end})")
    verify_inclusion(index - start, end - start, leaf_hash, proof, root)


def _subtree_subproof(
    start: int, end: int, lo: int, hi: int, hashes: Sequence[bytes], known: bool
) -> list[bytes]:
    n = hi - lo
    if start == 0 and end == n:
        return [] if known else [_subtree_root(hashes, lo, hi)]
    k = _split(n)
    if end <= k:
        return _subtree_subproof(start, end, lo, lo + k, hashes, known) + [
            _subtree_root(hashes, lo + k, hi)
        ]
    if start >= k:
        return _subtree_subproof(start - k, end - k, lo + k, hi, hashes, known) + [
            _subtree_root(hashes, lo, lo + k)
        ]
    # start < k < end: a valid subtree straddles k only if it starts at 0.
    return _subtree_subproof(0, end - k, lo + k, hi, hashes, False) + [
        _subtree_root(hashes, lo, lo + k)
    ]


def subtree_consistency_proof(
    start: int, end: int, size: int, leaf_hashes: Sequence[bytes]
) -> list[bytes]:
    """Proof that subtree [start, end) is part of the tree of `size` (empty for an empty subtree)."""
    _check_subtree(start, end, size)
    if size > len(leaf_hashes):
        raise ValueError(f"tree size {size} > {len(leaf_hashes)} leaves")
    if start == end:
        return []
    return _subtree_subproof(start, end, 0, size, leaf_hashes, True)


def verify_subtree_consistency(
    start: int, end: int, size: int, root1: bytes, root2: bytes, proof: Sequence[bytes]
) -> None:
    """Raise ProofError unless `proof` shows subtree [start, end) with hash root1 is in (size, root2).

    Mirrors the transparency-dev/merkle vectors: an empty subtree needs an empty
    proof and root1 = SHA-256(""), whatever root2 is; the whole tree needs an
    empty proof and equal roots, compared as opaque bytes.
    """
    _check_subtree(start, end, size)
    if start == end:
        if proof:
            raise ProofError("an empty subtree needs an empty proof")
        if root1 != EMPTY_ROOT:
            raise ProofError('an empty subtree\'s hash must be SHA-256("")')
        return
    if start == 0 and end == size:
        _check_no_proof_needed("subtree is the whole tree", root1, root2, proof)
        return
    _check_proof_hashes(root1, root2, proof, "empty subtree consistency proof")
    # Walk the generation recursion top-down; it appended the top sibling last.
    remaining = list(proof)

    def walk(start: int, end: int, n: int, known: bool) -> tuple[bytes, bytes]:
        """(implied subtree hash, implied hash of this n-leaf tree)."""
        if start == 0 and end == n:
            if known:
                return root1, root1
            if not remaining:
                raise ProofError(f"subtree consistency proof too short: {len(proof)} hashes")
            h = remaining.pop()
            return h, h
        if not remaining:
            raise ProofError(f"subtree consistency proof too short: {len(proof)} hashes")
        sibling = remaining.pop()
        k = _split(n)
        if end <= k:
            s, t = walk(start, end, k, known)
            return s, node_hash(t, sibling)
        if start >= k:
            s, t = walk(start - k, end - k, n - k, known)
            return s, node_hash(sibling, t)
        s, t = walk(0, end - k, n - k, False)
        return node_hash(sibling, s), node_hash(sibling, t)

    sub, tree = walk(start, end, size, True)
    if remaining:
        raise ProofError(f"subtree consistency proof too long: {len(proof)} hashes")
    if sub != root1:
        raise ProofError(f"proof gives subtree hash {sub.hex()}, want {root1.hex()}")
    if tree != root2:
        raise ProofError(f"proof gives tree root {tree.hex()}, want {root2.hex()}")
