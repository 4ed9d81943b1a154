"""Sunlight's real cosignature/v1 lines verify through the Cosigner's verification path."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from truceline.ledger import note as notes
from truceline.ledger.policy import PolicyBuilder
from truceline.ledger.policy import Witness as PolicyWitness
from truceline.ledger.witnessing import verified_cosignatures


def cases(vectors: Path) -> list[dict]:  # type: ignore[type-arg]
    return json.loads((vectors / "sunlight-testdata" / "cosignature_v1_vectors.json").read_text())[
        "cases"
    ]


def line(case: dict, ts: int | None = None, sig: bytes | None = None) -> bytes:  # type: ignore[type-arg]
    v = notes.parse_vkey(case["witness_vkey"])
    raw = (
        v.key_id.to_bytes(4, "big")
        + (case["cosignature_timestamp"] if ts is None else ts).to_bytes(8, "big")
        + (sig if sig is not None else bytes.fromhex(case["ed25519_signature_hex"]))
    )
    return f"— {v.name} {base64.b64encode(raw).decode()}\n".encode()


def witness(case: dict, local: str = "w") -> PolicyWitness:  # type: ignore[type-arg]
    return PolicyWitness(local, notes.parse_vkey(case["witness_vkey"]))


def test_each_sunlight_cosignature_verifies(vectors: Path) -> None:
    for case in cases(vectors):
        got = verified_cosignatures(case["checkpoint_body"], line(case), [witness(case)])
        assert got == {"w": line(case)}


def test_sunlight_checkpoint_files_carry_valid_cosignatures(vectors: Path) -> None:
    for case in cases(vectors):
        signed = (vectors / "sunlight-testdata" / case["file"]).read_bytes()
        parsed = notes.parse(signed)
        assert parsed.text == case["checkpoint_body"]
        others = b"".join(s.line.encode() for s in parsed.signatures)  # log's 0x05 line included
        got = verified_cosignatures(parsed.text, others, [witness(case)])
        assert list(got) == ["w"]


def test_a_shifted_timestamp_or_other_checkpoint_is_rejected(vectors: Path) -> None:
    rome, milan, mirror = cases(vectors)
    with pytest.raises(notes.InvalidSignatureError):
        verified_cosignatures(
            rome["checkpoint_body"],
            line(rome, ts=rome["cosignature_timestamp"] + 1),
            [witness(rome)],
        )
    # The mirror signed another root for the same origin and size: not valid over rome's body.
    with pytest.raises(notes.InvalidSignatureError):
        verified_cosignatures(rome["checkpoint_body"], line(mirror), [witness(mirror)])
    # An unknown key's line is ignored, not an error.
    assert verified_cosignatures(rome["checkpoint_body"], line(milan), [witness(rome)]) == {}


def test_sunlight_witnesses_in_a_policy_quorum(vectors: Path) -> None:
    rome, _, mirror = cases(vectors)
    b = PolicyBuilder()
    b.witness("sunlight-w", rome["witness_vkey"]).witness("sunlight-mirror", mirror["witness_vkey"])
    b.group("one", "any", ["sunlight-w", "sunlight-mirror"]).quorum("one")
    policy = b.build()
    got = verified_cosignatures(
        rome["checkpoint_body"], line(rome), list(policy.witnesses.values())
    )
    assert set(got) == {"sunlight-w"}
    assert policy.witnessed(policy.quorum, set(got))
    assert not policy.witnessed("sunlight-mirror", set(got))
