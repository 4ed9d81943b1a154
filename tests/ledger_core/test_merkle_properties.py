"""Property tests: generated proofs verify, tampering breaks them, node addressing agrees."""

from __future__ import annotations

import functools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from truceline.ledger import merkle
from truceline.ledger.merkle import ProofError

MAX = 300


@functools.cache
def _leaves() -> tuple[bytes, ...]:
    return tuple(merkle.leaf_hash(i.to_bytes(4, "big")) for i in range(MAX))


@functools.cache
def _node(level: int, index: int) -> bytes:
    return merkle.root(_leaves()[index << level : (index + 1) << level])


def _flip(b: bytes, pos: int, bit: int) -> bytes:
    out = bytearray(b)
    out[pos % len(b)] ^= 1 << bit
    return bytes(out)


sizes = st.integers(1, MAX)


@given(st.data())
def test_inclusion_roundtrip_and_tamper(data: st.DataObject) -> None:
    leaves = _leaves()
    size = data.draw(sizes)
    index = data.draw(st.integers(0, size - 1))
    root = merkle.root(leaves[:size])
    proof = merkle.inclusion_proof(index, size, leaves)
    merkle.verify_inclusion(index, size, leaves[index], proof, root)
    assert merkle.root_from_inclusion_proof(index, size, leaves[index], proof) == root
    pos, bit = data.draw(st.integers(0, 31)), data.draw(st.integers(0, 7))
    with pytest.raises(ProofError):
        merkle.verify_inclusion(index, size, _flip(leaves[index], pos, bit), proof, root)
    with pytest.raises(ProofError):
        merkle.verify_inclusion(index, size, leaves[index], proof, _flip(root, pos, bit))
    if proof:
        i = data.draw(st.integers(0, len(proof) - 1))
        bad = [*proof[:i], _flip(proof[i], pos, bit), *proof[i + 1 :]]
        with pytest.raises(ProofError):
            merkle.verify_inclusion(index, size, leaves[index], bad, root)
        with pytest.raises(ProofError):
            merkle.verify_inclusion(index, size, leaves[index], proof[:-1], root)
    with pytest.raises(ProofError):
        merkle.verify_inclusion(index, size, leaves[index], [*proof, root], root)
    other = data.draw(st.integers(0, size - 1))
    if other != index:
        with pytest.raises(ProofError):
            merkle.verify_inclusion(other, size, leaves[index], proof, root)


@given(st.data())
def test_consistency_roundtrip_and_tamper(data: st.DataObject) -> None:
    leaves = _leaves()
    size2 = data.draw(sizes)
    size1 = data.draw(st.integers(1, size2))
    root1, root2 = merkle.root(leaves[:size1]), merkle.root(leaves[:size2])
    proof = merkle.consistency_proof(size1, size2, leaves)
    merkle.verify_consistency(size1, size2, root1, root2, proof)
    pos, bit = data.draw(st.integers(0, 31)), data.draw(st.integers(0, 7))
    with pytest.raises(ProofError):
        merkle.verify_consistency(size1, size2, _flip(root1, pos, bit), root2, proof)
    with pytest.raises(ProofError):
        merkle.verify_consistency(size1, size2, root1, _flip(root2, pos, bit), proof)
    if proof:
        i = data.draw(st.integers(0, len(proof) - 1))
        bad = [*proof[:i], _flip(proof[i], pos, bit), *proof[i + 1 :]]
        with pytest.raises(ProofError):
            merkle.verify_consistency(size1, size2, root1, root2, bad)
        with pytest.raises(ProofError):
            merkle.verify_consistency(size1, size2, root1, root2, proof[:-1])
    with pytest.raises(ProofError):
        merkle.verify_consistency(size1, size2, root1, root2, [*proof, root1])


