"""The ingest fast paths decide exactly as the reference paths they shortcut.

- `Envelope.from_canonical_json(raw)` is either None or the same envelope as
  `Envelope.from_json(raw)`, and then `raw` is that envelope's canonical `to_json()`.
- `jcs.loads_checked(data)` equals `(jcs.loads(data), jcs.is_canonical(data))`, including
  which inputs raise.
"""

from __future__ import annotations

import base64
import json
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from truceline.codec import dsse, jcs
from truceline.codec.errors import CodecError

# --- envelopes ------------------------------------------------------------------------

_plainish = st.text(alphabet=st.sampled_from('ab/+-_ "\\é\x01:{}'), max_size=12) | st.sampled_from(
    ["application/vnd.truceline.observation+json", "k1", ""]
)


@st.composite
def _envelope_text(draw: st.DrawFn) -> bytes:
    payload = draw(st.binary(max_size=40))
    sig = draw(st.binary(min_size=0, max_size=66))
    kind = draw(st.sampled_from(["canonical", "mutated", "json"]))
    if kind == "canonical":
        env = dsse.Envelope(draw(_plainish), payload, (dsse.Signature(draw(_plainish), sig),))
        return env.to_json()
    if kind == "mutated":
        env = dsse.Envelope(draw(_plainish), payload, (dsse.Signature(draw(_plainish), sig),))
        raw = bytearray(env.to_json())
        for _ in range(draw(st.integers(1, 3))):
            i = draw(st.integers(0, len(raw) - 1))
            raw[i] = draw(st.sampled_from(b'AQ=/+-_"{}[],: \\x0'))
        return bytes(raw)
    enc = draw(st.sampled_from([base64.b64encode, base64.urlsafe_b64encode]))
    strip = draw(st.booleans())
    text = enc(payload).decode()
    sig_text = enc(sig).decode()
    if strip:
        text, sig_text = text.rstrip("="), sig_text.rstrip("=")
    sigs: list[dict[str, Any]] = [{"keyid": draw(_plainish), "sig": sig_text}]
    if draw(st.booleans()):
        sigs.append({"keyid": "k2", "sig": sig_text})
    doc = {"payload": text, "payloadType": draw(_plainish), "signatures": sigs}
    return json.dumps(doc, separators=(",", ":"), sort_keys=draw(st.booleans())).encode()


@settings(max_examples=400, deadline=None)
@given(_envelope_text())
def test_canonical_envelope_fast_parse_equals_reference(raw: bytes) -> None:
    fast = dsse.Envelope.from_canonical_json(raw)
    try:
        slow: dsse.Envelope | None = dsse.Envelope.from_json(raw)
    except CodecError:
        slow = None
    if fast is None:
        return
    assert slow == fast
    assert fast.to_json() == raw


def test_canonical_envelope_examples() -> None:
    env = dsse.Envelope("t", b"payload", (dsse.Signature("k", bytes(64)),))
    raw = env.to_json()
    assert dsse.Envelope.from_canonical_json(raw) == env
    # non-zero padding bits decode ('QR==' is b'A') but are not the canonical text
    odd = raw.replace(b'AA=="}]}', b'AB=="}]}')
    assert odd != raw
    assert dsse.Envelope.from_canonical_json(odd) is None
    assert dsse.Envelope.from_json(odd).signatures[0].sig == bytes(64)
    qr = b'{"payload":"QR==","payloadType":"t","signatures":[{"keyid":"k","sig":""}]}'
    assert dsse.Envelope.from_canonical_json(qr) is None
    assert dsse.Envelope.from_canonical_json(raw.replace(b"{", b"{ ", 1)) is None
    two = dsse.Envelope("t", b"p", (dsse.Signature("a", b"1"), dsse.Signature("b", b"2")))
    assert dsse.Envelope.from_canonical_json(two.to_json()) is None  # the general path


# --- payloads -------------------------------------------------------------------------

_numbers = st.one_of(
    st.integers(-(2**60), 2**60),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([0.00001, 1e-7, 1e16, 1e21, 152.0, -0.0, 0.1, 2**53, 2**53 + 1, 1e-4]),
)
_keys = st.text(alphabet=st.sampled_from("abcXYZ_é\u20ac\U0001f600"), max_size=4)
_strings = st.text(max_size=8) | st.sampled_from(["3e4f", "e-0", "0e-05", "hello\\"])
_json = st.recursive(
    st.none() | st.booleans() | _numbers | _strings,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_keys, inner, max_size=4),
    max_leaves=12,
)


