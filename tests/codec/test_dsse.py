"""DSSE against every case of the transcribed DSSE vectors, plus Truceline's sealed records."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from hypothesis import given
from hypothesis import strategies as st

from truceline.codec import dsse, keys, records
from truceline.codec.errors import CodecError, SignatureError
from truceline.codec.jcs import canonicalize


@pytest.fixture(scope="module")
def dv(vectors: Path) -> dict[str, Any]:
    return json.loads((vectors / "dsse" / "dsse_vectors.json").read_text())


def test_pae_vectors(dv: dict[str, Any]) -> None:
    assert len(dv["pae_vectors"]) == 5
    for case in dv["pae_vectors"]:
        got = dsse.pae(case["payload_type"], bytes.fromhex(case["payload_hex"]))
        assert got.hex() == case["pae_hex"], case["name"]
        if case["pae_utf8"] is not None:
            assert got == case["pae_utf8"].encode("utf-8")


def test_ecdsa_spec_example_envelopes_parse_and_verify(dv: dict[str, Any]) -> None:
    ex = dv["ecdsa_p256_spec_example"]
    for name in ("envelope_spec", "envelope_reference_impl"):
        env = dsse.Envelope.from_json(json.dumps(ex[name]))
        assert env.payload == ex["payload_utf8"].encode()
        assert env.payload_type == ex["payload_type"]
        assert dsse.pae(env.payload_type, env.payload) == ex["pae_utf8"].encode()
        assert env.signatures[0].sig.hex() == ex["signature_hex"]
        # The spec's one signature is P-256 raw r||s over PAE: check it with the spec's key.
        x = int(ex["public_x_dec"])
        y = int(ex["public_y_dec"])
        pub = ec.EllipticCurvePublicNumbers(x, y, ec.SECP256R1()).public_key()
        sig = env.signatures[0].sig
        der = encode_dss_signature(int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big"))
        from cryptography.hazmat.primitives import hashes

        pub.verify(der, dsse.pae(env.payload_type, env.payload), ec.ECDSA(hashes.SHA256()))
    assert dsse.Envelope.from_json(json.dumps(ex["envelope_spec"])).signatures[0].keyid == ""


def test_ed25519_cases_reproduce_exactly(dv: dict[str, Any]) -> None:
    block = dv["ed25519_computed_here"]
    key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(block["secret_key_seed_hex"]))
    assert keys.raw_public(key.public_key()).hex() == block["public_key_hex"]
    assert len(block["cases"]) == 2
    for case in block["cases"]:
        payload = base64.b64decode(case["payload_b64"])
        assert dsse.pae(case["payload_type"], payload).hex() == case["pae_hex"]
        env = dsse.sign(case["payload_type"], payload, key, "")
        assert env.signatures[0].sig.hex() == case["signature_hex"]
        assert env.to_json_obj() == case["envelope"]
        parsed = dsse.Envelope.from_json(json.dumps(case["envelope"]))
        assert dsse.verify(parsed, {"": key.public_key()}) == [""]


def test_base64_decoding_cases(dv: dict[str, Any]) -> None:
    block = dv["base64_decoding"]
    want = bytes.fromhex(block["decoded_hex"])
    assert len(block["cases"]) == 6
    for case in block["cases"]:
        if case["spec_requires"] == "reject":
            with pytest.raises(CodecError) as err:
                dsse.b64decode(case["input"], "payload")
            assert err.value.code == "bad_base64"
        else:  # both alphabets, padded or not: we accept (the spec is silent on padding)
            assert dsse.b64decode(case["input"], "payload") == want, case["name"]


def test_unknown_fields_ignored_and_missing_fields_named() -> None:
    env = dsse.Envelope.from_json(b'{"payload":"","payloadType":"t","signatures":[],"x":1}')
    assert env.payload == b""
    for doc, field in [
        (b"{}", "payload"),
        (b'{"payload":"","signatures":[]}', "payloadType"),
        (b'{"payload":"","payloadType":"t"}', "signatures"),
        (b'{"payload":"","payloadType":"t","signatures":[{}]}', "signatures[0].sig"),
        (
            b'{"payload":"","payloadType":"t","signatures":[{"sig":"","keyid":3}]}',
            "signatures[0].keyid",
        ),
        (b'{"payload":"","payloadType":"t","signatures":{}}', "signatures"),
        (b'{"payload":7,"payloadType":"t","signatures":[]}', "payload"),
        (b"[]", "$"),
        (b"{", "$"),
    ]:
        with pytest.raises(CodecError) as err:
            dsse.Envelope.from_json(doc)
        assert err.value.field == field, doc


def test_verify_multisig_and_failures() -> None:
    a, b = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    ka, kb = keys.key_id(a.public_key()), keys.key_id(b.public_key())
    env = dsse.sign("t", b"body", a, ka).with_signature(b, kb)
    trusted = {ka: a.public_key(), kb: b.public_key()}
    assert dsse.verify(env, trusted, threshold=2) == [ka, kb]
    with pytest.raises(SignatureError) as err:
        dsse.verify(env, {}, threshold=1)
    assert err.value.code == "unknown_key"
    tampered = dsse.Envelope("t", b"bodY", env.signatures)
    with pytest.raises(SignatureError) as err:
        dsse.verify(tampered, trusted)
    assert err.value.code == "bad_signature"
    # a failing signature is skipped, not fatal
    mixed = dsse.Envelope("t", b"body", (dsse.Signature(ka, b"\0" * 64), env.signatures[1]))
    assert dsse.verify(mixed, trusted) == [kb]


def test_records_roundtrip_and_determinism(tmp_path: Path) -> None:
    key = Ed25519PrivateKey.generate()
    kid = keys.key_id(key.public_key())
    entry = records.seal("application/x", {"b": 1.5, "a": [1, "é"]}, key, kid)
    assert entry == records.seal("application/x", {"a": [1, "é"], "b": 1.5}, key, kid)
    ptype, obj, env = records.open_record(entry)
    assert ptype == "application/x" and obj == {"a": [1, "é"], "b": 1.5}
    assert env.payload == '{"a":[1,"é"],"b":1.5}'.encode()
    assert dsse.Envelope.from_json(entry).to_json() == entry
    assert dsse.verify(env, {kid: key.public_key()}) == [kid]


def test_key_files(tmp_path: Path) -> None:
    key = keys.generate()
    path = keys.save_private_key(tmp_path / "k" / "a.key", key)
    assert path.stat().st_mode & 0o777 == 0o600
    again = keys.load_private_key(path)
    assert keys.key_id(again.public_key()) == keys.key_id(key.public_key())
    (tmp_path / "raw.key").write_text(keys.private_key_b64(key))
    assert keys.public_key_b64(keys.load_private_key(tmp_path / "raw.key").public_key()) == (
        keys.public_key_b64(key.public_key())
    )
    kid = keys.key_id(key.public_key())
    assert len(kid) == 16 and int(kid, 16) >= 0
    with pytest.raises(keys.KeyFileError):
        keys.public_key_from_b64("AAAA")
    with pytest.raises(keys.KeyFileError):
        keys.parse_private_key(b"nonsense!", "x")
    with pytest.raises(keys.KeyFileError):
        keys.load_private_key(tmp_path / "missing")


@given(
    st.text(max_size=30),
    st.binary(max_size=64),
    st.lists(st.tuples(st.text(max_size=20), st.binary(min_size=64, max_size=64)), max_size=3),
)
def test_envelope_template_is_canonical(
    ptype: str, payload: bytes, sigs: list[tuple[str, bytes]]
) -> None:
    env = dsse.Envelope(ptype, payload, tuple(dsse.Signature(k, s) for k, s in sigs))
    try:
        want = canonicalize(env.to_json_obj())
    except CodecError:
        return  # lone surrogates: no JSON form at all
    assert env.to_json() == want
    assert dsse.Envelope.from_json(want) == env
