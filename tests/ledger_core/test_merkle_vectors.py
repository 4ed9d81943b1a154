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
