"""signed-note against the Go sumdb note vectors, the C2SP examples, RFC 8032 and Wycheproof."""

from __future__ import annotations

import base64
import json
import re

import pytest

from truceline.ledger import cosignature, merkle, note
from truceline.ledger.checkpoint import Checkpoint

from ._paths import VECTORS


def _load(rel: str) -> dict:
    return json.loads((VECTORS / rel).read_text())


SUMDB = _load("golang-mod-sumdb/note_and_tlog_vectors.json")
C2SP = _load("c2sp/spec_examples.json")
PETER = SUMDB["keys"]["PeterNeumann"]
ENOCH = SUMDB["keys"]["EnochRoot"]


def test_sumdb_keys() -> None:
    signer = note.parse_skey(PETER["skey"])
    assert isinstance(signer, note.Ed25519Signer)
    assert signer.skey == PETER["skey"]
    assert signer.private_key_bytes().hex() == PETER["ed25519_seed_hex"]
    assert signer.verifier().vkey == PETER["vkey"]
    for key in (PETER, ENOCH):
        v = note.parse_vkey(key["vkey"])
        assert isinstance(v, note.Ed25519Verifier)
        assert f"{v.key_id:08x}" == key["key_id_hex"]
        assert v.public_key.hex() == key["ed25519_pub_hex"]
        assert v.vkey == key["vkey"]


def test_sumdb_sign_is_byte_exact() -> None:
    signed = note.sign(SUMDB["note_text"], [note.parse_skey(PETER["skey"])])
    assert signed.decode() == SUMDB["sign_vector"]["want_signed_note"]


def _open_case_message(case: dict) -> bytes:
    if "message" in case:
        return case["message"].encode()
    # "note_text + '\n' + peterSig*101"
    peter_sig = SUMDB["sign_vector"]["want_signed_note"].split("\n\n", 1)[1]
    return (SUMDB["note_text"] + "\n" + peter_sig * 101).encode()


@pytest.mark.parametrize("case", SUMDB["open_vectors"], ids=lambda c: c["desc"][:50])
def test_sumdb_open(case: dict) -> None:
    msg = _open_case_message(case)
    verifiers = [note.parse_vkey(k) for k in case["trusted"]]
    if "want_error" in case:
        with pytest.raises(note.NoteError, match=re.escape(case["want_error"])):
            note.open(msg, verifiers)
        return
    n = note.open(msg, verifiers)
    assert n.text == SUMDB["note_text"]
    assert [s.name for s in n.signatures] == case["want_verified"]
    assert [s.name for s in n.unverified] == case.get("want_unverified", [])


def test_sumdb_open_error_types() -> None:
    msg = _open_case_message(SUMDB["open_vectors"][0])
    with pytest.raises(note.UnverifiedNoteError) as e:
        note.open(msg, [])
    assert [s.name for s in e.value.note.unverified] == ["PeterNeumann", "EnochRoot"]
    tampered = _open_case_message(SUMDB["open_vectors"][4])
    with pytest.raises(note.InvalidSignatureError):
        note.open(tampered, [note.parse_vkey(PETER["vkey"])])
    # 16 distinct signatures must be accepted (signed-note: "at least up to 16").
    signers = [note.Ed25519Signer(f"k{i}.example", bytes([i]) * 32) for i in range(16)]
    signed = note.sign(SUMDB["note_text"], signers)
    assert len(note.open(signed, [s.verifier() for s in signers]).signatures) == 16


def _malformed_message(case: dict) -> bytes:
    return bytes.fromhex(case["message_hex"]) if "message_hex" in case else case["message"].encode()


@pytest.mark.parametrize("case", SUMDB["malformed_vectors"], ids=lambda c: c["desc"])
def test_sumdb_malformed(case: dict) -> None:
    with pytest.raises(note.MalformedNoteError):
        note.open(_malformed_message(case), [note.parse_vkey(PETER["vkey"])])
    with pytest.raises(note.MalformedNoteError):
        note.parse(_malformed_message(case))


def test_sumdb_vkey_parse() -> None:
    for vkey in SUMDB["vkey_parse"]["valid"]:
        note.parse_vkey(vkey)
    bad = [c["vkey"] for c in SUMDB["vkey_parse"]["invalid"] if "vkey" in c]
    valid = SUMDB["vkey_parse"]["valid"][0]
    # "every proper substring of a valid vkey, and every single-byte +1 mutation"
    bad += [
        valid[i:j]
        for i in range(len(valid))
        for j in range(i, len(valid) + 1)
        if j - i < len(valid)
    ]
    bad += [valid[:i] + chr(ord(valid[i]) + 1) + valid[i + 1 :] for i in range(len(valid))]
    for vkey in bad:
        with pytest.raises(note.KeyFormatError):
            note.parse_vkey(vkey)


def test_sumdb_verifier_lookup_errors() -> None:
    known = note.Verifiers([note.parse_vkey(PETER["vkey"])])
    assert known.lookup("PeterNeumann", 0xC74F20A3).name == "PeterNeumann"
    with pytest.raises(note.UnknownKeyError, match="unknown key"):
        known.lookup("PeterNeumann", 0xC74F20A4)
    with pytest.raises(note.UnknownKeyError, match="unknown key"):
        known.lookup("PeterNeuman", 0xC74F20A3)