@given(sizes, st.data())
def test_node_addressed_proofs_equal_reference(size: int, data: st.DataObject) -> None:
    leaves = _leaves()
    index = data.draw(st.integers(0, size - 1))
    nodes = merkle.inclusion_nodes(index, size)
    for level, i in nodes.ids:
        assert (i + 1) << level <= size, "only perfect subtrees inside the tree are fetched"
    assert nodes.rehash([_node(*n) for n in nodes.ids]) == merkle.inclusion_proof(
        index, size, leaves
    )
    size1 = data.draw(st.integers(0, size))
    cnodes = merkle.consistency_nodes(size1, size)
    for level, i in cnodes.ids:
        assert (i + 1) << level <= size
    want = merkle.consistency_proof(size1, size, leaves)
    assert cnodes.rehash([_node(*n) for n in cnodes.ids]) == want
    if cnodes.ephemeral is not None:
        level, i = cnodes.ephemeral
        assert (i + 1) << level > size, "the ephemeral node is the non-perfect right border"


@settings(max_examples=50)
@given(st.integers(0, 2000))
def test_compact_range_equals_root(size: int) -> None:
    leaves = [merkle.leaf_hash(i.to_bytes(4, "big")) for i in range(size)]
    cr = merkle.CompactRange()
    seen: dict[tuple[int, int], bytes] = {}
    cr.extend(leaves, lambda lvl, i, h: seen.__setitem__((lvl, i), h))
    assert cr.root() == merkle.root(leaves)
    assert cr.size == size
    # Restoring from the border and appending more gives the same result.
    ids = merkle.CompactRange.node_ids(size)
    restored = merkle.CompactRange(size, [seen[n] for n in ids])
    restored.append(merkle.leaf_hash(b"next"))
    assert restored.root() == merkle.root([*leaves, merkle.leaf_hash(b"next")])
    # The visitor reported every perfect node exactly as merkle.root computes it.
    for (lvl, i), h in list(seen.items())[:: max(1, len(seen) // 20)]:
        assert h == merkle.root(leaves[i << lvl : (i + 1) << lvl])


@given(st.integers(0, 2**64), st.integers(0, 2**20))
def test_range_nodes_cover_range(begin: int, width: int) -> None:
    end = begin + width
    pos = begin
    for level, index in merkle.range_nodes(begin, end):
        assert index << level == pos
        pos += 1 << level
    assert pos == end


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="out of range"):
        merkle.inclusion_nodes(5, 5)
    with pytest.raises(ValueError, match="invalid sizes"):
        merkle.consistency_nodes(6, 5)
    with pytest.raises(ValueError, match="needs 2 hashes"):
        merkle.CompactRange(3, [merkle.EMPTY_ROOT])
    with pytest.raises(ValueError, match="got 1 hashes"):
        merkle.inclusion_nodes(0, 4).rehash([merkle.EMPTY_ROOT])
    with pytest.raises(ProofError, match="root: want 32 bytes"):
        merkle.verify_inclusion(0, 1, merkle.EMPTY_ROOT, [], b"short")


@given(st.data())
def test_subtree_proofs_roundtrip_and_tamper(data: st.DataObject) -> None:
    leaves = _leaves()
    size = data.draw(st.integers(1, MAX))
    width = data.draw(st.integers(1, size))
    start = data.draw(st.integers(0, (size - width) // merkle._bit_ceil(width))) * merkle._bit_ceil(
        width
    )
    end = start + width
    assert merkle.is_valid_subtree(start, end)
    sub, tree = merkle.subtree_root(leaves, start, end), merkle.root(leaves[:size])
    proof = merkle.subtree_consistency_proof(start, end, size, leaves)
    merkle.verify_subtree_consistency(start, end, size, sub, tree, proof)
    index = data.draw(st.integers(start, end - 1))
    merkle.verify_subtree_inclusion(
        index,
        start,
        end,
        leaves[index],
        merkle.subtree_inclusion_proof(index, start, end, leaves),
        sub,
    )
    pos, bit = data.draw(st.integers(0, 31)), data.draw(st.integers(0, 7))
    with pytest.raises(ProofError):
        merkle.verify_subtree_consistency(start, end, size, _flip(sub, pos, bit), tree, proof)
    with pytest.raises(ProofError):
        merkle.verify_subtree_consistency(start, end, size, sub, _flip(tree, pos, bit), proof)
    if proof:
        i = data.draw(st.integers(0, len(proof) - 1))
        bad = [*proof[:i], _flip(proof[i], pos, bit), *proof[i + 1 :]]
        with pytest.raises(ProofError):
            merkle.verify_subtree_consistency(start, end, size, sub, tree, bad)
