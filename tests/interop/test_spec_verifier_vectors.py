"""The clean-room verifier itself, checked against other implementations' data before it is
trusted to judge Truceline's log: Tessera's test log, Sunlight's witness cosignatures, the
C2SP examples and the transparency-dev inclusion-proof probes."""

from __future__ import annotations

import base64
import json
import struct
from pathlib import Path
from typing import Any

import pytest

from . import spec_verifier as sv
from .conftest import serve_directory


def _load(path: Path) -> Any:
    return json.loads(path.read_text())


def test_tessera_log_verifies(vectors: Path, tmp_path: Path) -> None:
    """Tessera's entries and leaf hashes, laid out as tlog-tiles; Tessera's 16 signed checkpoints."""
    v = _load(vectors / "tessera-testdata/tessera_log_vectors.json")
    entries = [e.encode() for e in v["entries_utf8"]]
    leaves = [bytes.fromhex(h) for h in v["leaf_hashes_hex"]]
    assert [sv.leaf_hash(e) for e in entries] == leaves
    n = len(entries)
    (tmp_path / "tile/0/000.p").mkdir(parents=True)
    (tmp_path / "tile/entries/000.p").mkdir(parents=True)
    (tmp_path / f"tile/0/000.p/{n}").write_bytes(b"".join(leaves))
    bundle = b"".join(struct.pack(">H", len(e)) + e for e in entries)
    (tmp_path / f"tile/entries/000.p/{n}").write_bytes(bundle)
    by_size = {s["tree_size"]: s["checkpoint"].encode() for s in v["sizes"]}
    (tmp_path / "checkpoint").write_bytes(by_size[n])
    key = sv.VerifierKey.parse(v["vkey"])
    with serve_directory(tmp_path) as url:
        view = sv.verify_log(url, key, old_checkpoints=[by_size[s] for s in sorted(by_size)])
        assert view.entries == entries and view.checkpoint.size == n
        # Every earlier Tessera root is what the tiles give for its size.
        for size, raw in by_size.items():
            assert view.root(size) == sv.verify_checkpoint(raw, key, []).root

        (tmp_path / f"tile/entries/000.p/{n}").write_bytes(bundle[:-1] + b"X")
        with pytest.raises(sv.VerificationError, match="does not hash to"):
            sv.verify_log(url, key)


def test_c2sp_signed_note_example(vectors: Path) -> None:
    ex = _load(vectors / "c2sp/spec_examples.json")["signed_note_verifiable"]
    key = sv.VerifierKey.parse(ex["vkey"])
    note = sv.verify_note(ex["note"].encode(), [key])
    assert note.text == b"This is an example message.\n"
    with pytest.raises(sv.VerificationError, match="does not verify"):
        sv.verify_note(ex["note"].replace("example", "exemple", 1).encode(), [key])
    other = sv.VerifierKey(key.name, b"\0\0\0\0", key.sig_type, key.public_key)
    with pytest.raises(sv.VerificationError, match="no signature by"):
        sv.verify_note(ex["note"].encode(), [other])


def test_c2sp_note_parsing_examples(vectors: Path) -> None:
    ex = _load(vectors / "c2sp/spec_examples.json")
    poem = sv.parse_note(ex["signed_note_unverifiable_example"]["note"].encode())
    assert poem.text.endswith(b"subito sera.\n") and b"\n\n" in poem.text
    cp = sv.parse_checkpoint(sv.parse_note(ex["checkpoint_example"]["note"].encode()).text)
    assert (cp.origin, cp.size) == ("example.com/behind-the-sofa", 20852163)
    assert cp.root == base64.b64decode(ex["checkpoint_example"]["root_b64"])
    for case in ex["tile_index_encoding"]:
        assert sv.index_path(case["N"]) == case["path_elem"]


@pytest.mark.parametrize(
    "bad",
    [
        b"origin\n01\n" + base64.b64encode(b"\0" * 32) + b"\n",
        b"origin\n1\n" + base64.b64encode(b"\0" * 31) + b"\n",
        b"\n1\n" + base64.b64encode(b"\0" * 32) + b"\n",
        b"origin\n1\n",
        b"origin\n1\n" + base64.b64encode(b"\0" * 32) + b"\n\n",
    ],
)
def test_malformed_checkpoints_rejected(bad: bytes) -> None:
    with pytest.raises(sv.VerificationError):
        sv.parse_checkpoint(bad)


def test_sunlight_cosignatures(vectors: Path) -> None:
    """Timestamped Ed25519 cosignatures (type 0x04) made by Sunlight's witness."""
    cases = _load(vectors / "sunlight-testdata/cosignature_v1_vectors.json")["cases"]
    for case in cases:
        raw = (vectors / "sunlight-testdata" / case["file"]).read_bytes()
        witness = sv.VerifierKey.parse(case["witness_vkey"])
        assert witness.sig_type == sv.SIG_COSIGNATURE_V1
        # The log's own signature (another type) is from an unknown key and is ignored.
        assert sv.verify_note(raw, [witness]).text == case["checkpoint_body"].encode()
        tampered = (
            raw.replace(b"\n300\n", b"\n301\n")
            if b"\n300\n" in raw
            else raw.replace(b"=\n\n", b"A=\n\n", 1)
        )
        with pytest.raises(sv.VerificationError):
            sv.verify_note(tampered, [witness])


def test_transparency_dev_inclusion_probes(vectors: Path) -> None:
    """The RFC 9162 inclusion check errs exactly where the transparency-dev probes want it to."""
    files = sorted((vectors / "transparency-dev-merkle/testdata/inclusion").rglob("*.json"))
    assert len(files) > 50

    def b64(s: str | None) -> bytes:
        return base64.b64decode(s or "")

    for f in files:
        c = _load(f)
        proof = [b64(p) for p in c["proof"] or []]
        try:
            if len(b64(c["leafHash"])) != 32 or len(b64(c["root"])) != 32:
                raise sv.VerificationError("hash is not 32 bytes")
            sv.verify_inclusion(
                c["leafIdx"], c["treeSize"], b64(c["leafHash"]), proof, b64(c["root"])
            )
            failed = False
        except sv.VerificationError:
            failed = True
        assert failed == c["wantErr"], f"{f}: {c['desc']}"


def test_vkey_rejections() -> None:
    good = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
    sv.VerifierKey.parse(good)
    for bad in (
        good.replace("530d903a", "530d903b"),
        "example.com/foo+530d903a",
        good[:-4] + "AAAA",
        "+530d903a+AAAA",
    ):
        with pytest.raises(sv.VerificationError):
            sv.VerifierKey.parse(bad)