def test_sumdb_tree_note_is_a_checkpoint_body() -> None:
    t = SUMDB["sumdb_tree_note"]
    cp = Checkpoint.parse(t["text"])
    assert (cp.origin, cp.size) == ("go.sum database tree", t["N"])
    assert cp.root_hash == merkle.leaf_hash(b"hello world") == base64.b64decode(t["check"])
    assert cp.body() == t["text"]


def test_skey_with_plus_in_base64() -> None:
    # A seed whose base64 has '+' everywhere, to exercise split('+', 4) and split('+', 2).
    signer = note.Ed25519Signer("plus.example", bytes.fromhex("fbef" * 16))
    assert "+" in signer.skey.split("+", 4)[4]
    again = note.parse_skey(signer.skey)
    assert again.verifier().vkey == signer.verifier().vkey
    assert note.parse_vkey(signer.verifier().vkey).public_key == signer.verifier().public_key


# --- C2SP spec examples ----------------------------------------------------


def test_c2sp_signed_note_example() -> None:
    ex = C2SP["signed_note_verifiable"]
    n = note.open(ex["note"].encode(), [note.parse_vkey(ex["vkey"])])
    assert n.text == "This is an example message.\n"
    assert n.format() == ex["note"].encode()


def test_c2sp_unverifiable_examples_parse() -> None:
    n = note.parse(C2SP["signed_note_unverifiable_example"]["note"].encode())
    assert n.text.endswith("\n\ned \u00e8 subito sera.\n")  # text keeps its own empty line
    assert [s.name for s in n.signatures] == ["quasimodo.example/salvatore"]
    ex = C2SP["checkpoint_example"]
    cp = Checkpoint.parse(note.parse(ex["note"].encode()).text)
    assert (cp.origin, cp.size, base64.b64encode(cp.root_hash).decode()) == (
        ex["origin"],
        ex["tree_size"],
        ex["root_b64"],
    )


def test_c2sp_cosignature_examples() -> None:
    ex = C2SP["cosignature_message_example"]
    body = C2SP["checkpoint_example"]["note"].split("\n\n")[0] + "\n"
    assert cosignature.signed_message_v1(body, ex["timestamp"]).decode() == ex["message"]
    line = C2SP["cosigned_checkpoint_example_line"]
    full = (body + "\n" + line + "\n").encode()
    (sig,) = note.parse(full).signatures[-1:]
    assert sig.name == "witness.example.com/w1"
    assert cosignature.timestamp_of(sig.signature) == ex["timestamp"]
    assert len(sig.signature) == 8 + 64


# --- RFC 8032 and Wycheproof through the note Verifier types ---------------


def test_rfc8032_through_note_types() -> None:
    for v in _load("rfc8032/ed25519_rfc8032_section7_1.json")["vectors"]:
        signer = note.Ed25519Signer("rfc8032.example", bytes.fromhex(v["secret_key_seed_hex"]))
        assert signer.verifier().public_key.hex() == v["public_key_hex"]
        msg = bytes.fromhex(v["message_hex"])
        assert signer.sign(msg).hex() == v["signature_hex"]
        assert signer.verifier().verify(msg, bytes.fromhex(v["signature_hex"]))


def _wycheproof_cases(rel: str) -> list[tuple[str, dict]]:
    doc = _load(rel)
    out = []
    for g in doc["testGroups"]:
        pk = g["publicKey"]["pk"] if isinstance(g["publicKey"], dict) else g["publicKey"]
        out.extend((pk, t) for t in g["tests"])
    return out


ED_CASES = _wycheproof_cases("wycheproof/ed25519_test.json")
ML_CASES = _wycheproof_cases("wycheproof/mldsa_44_verify_test.json")


def test_wycheproof_counts() -> None:
    assert (len(ED_CASES), len(ML_CASES)) == (151, 180)


@pytest.mark.parametrize(
    ("pk", "case"), ED_CASES, ids=lambda x: str(x["tcId"]) if isinstance(x, dict) else ""
)
def test_wycheproof_ed25519(pk: str, case: dict) -> None:
    v = note.Ed25519Verifier("wycheproof.example", bytes.fromhex(pk))
    ok = v.verify(bytes.fromhex(case["msg"]), bytes.fromhex(case["sig"]))
    assert ok == (case["result"] == "valid"), case["comment"]


@pytest.mark.parametrize(
    ("pk", "case"), ML_CASES, ids=lambda x: str(x["tcId"]) if isinstance(x, dict) else ""
)
def test_wycheproof_mldsa44(pk: str, case: dict) -> None:
    want = case["result"] == "valid"
    try:
        v = cosignature.MLDSA44CosignatureVerifier("wycheproof.example", bytes.fromhex(pk))
    except note.KeyFormatError:
        assert not want, case["comment"]
        return
    ctx = bytes.fromhex(case["ctx"]) if "ctx" in case else None
    ok = v.verify_message(bytes.fromhex(case["msg"]), bytes.fromhex(case["sig"]), ctx)
    assert ok == want, case["comment"]
