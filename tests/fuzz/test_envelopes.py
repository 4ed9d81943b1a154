"""Fuzzing ingest's check of an envelope: hostile payload values signed by a registered key,
hostile signature lists, hostile nesting and byte mutations. Whatever arrives, the check
gives an accepted envelope or a rejection with a reason code, a field and a message."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from truceline.codec import dsse, jcs
from truceline.codec.jcs import canonicalize
from truceline.ingest.check import Checked, check_envelope
from truceline.ingest.reasons import Reason, Rejection
from truceline.observation import MAX_SIGNATURES, OBSERVATION_TYPE, Observation

from .conftest import FUZZ, KID, TABLE
from .make_corpus import CORPUS_KEY
from .pools import BOWTIE, deep, depths, hostile, json_values

GOOD: dict[str, Any] = {
    "sensor": "radar-1",
    "seq": 1,
    "observed_at": "2026-03-01T12:00:00Z",
    "kind": "impact",
    "geometry": {"type": "Point", "coordinates": [35.5, 47.55]},
    "uncertainty_m": 120.5,
    "attributes": {"perception": "recorded", "calibre_mm": 152, "count": 2},
}
PATHS = [
    ("seq",),
    ("observed_at",),
    ("kind",),
    ("uncertainty_m",),
    ("sensor",),
    ("geometry",),
    ("geometry", "coordinates"),
    ("geometry", "coordinates", 0),
    ("attributes",),
    ("attributes", "calibre_mm"),
    ("attributes", "count"),
    ("attributes", "bearing_deg"),
    ("attributes", "distance_band_m"),
    ("attributes", "frp_mw"),
    ("attributes", "confidence"),
    ("attributes", "origin"),
    ("attributes", "provenance"),
    ("attributes", "media_sha256"),
    ("attributes", "own"),
]
GEOMETRIES = [
    {"type": "Polygon", "coordinates": BOWTIE},
    {"type": "Polygon", "coordinates": [[[35.0, 47.0], [35.1, 47.0], [35.0, 47.0]]]},
    {"type": "LineString", "coordinates": [[35.0, 47.0]]},
    {"type": "Point", "coordinates": [True, 47.0]},
    {"type": "Point", "coordinates": [180.0000001, 47.0]},
    {"type": "Circle", "coordinates": [35.0, 47.0]},
]


def _checked(raw: bytes) -> Checked | Rejection:
    result = check_envelope(raw, TABLE)
    if isinstance(result, Rejection):
        assert isinstance(result.reason, Reason) and result.field and result.message
    else:
        assert isinstance(result, Checked)
    return result


def _put(obj: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    out = json.loads(json.dumps(obj))
    here = out
    for part in path[:-1]:
        here = here[part]
    here[path[-1]] = value
    return out


@FUZZ
@given(st.sampled_from(PATHS), st.one_of(hostile, st.sampled_from(GEOMETRIES)))
def test_hostile_payload_values(path: tuple[Any, ...], value: Any) -> None:
    obj = _put(GOOD, path, value)
    try:
        payload = canonicalize(obj)
    except ValueError:
        payload = json.dumps(obj).encode()  # no canonical form: sent as it is
    result = _checked(dsse.sign(OBSERVATION_TYPE, payload, CORPUS_KEY, KID).to_json())
    if isinstance(result, Checked):
        # what was accepted reads back the same after Truceline writes it again
        again = Observation.model_validate(jcs.loads(payload))
        written = again.to_json_obj()
        assert Observation.model_validate(jcs.loads(canonicalize(written))).to_json_obj() == written


signature = st.fixed_dictionaries(
    {
        "keyid": st.sampled_from([KID, "", "0" * 16, "x" * 300]),
        "sig": st.sampled_from(["", "AAAA", dsse.b64encode(b"\x01" * 64), "!!", None, 5]),
    }
)


@FUZZ
@given(st.lists(signature, max_size=MAX_SIGNATURES + 3), json_values)
def test_hostile_signature_lists(signatures: list[dict[str, Any]], payload_type: Any) -> None:
    envelope = {
        "payload": dsse.b64encode(canonicalize(GOOD)),
        "payloadType": payload_type if isinstance(payload_type, str) else OBSERVATION_TYPE,
        "signatures": signatures,
    }
    result = _checked(json.dumps(envelope).encode())
    assert isinstance(result, Rejection)  # no signature here verifies
    if len(signatures) > MAX_SIGNATURES and all(
        isinstance(s["sig"], str) and s["sig"] in ("", "AAAA", dsse.b64encode(b"\x01" * 64))
        for s in signatures
    ):
        assert result.reason is Reason.too_many_signatures


@FUZZ
@given(depths, st.sampled_from(["envelope", "payload", "signatures", "attribute"]))
def test_hostile_nesting(depth: int, where: str) -> None:
    if where == "envelope":
        raw = deep(depth).encode()
    elif where == "signatures":
        raw = ('{"payload":"","payloadType":"t","signatures":' + deep(depth) + "}").encode()
    else:
        text = canonicalize(_put(GOOD, ("attributes", "own"), 0)).decode()
        payload = text.replace('"own":0', '"own":' + deep(depth, "0")).encode()
        if where == "payload":
            payload = deep(depth).encode()
        raw = dsse.sign(OBSERVATION_TYPE, payload, CORPUS_KEY, KID).to_json()
    result = _checked(raw)
    if depth > 64:
        assert isinstance(result, Rejection)


@FUZZ
@given(st.data())
def test_byte_mutations(data: st.DataObject) -> None:
    raw = bytearray(dsse.sign(OBSERVATION_TYPE, canonicalize(GOOD), CORPUS_KEY, KID).to_json())
    for _ in range(data.draw(st.integers(1, 4))):
        i = data.draw(st.integers(0, len(raw) - 1))
        op = data.draw(st.sampled_from(["flip", "insert", "delete"]))
        if op == "flip":
            raw[i] ^= 1 << data.draw(st.integers(0, 7))
        elif op == "insert":
            raw[i:i] = data.draw(st.sampled_from([b"[", b"{", b"\\", b'"', b"\x00", b"\xff"]))
        else:
            del raw[i]
    _checked(bytes(raw))
