"""End-to-end: rebuild the Tessera test log byte for byte; verify Sunlight's witness cosignatures."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from pathlib import Path

import pytest

from truceline.ledger import cosignature, merkle, note, tiles
from truceline.ledger.checkpoint import Checkpoint, open_checkpoint


@pytest.fixture(scope="module")
def tessera(vectors: Path) -> dict:
    return json.loads((vectors / "tessera-testdata" / "tessera_log_vectors.json").read_text())


@pytest.fixture(scope="module")
def tessera_signer(tessera: dict) -> note.Signer:
    # The test key published upstream in tessera testdata/build_log.sh, recorded in the vectors.
    (skey,) = re.findall(r"PRIVATE\+KEY\+\S+", tessera["skey_note"])
    return note.parse_skey(skey)


def test_tessera_checkpoints_byte_for_byte(
    vectors: Path, tessera: dict, tessera_signer: note.Signer
) -> None:
    log_dir = vectors / "tessera-testdata" / "log"
    verifier = note.parse_vkey(tessera["vkey"])
    assert tessera_signer.verifier().vkey == tessera["vkey"]
    origin = "example.com/log/testdata"
    entries = [e.encode() for e in tessera["entries_utf8"]]
    cr = merkle.CompactRange()
    tile0: dict[int, bytes] = {}
    for size in range(len(entries) + 1):
        if size:
            cr.append(
                merkle.leaf_hash(entries[size - 1]),
                lambda lvl, i, h: tile0.__setitem__(i, h) if lvl == 0 else None,
            )
        cp = Checkpoint(origin, size, cr.root())
        signed = note.sign(cp.body(), [tessera_signer])
        want = (log_dir / f"checkpoint.{size}").read_bytes()
        assert signed == want, f"checkpoint.{size}"
        assert signed.decode() == tessera["sizes"][size]["checkpoint"]
        got_cp, _ = open_checkpoint(want, [verifier], origin=origin)
        assert got_cp == cp
        if size:
            tile = tiles.partial_tiles(size)[0]
            assert tile.path == tessera["sizes"][size]["tile_path"]
            assert (
                b"".join(tile0[i] for i in range(size)).hex() == tessera["sizes"][size]["tile_hex"]
            )
    assert (log_dir / "checkpoint").read_bytes() == (
        log_dir / f"checkpoint.{len(entries)}"
    ).read_bytes()


def test_tessera_consistency_between_every_pair(vectors: Path, tessera: dict) -> None:
    """Proofs built the tile way (node ids → tile hashes → rehash) from each size's own
    level-0 partial tile, checked against the roots in the signed checkpoints."""
    roots = [base64.b64decode(s["root_b64"]) for s in tessera["sizes"]]
    tile_bodies = {
        s["tree_size"]: bytes.fromhex(s["tile_hex"]) for s in tessera["sizes"] if s["tree_size"]
    }
    leaves = [merkle.leaf_hash(e.encode()) for e in tessera["entries_utf8"]]
    checked = 0
    for size2 in range(1, len(roots)):
        body = tile_bodies[size2]

        def fetch(node: tuple[int, int], body: bytes = body) -> bytes:
            return tiles.node_hash_from_tile(body, tiles.node_location(*node))

        for size1 in range(1, size2 + 1):
            nodes = merkle.consistency_nodes(size1, size2)
            proof = nodes.rehash([fetch(n) for n in nodes.ids])
            assert proof == merkle.consistency_proof(size1, size2, leaves)
            merkle.verify_consistency(size1, size2, roots[size1], roots[size2], proof)
            checked += 1
        for index in range(size2):
            nodes = merkle.inclusion_nodes(index, size2)
            proof = nodes.rehash([fetch(n) for n in nodes.ids])
            merkle.verify_inclusion(index, size2, leaves[index], proof, roots[size2])
    assert checked == 15 * 16 // 2


def _sunlight_cases(vectors: Path) -> list[dict]:
    return json.loads((vectors / "sunlight-testdata" / "cosignature_v1_vectors.json").read_text())[
        "cases"
    ]


def test_sunlight_cosignatures(vectors: Path) -> None:
    cases = _sunlight_cases(vectors)
    assert len(cases) == 3
    for case in cases:
        v = note.parse_vkey(case["witness_vkey"])
        assert isinstance(v, cosignature.CosignatureVerifier)
        assert f"{v.key_id:08x}" == case["key_id_hex"]
        assert hashlib.sha256(case["origin"].encode()).hexdigest() == case["origin_sha256_hex"]
        msg = cosignature.signed_message_v1(case["checkpoint_body"], case["cosignature_timestamp"])
        assert msg.decode() == case["signed_message"]
        signed = (vectors / "sunlight-testdata" / case["file"]).read_bytes()
        cp, n = open_checkpoint(signed, [v], origin=case["origin"])
        assert cp.body() == case["checkpoint_body"] and cp.size == 300
        (sig,) = n.signatures
        assert sig.name == v.name
        assert cosignature.timestamp_of(sig.signature) == case["cosignature_timestamp"]
        assert sig.signature[8:].hex() == case["ed25519_signature_hex"]
        # Where the file carries the log's own line (type 0x05, static-ct-api), it is
        # unknown to us and kept unverified; the other files hold the cosignature only.
        log_lines = signed.count(f"\u2014 {case['origin']} ".encode())
        assert [s.name for s in n.unverified] == [case["origin"]] * log_lines
        # The same cosignature must not verify over another checkpoint body.
        other = case["checkpoint_body"].replace("300", "301", 1)
        assert not v.verify(other.encode(), sig.signature)


def test_sunlight_cosignature_reproduced(vectors: Path) -> None:
    """Our cosigner, given a key, signs exactly the message Sunlight's did (checked by re-verification)."""
    signer = cosignature.CosignatureSigner("witness.test", b"\x07" * 32)
    for case in _sunlight_cases(vectors):
        sig = signer.sign_at(case["checkpoint_body"].encode(), case["cosignature_timestamp"])
        assert sig[:8] == case["cosignature_timestamp"].to_bytes(8, "big")
        signer.verifier()._key.verify(sig[8:], case["signed_message"].encode())
