"""Notes, checkpoints and cosignatures: round trips, tampering, malformed input."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from truceline.clock import FixedClock
from truceline.ledger import cosignature, merkle, note
from truceline.ledger.checkpoint import Checkpoint, CheckpointError, open_checkpoint

LOG = note.Ed25519Signer("log.example/test", b"\x01" * 32)
W1 = cosignature.CosignatureSigner("w1.example", b"\x02" * 32)
W2 = cosignature.MLDSA44CosignatureSigner("w2.example", b"\x03" * 32)

texts = st.lists(
    st.text(st.characters(blacklist_categories=("Cs",), min_codepoint=0x20), max_size=40),
    min_size=1,
    max_size=5,
).map(lambda lines: "\n".join(lines) + "\n")


@given(texts, st.data())
def test_sign_open_and_tamper(text: str, data: st.DataObject) -> None:
    signed = note.sign(text, [LOG])
    n = note.open(signed, [LOG.verifier()])
    assert n.text == text and n.format() == signed
    pos = data.draw(st.integers(0, len(signed) - 1))
    bit = data.draw(st.integers(0, 7))
    tampered = bytearray(signed)
    tampered[pos] ^= 1 << bit
    with pytest.raises(note.NoteError):
        note.open(bytes(tampered), [LOG.verifier()])


@given(
    st.text("abcdefghijklmnopqrstuvwxyz./-", min_size=1, max_size=30),
    st.integers(0, 2**63 - 1),
    st.binary(min_size=32, max_size=32),
    st.lists(st.text("abc xyz=", min_size=1, max_size=10), max_size=3),
)
def test_checkpoint_roundtrip(origin: str, size: int, root: bytes, ext: list[str]) -> None:
    cp = Checkpoint(origin, size, root, tuple(ext))
    assert Checkpoint.parse(cp.body()) == cp
    assert Checkpoint.parse(cp.encode()) == cp


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("o\n1\n", "at least 3 lines"),
        ("o\n01\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n", "leading zeroes"),
        ("o\n-1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n", "size"),
        ("o\n+1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n", "size"),
        ("o\n1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU\n", "not base64"),
        ("o\n1\nAAAA\n", "want 32 bytes"),
        ("\n1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n", "origin"),
        ("o\n1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n\n", "extension line 1"),
        ("o\n1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", "newline"),
        ("o\n9223372036854775808\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n", r"0\.\.2\^63-1"),
    ],
)
def test_checkpoint_malformed(body: str, reason: str) -> None:
    with pytest.raises(CheckpointError, match=reason):
        Checkpoint.parse(body)


def test_cosigned_checkpoint_with_both_types() -> None:
    clock = FixedClock(datetime(2026, 11, 27, tzinfo=UTC))
    w1 = cosignature.CosignatureSigner("w1.example", b"\x02" * 32, clock)
    cp = Checkpoint("log.example/test", 3, merkle.EMPTY_ROOT)
    signed = note.sign(cp.body(), [LOG])
    cosigned = note.sign(note.parse(signed), [w1, W2])
    assert cosigned.startswith(signed)  # existing lines first, as Go does
    got, n = open_checkpoint(
        cosigned, [LOG.verifier(), w1.verifier(), W2.verifier()], origin=cp.origin
    )
    assert got == cp
    assert [s.name for s in n.signatures] == [LOG.name, "w1.example", "w2.example"]
    assert cosignature.timestamp_of(n.signatures[1].signature) == int(clock.at.timestamp())
    # Deterministic Ed25519 cosignature: same key, body and time, same bytes.
    assert w1.sign(cp.encode()) == w1.sign_at(cp.encode(), int(clock.at.timestamp()))
    # Re-signing with the same key replaces the old line instead of duplicating it.
    again = note.sign(note.parse(cosigned), [w1])
    assert again.count(b"w1.example") == 1
    # A cosignature moved onto another checkpoint fails, and a failing known key rejects the note.
    other = Checkpoint("log.example/test", 4, merkle.EMPTY_ROOT)
    forged = (other.body() + "\n").encode() + cosigned.split(b"\n\n", 1)[1]
    with pytest.raises(note.InvalidSignatureError):
        note.open(forged, [W2.verifier()])
    with pytest.raises(note.InvalidSignatureError):
        note.open(forged, [w1.verifier()])


def test_cosigner_keys_roundtrip() -> None:
    for gen, cls in (
        (cosignature.generate_cosigner, cosignature.CosignatureVerifier),
        (cosignature.generate_mldsa44_cosigner, cosignature.MLDSA44CosignatureVerifier),
        (note.generate_ed25519, note.Ed25519Verifier),
    ):
        skey, vkey = gen("k.example")
        signer = note.parse_skey(skey)
        v = note.parse_vkey(vkey)
        assert isinstance(v, cls)
        assert signer.verifier().vkey == vkey and signer.skey == skey


def test_subtree_message_layout() -> None:
    msg = cosignature.subtree_message("w", 5, "o", 0, 7, b"\xaa" * 32)
    assert msg == (
        b"subtree/v1\n\x00"
        + b"\x01w"
        + (5).to_bytes(8, "big")
        + b"\x01o"
        + (0).to_bytes(8, "big")
        + (7).to_bytes(8, "big")
        + b"\xaa" * 32
    )
    with pytest.raises(cosignature.CosignatureError, match="timestamp 0"):
        cosignature.subtree_message("w", 5, "o", 1, 7, b"\xaa" * 32)
    with pytest.raises(cosignature.CosignatureError, match="cosigner name"):
        cosignature.subtree_message("w" * 256, 0, "o", 0, 7, b"\xaa" * 32)


@settings(max_examples=20)
@given(st.integers(0, 2**63 - 1))
def test_cosignature_v1_timestamps(ts: int) -> None:
    body = Checkpoint("o.example", 1, merkle.EMPTY_ROOT).encode()
    sig = W1.sign_at(body, ts)
    assert cosignature.timestamp_of(sig) == ts
    assert W1.verifier().verify(body, sig)
    assert not W1.verifier().verify(body, (ts ^ 1).to_bytes(8, "big") + sig[8:])


def test_bad_keys() -> None:
    with pytest.raises(note.KeyFormatError, match="key name"):
        note.Ed25519Signer("bad name", b"\x00" * 32)
    with pytest.raises(note.KeyFormatError, match="key name"):
        note.Ed25519Signer("bad+name", b"\x00" * 32)
    with pytest.raises(note.KeyFormatError, match="unsupported signature type 0x02"):
        note.parse_vkey(note.Ed25519Verifier("x", b"\x00" * 32).vkey.replace("+AQ", "+Ag"))
    with pytest.raises(note.KeyFormatError, match="PRIVATE"):
        note.parse_skey("PUBLIC+KEY+x+00000000+AQ==")
    with pytest.raises(note.MalformedNoteError, match="newline"):
        note.sign("no newline", [LOG])
    with pytest.raises(note.MalformedNoteError, match="control character"):
        note.sign("tab\there\n", [LOG])
