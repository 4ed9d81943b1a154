"""transparency-dev/merkle and RFC 6962 reference vectors through merkle.py."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import pytest

from truceline.ledger import merkle
from truceline.ledger.merkle import ProofError

from ._paths import VECTORS

MERKLE = VECTORS / "transparency-dev-merkle"


def _cases(kind: str) -> list[Path]:
    return sorted((MERKLE / "testdata" / kind).rglob("*.json"))


def _b64(v: str | None) -> bytes:
    return base64.b64decode(v) if v else b""


def _proof(v: list[str] | None) -> list[bytes]:
    return [base64.b64decode(p) for p in v or []]


def _id(p: Path) -> str:
    return str(p.relative_to(MERKLE / "testdata"))


@pytest.fixture(scope="module")
def reference(vectors: Path) -> dict:
    return json.loads(
        (vectors / "transparency-dev-merkle" / "rfc6962_reference_tree.json").read_text()
    )


def test_vector_counts() -> None:
    # SOURCES.md: 196 inclusion + consistency probes; none may silently disappear.
    assert len(_cases("inclusion")) + len(_cases("consistency")) == 196
    assert (len(_cases("subtreeinclusion")), len(_cases("subtreeconsistency"))) == (204, 118)


@pytest.mark.parametrize("path", _cases("inclusion"), ids=_id)
def test_inclusion_vector(path: Path) -> None:
    c = json.loads(path.read_text())
    args = (c["leafIdx"], c["treeSize"], _b64(c["leafHash"]), _proof(c["proof"]), _b64(c["root"]))
    if c["wantErr"]:
        with pytest.raises(ProofError):
            merkle.verify_inclusion(*args)
    else:
        merkle.verify_inclusion(*args)


@pytest.mark.parametrize("path", _cases("consistency"), ids=_id)
def test_consistency_vector(path: Path) -> None:
    c = json.loads(path.read_text())
    args = (c["size1"], c["size2"], _b64(c["root1"]), _b64(c["root2"]), _proof(c["proof"]))
    if c["wantErr"]:
        with pytest.raises(ProofError):
            merkle.verify_consistency(*args)
    else:
        merkle.verify_consistency(*args)


def test_hasher(reference: dict) -> None:
    h = reference["hasher"]
    assert merkle.EMPTY_ROOT.hex() == h["empty_root"]
    assert merkle.leaf_hash(b"").hex() == h["leaf_hash_of_empty"]
    assert merkle.leaf_hash(b"L123456").hex() == h["leaf_hash_of_ascii_L123456"]
    assert merkle.node_hash(b"N123", b"N456").hex() == h["node_hash_of_ascii_N123_N456"]


def test_reference_tree(reference: dict) -> None:
    leaves = [merkle.leaf_hash(bytes.fromhex(x)) for x in reference["leaf_inputs_hex"]]
    levels = [[bytes.fromhex(x) for x in lvl] for lvl in reference["node_hashes_by_level_hex"]]
    roots = [bytes.fromhex(x) for x in reference["root_hashes_by_tree_size_hex"]]
    assert leaves == levels[0]
    for n, want in enumerate(roots):
        assert merkle.root(leaves[:n]) == want
        cr = merkle.CompactRange()
        cr.extend(leaves[:n])
        assert cr.root() == want
        # The compact range holds exactly the perfect subtrees range_nodes names.
        assert cr.hashes == [levels[lvl][i] for lvl, i in merkle.range_nodes(0, n)]
    for n in range(1, len(roots)):
        for i in range(n):
            proof = merkle.inclusion_proof(i, n, leaves)
            merkle.verify_inclusion(i, n, leaves[i], proof, roots[n])
            nodes = merkle.inclusion_nodes(i, n)
            assert nodes.rehash([_node(leaves, lvl, j) for lvl, j in nodes.ids]) == proof
        for m in range(1, n + 1):
            proof = merkle.consistency_proof(m, n, leaves)
            merkle.verify_consistency(m, n, roots[m], roots[n], proof)
            nodes = merkle.consistency_nodes(m, n)
            assert nodes.rehash([_node(leaves, lvl, j) for lvl, j in nodes.ids]) == proof


def _node(leaves: list[bytes], level: int, index: int) -> bytes:
    return merkle.root(leaves[index << level : (index + 1) << level])


def test_subtree_rolling_hash(reference: dict) -> None:
    """draft-ietf-plants-merkle-tree-certs appendix: a rolling SHA-256 over every valid subtree hash."""
    v = reference["subtree_rolling_vectors"]["subtree_hash"]
    leaves = [merkle.leaf_hash(bytes([i])) for i in range(130)]
    rolling = hashlib.sha256()
    for end in range(131):
        for start in range(end + 1):
            width = end - start
            bit_ceil = 1 << (width - 1).bit_length() if width else 1
            if start == 0 or start == end or start % bit_ceil == 0:
                rolling.update(
                    f"[{start}, {end}) {merkle.root(leaves[start:end]).hex()}\n".encode()
                )
    assert rolling.hexdigest() == v["want_sha256"]


@pytest.mark.parametrize("path", _cases("subtreeinclusion"), ids=_id)
def test_subtree_inclusion_vector(path: Path) -> None:
    c = json.loads(path.read_text())
    args = (
        c["leafIdx"],
        c["start"],
        c["end"],
        _b64(c["leafHash"]),
        _proof(c["proof"]),
        _b64(c["root"]),
    )
    if c["wantErr"]:
        with pytest.raises(ProofError):
            merkle.verify_subtree_inclusion(*args)
    else:
        merkle.verify_subtree_inclusion(*args)


@pytest.mark.parametrize("path", _cases("subtreeconsistency"), ids=_id)
def test_subtree_consistency_vector(path: Path) -> None:
    c = json.loads(path.read_text())
    args = (c["start"], c["end"], c["size"], _b64(c["root1"]), _b64(c["root2"]), _proof(c["proof"]))
    if c["wantErr"]:
        with pytest.raises(ProofError):
            merkle.verify_subtree_consistency(*args)
    else:
        merkle.verify_subtree_consistency(*args)


def test_subtree_proof_rolling_hashes(reference: dict) -> None:
    """Our subtree proof generation reproduces the draft appendix digests over a 130-leaf tree."""
    v = reference["subtree_rolling_vectors"]
    leaves = [merkle.leaf_hash(bytes([i])) for i in range(130)]
    subtrees = [(s, e) for e in range(131) for s in range(e + 1) if merkle.is_valid_subtree(s, e)]
    inclusion = hashlib.sha256()
    for start, end in subtrees:
        for i in range(start, end):
            proof = merkle.subtree_inclusion_proof(i, start, end, leaves)
            inclusion.update(f"{i} [{start}, {end}){_hex(proof)}\n".encode())
    assert inclusion.hexdigest() == v["subtree_inclusion"]["want_sha256"]
    consistency = hashlib.sha256()
    for n in range(131):
        for start, end in subtrees:
            if end <= n:
                proof = merkle.subtree_consistency_proof(start, end, n, leaves)
                consistency.update(f"[{start}, {end}) {n}{_hex(proof)}\n".encode())
    assert consistency.hexdigest() == v["subtree_consistency"]["want_sha256"]


def _hex(proof: list[bytes]) -> str:
    return "".join(" " + h.hex() for h in proof)


def test_c2sp_merkle_tree_examples() -> None:
    """The labelled 7-entry example of c2sp.org/merkle-tree (its spec text, not a vector file)."""
    a, b, c, d, e, f, g = (merkle.leaf_hash(bytes([i])) for i in range(7))
    h, i, j = merkle.node_hash(a, b), merkle.node_hash(c, d), merkle.node_hash(e, f)
    k, l_ = merkle.node_hash(h, i), merkle.node_hash(j, g)
    leaves = [a, b, c, d, e, f, g]
    assert merkle.root(leaves) == merkle.node_hash(k, l_)
    assert merkle.inclusion_proof(0, 7, leaves) == [b, i, l_]
    assert merkle.inclusion_proof(3, 7, leaves) == [c, h, l_]
    assert merkle.inclusion_proof(4, 7, leaves) == [f, g, k]
    assert merkle.inclusion_proof(6, 7, leaves) == [j, k]
    assert merkle.consistency_proof(3, 7, leaves) == [c, d, h, l_]
    assert merkle.consistency_proof(4, 7, leaves) == [l_]
    assert merkle.consistency_proof(6, 7, leaves) == [j, g, k]
