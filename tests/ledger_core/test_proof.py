"""tlog-proof: format, parse, and verification against a log key and a policy."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from truceline.ledger import cosignature, merkle, note, proof
from truceline.ledger.checkpoint import Checkpoint
from truceline.ledger.policy import Party, party_quorum
from truceline.ledger.proof import TlogProof, TlogProofError

LOG = note.Ed25519Signer("log.example/truce", b"\x10" * 32)
W = [cosignature.CosignatureSigner(f"w{i}.example", bytes([0x40 + i]) * 32) for i in range(3)]
ENTRIES = [f"entry {i}".encode() for i in range(21)]
LEAVES = [merkle.leaf_hash(e) for e in ENTRIES]


def _checkpoint(size: int, cosigners: list[cosignature.CosignatureSigner]) -> bytes:
    signed = note.sign(Checkpoint(LOG.name, size, merkle.root(LEAVES[:size])).body(), [LOG])
    return note.sign(note.parse(signed), cosigners) if cosigners else signed


def _proof(index: int, size: int, extra: bytes | None = None, cosigners: int = 0) -> bytes:
    path = merkle.inclusion_proof(index, size, LEAVES)
    return proof.make(index, path, _checkpoint(size, W[:cosigners]), extra)


def test_layout() -> None:
    data = _proof(5, 21, extra=b"ctx")
    lines = data.decode().split("\n")
    assert lines[:3] == ["c2sp.org/tlog-proof@v1", "extra Y3R4", "index 5"]
    assert lines[3 + 5] == ""  # 5 hashes for a leaf in a tree of 21, then the empty line
    assert data.endswith(_checkpoint(21, []))


@given(st.integers(1, 21), st.data(), st.one_of(st.none(), st.binary(max_size=20)))
def test_roundtrip_and_verify(size: int, data: st.DataObject, extra: bytes | None) -> None:
    index = data.draw(st.integers(0, size - 1))
    raw = _proof(index, size, extra)
    p = TlogProof.parse(raw)
    assert p.format() == raw and p.extra == extra and p.index == index
    cp = proof.verify(raw, ENTRIES[index], LOG.verifier().vkey)
    assert cp.size == size
    other = data.draw(st.integers(0, len(ENTRIES) - 1))
    if ENTRIES[other] != ENTRIES[index]:
        with pytest.raises(TlogProofError, match="inclusion proof"):
            proof.verify(raw, ENTRIES[other], LOG.verifier())


def test_verify_with_policy() -> None:
    policy = party_quorum(
        [LOG.verifier().vkey],
        [Party("P", 2, [(f"W{i}", w.verifier().vkey) for i, w in enumerate(W)])],
    )
    good = _proof(3, 10, cosigners=2)
    assert proof.verify(good, ENTRIES[3], policy=policy).size == 10
    assert proof.verify(good, ENTRIES[3], LOG.verifier(), policy).size == 10
    weak = _proof(3, 10, cosigners=1)
    proof.verify(weak, ENTRIES[3], LOG.verifier())  # the log signature alone is fine
    with pytest.raises(TlogProofError, match="quorum"):
        proof.verify(weak, ENTRIES[3], policy=policy)
    with pytest.raises(ValueError, match="needs a log verifier key, a policy, or both"):
        proof.verify(good, ENTRIES[3])


def test_wrong_log_key_and_tampering() -> None:
    good = _proof(7, 12)
    stranger = note.Ed25519Signer("log.example/truce", b"\x11" * 32)
    with pytest.raises(TlogProofError, match="checkpoint: note has no verifiable signatures"):
        proof.verify(good, ENTRIES[7], stranger.verifier())
    for pos in range(len(good)):
        tampered = bytearray(good)
        tampered[pos] ^= 0x01
        with pytest.raises((TlogProofError, ValueError)):
            proof.verify(bytes(tampered), ENTRIES[7], LOG.verifier())


@pytest.mark.parametrize(
    ("text", "error"),
    [
        (b"c2sp.org/tlog-proof@v2\nindex 0\n\nx", "first line"),
        (b"c2sp.org/tlog-proof@v1\nindex 01\n\nx", "leading zeroes"),
        (b"c2sp.org/tlog-proof@v1\nextra !!\nindex 0\n\nx", "extra: not base64"),
        (b"c2sp.org/tlog-proof@v1\nindex 0\nAAAA\n\nx", "proof hash 0: want 32 bytes"),
        (b"c2sp.org/tlog-proof@v1\nindex 0\n", "no empty line"),
        (b"c2sp.org/tlog-proof@v1\nindex 0\n\n", "checkpoint: missing"),
        (b"c2sp.org/tlog-proof@v1\n\nx", "index line"),
        (
            b"c2sp.org/tlog-proof@v1\nindex 0\n"
            + b"47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n" * 64
            + b"\nx",
            "at most 63",
        ),
    ],
)
def test_malformed(text: bytes, error: str) -> None:
    with pytest.raises(TlogProofError, match=error):
        TlogProof.parse(text)