def _same(a: Any, b: Any) -> bool:
    """Equal as JSON values, telling 1 from 1.0 and -0.0 from 0.0."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return math.copysign(1, a) == math.copysign(1, b) and a == b
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    return bool(a == b)


def _reference(data: bytes) -> tuple[str, Any, bool]:
    try:
        value = jcs.loads(data)
    except (ValueError, RecursionError):
        return ("error", None, False)
    return ("ok", value, jcs.is_canonical(data, value))


def _fast(data: bytes) -> tuple[str, Any, bool]:
    try:
        value, canonical = jcs.loads_checked(data)
    except (ValueError, RecursionError):
        return ("error", None, False)
    return ("ok", value, canonical)


@st.composite
def _payload_bytes(draw: st.DrawFn) -> bytes:
    value = draw(_json)
    how = draw(st.sampled_from(["canonical", "python", "unsorted", "ascii", "mutated"]))
    try:
        if how == "canonical":
            return jcs.canonicalize(value)
        text = json.dumps(
            value,
            separators=(",", ":"),
            sort_keys=how != "unsorted",
            ensure_ascii=how == "ascii",
        )
    except ValueError:
        return b"{}"
    data = bytearray(text.encode("utf-8", "surrogatepass"))
    if how == "mutated" and data:
        for _ in range(draw(st.integers(1, 3))):
            i = draw(st.integers(0, len(data) - 1))
            data[i] = draw(st.sampled_from(b'0159.eE+-" ,:[]{}\\N'))
    return bytes(data)


@settings(max_examples=600, deadline=None)
@given(_payload_bytes())
def test_loads_checked_equals_loads_and_is_canonical(data: bytes) -> None:
    want = _reference(data)
    got = _fast(data)
    assert got[0] == want[0]
    assert got[2] == want[2]
    if want[0] == "ok":
        assert _same(got[1], want[1])


@pytest.mark.parametrize(
    "data",
    [
        b'{"a":1}',
        b'{"a":0.00001}',
        b'{"a":1e-05}',
        b'{"a":1E+16}',
        b'{"a":10000000000000000}',
        b'{"a":9007199254740993}',
        b'{"a":9007199254740992}',
        b'{"a":152.0}',
        b'{"a":152}',
        b'{"b":1,"a":2}',
        b'{"a":1,"a":2}',
        b'{"a":"3e4f00e-0"}',
        b'{"a":NaN}',
        b'{"a":"\\ud800"}',
        b'{"a":"\\u00e9"}',
        '{"a":"é"}'.encode(),
        b' {"a":1}',
        b'{"a":1}x',
        b"[" * 200 + b"]" * 200,
        b'{"a":-0}',
        b'{"a":0.1234567890123456789}',
    ],
)
def test_loads_checked_edge_cases(data: bytes) -> None:
    want = _reference(data)
    got = _fast(data)
    assert got[0] == want[0] and got[2] == want[2], data
    if want[0] == "ok":
        assert _same(got[1], want[1])


# --- canonicalize: the path-free scan and the integral-float fix ------------------------

_deep: Any = 1.0
for _ in range(70):
    _deep = [_deep]


@settings(max_examples=500, deadline=None)
@given(_json)
def test_canonicalize_equals_reference(value: Any) -> None:
    try:
        want = jcs.reference_canonicalize(value)
    except ValueError:
        with pytest.raises(ValueError):
            jcs.canonicalize(value)
        return
    assert jcs.canonicalize(value) == want


@pytest.mark.parametrize(
    "value",
    [
        {"a": 152.0, "b": [-0.0, 1e-5, 1e16, 2.0**53, 2.0**53 + 2, 0.5, 1e21, 1e22]},
        {"calibre_mm": 152.0, "geometry": {"coordinates": (35.0, 47.5)}},
        [[[[[[3.0]]]]]],
        _deep,
        {"a": [1, {1: 2}]},
        {"a": float("nan")},
        {"é": 1.0, "e": 2.5},
    ],
)
def test_canonicalize_examples_equal_reference(value: Any) -> None:
    try:
        want = jcs.reference_canonicalize(value)
    except ValueError as exc:
        with pytest.raises(ValueError) as got:
            jcs.canonicalize(value)
        assert str(got.value) == str(exc)  # the same field named
        return
    assert jcs.canonicalize(value) == want
