"""The stateless check with its fast paths decides exactly as the reference path does,
and the pool protocol (packed results, pickled key table) loses nothing.

The reference is `check_envelope` with the fast paths switched off: every envelope through
`Envelope.from_json` and re-encoded, every payload through `jcs.loads` + `jcs.is_canonical`.
"""

from __future__ import annotations

import base64
import json
import pickle
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from truceline.codec import dsse, jcs, keys, records
from truceline.ingest import check
from truceline.ingest.check import Checked, check_chunk, check_envelope, pack, unpack
from truceline.ingest.reasons import Rejection
from truceline.observation import OBSERVATION_TYPE

from .conftest import obs

KEY = keys.generate()
KID = keys.key_id(KEY.public_key())
OTHER = keys.generate()
OTHER_KID = keys.key_id(OTHER.public_key())
# attributes.clock as the field app states it: observed_at (T0) = device_time + offset_s
CLOCK = {
    "device_time": "2026-03-01T11:53:00Z",
    "offset_s": 420.0,
    "accuracy_s": 0.02,
    "synced_at": "2026-03-01T11:40:00Z",
}
TABLE = {
    KID: ("radar-1", keys.raw_public(KEY.public_key())),
    OTHER_KID: ("radar-2", keys.raw_public(OTHER.public_key())),
}


@contextmanager
def _reference_path() -> Iterator[None]:
    saved = (dsse.Envelope.from_canonical_json, check.loads_checked)
    dsse.Envelope.from_canonical_json = classmethod(lambda cls, data: None)  # type: ignore[method-assign,assignment]
    check.loads_checked = lambda data: (lambda v: (v, jcs.is_canonical(data, v)))(jcs.loads(data))
    try:
        yield
    finally:
        dsse.Envelope.from_canonical_json, check.loads_checked = saved  # type: ignore[method-assign]


def _both(raw: bytes) -> tuple[Checked | Rejection, Checked | Rejection]:
    fast = check_envelope(raw, TABLE)
    with _reference_path():
        slow = check_envelope(raw, TABLE)
    return fast, slow


def _envelope(
    payload: bytes, signers: list[tuple[Any, str]], ptype: str = OBSERVATION_TYPE
) -> bytes:
    env = dsse.Envelope(ptype, payload)
    for key, kid in signers:
        env = env.with_signature(key, kid)
    return env.to_json()


_payloads = st.sampled_from(
    [
        jcs.canonicalize(obs(seq=7)),
        jcs.canonicalize(obs(seq=7, sensor="radar-2")),
        jcs.canonicalize({**obs(seq=8), "uncertainty_m": 0.00001}),
        json.dumps(obs(seq=9)).encode(),
        jcs.canonicalize({**obs(seq=10), "seq": 2**53 + 1.0}),
        jcs.canonicalize({**obs(seq=11), "uncertainty_m": -1}),
        b'{"seq":1e400}',
        b"[1,2",
        jcs.canonicalize({**obs(seq=12), "kind": "\u00e9"}),
        b'{"a":"\\u00e9"}',
    ]
)


@settings(max_examples=150, deadline=None)
@given(
    payload=_payloads,
    signers=st.lists(st.sampled_from([(KEY, KID), (OTHER, OTHER_KID), (KEY, "nokey")]), max_size=3),
    ptype=st.sampled_from([OBSERVATION_TYPE, "application/json"]),
    mutation=st.one_of(st.none(), st.tuples(st.integers(0, 2000), st.integers(0, 255))),
    form=st.sampled_from(["canonical", "spaced", "urlsafe"]),
)
def test_fast_path_decides_as_the_reference(
    payload: bytes,
    signers: list[tuple[Any, str]],
    ptype: str,
    mutation: tuple[int, int] | None,
    form: str,
) -> None:
    raw = _envelope(payload, signers, ptype)
    if form == "spaced":
        raw = json.dumps(json.loads(raw), indent=1).encode()
    elif form == "urlsafe":
        doc = json.loads(raw)
        doc["payload"] = base64.urlsafe_b64encode(payload).decode().rstrip("=")
        raw = json.dumps(doc).encode()
    if mutation is not None:
        pos, value = mutation
        buf = bytearray(raw)
        buf[pos % len(buf)] = value
        raw = bytes(buf)
    fast, slow = _both(raw)
    assert fast == slow


def test_accepted_canonical_envelope_is_its_own_entry() -> None:
    raw = records.seal(OBSERVATION_TYPE, obs(seq=3), KEY, KID)
    fast, slow = _both(raw)
    assert isinstance(fast, Checked) and fast == slow
    assert fast.entry is raw  # no re-encoding
    two = _envelope(jcs.canonicalize(obs(seq=3)), [(KEY, KID), (KEY, "nokey")])
    fast, slow = _both(two)
    assert isinstance(fast, Checked) and fast == slow
    assert fast.entry == raw  # only the verified signature is kept


def test_pool_protocol_round_trip() -> None:
    raws = [
        records.seal(OBSERVATION_TYPE, obs(seq=1), KEY, KID),
        _envelope(jcs.canonicalize(obs(seq=2)), [(KEY, KID), (KEY, "nokey")]),
        b"{not json",
        records.seal(OBSERVATION_TYPE, obs(seq=3, sensor="radar-2"), KEY, KID),
        records.seal(OBSERVATION_TYPE, obs(seq=4, attributes={"clock": CLOCK}), KEY, KID),
    ]
    want = [check_envelope(r, TABLE) for r in raws]
    # the field app's device clock travels from the one parse to the receipt-time check
    assert isinstance(want[-1], Checked) and want[-1].clock is not None
    assert want[-1].clock.offset_s == 420.0
    packed = check_chunk(raws, 101, pickle.dumps(TABLE))
    assert packed[0][0] is None  # type: ignore[index]  # the entry is not sent back
    assert [unpack(r, p) for r, p in zip(raws, packed, strict=True)] == want
    assert [unpack(r, pack(r, c)) for r, c in zip(raws, want, strict=True)] == want
    # the worker keeps the table of a version: a second chunk of that version needs no table
    assert check_chunk(raws[:1], 101, b"") == packed[:1]
    assert check_chunk([], -1, b"") == []
    with pytest.raises(Exception):  # noqa: B017 - an unknown version without its table
        check_chunk(raws[:1], 102, b"")


def test_ingest_checked_equals_ingest(tmp_path: Any) -> None:
    """Pre-checked envelopes (the import path) get the same results as a plain ingest,
    and a key registered after the table was taken is tried again."""
    from .conftest import make_world

    results = []
    for name in ("plain", "prechecked"):
        w = make_world(tmp_path / name, f"sqlite:///{tmp_path / name}.db")  # has radar-1
        table = w.ingestor.key_table()
        w.register("radar-2")  # after the table was taken
        raws = [
            w.seal(obs(seq=1)),
            w.seal(obs(seq=1)),  # replay
            w.seal(obs(sensor="radar-2", seq=4), "radar-2"),
            b"{oops",
        ]
        if name == "plain":
            got = w.ingestor.ingest(raws)
        else:
            with pytest.raises(ValueError, match="checked: 1 results for 4 envelopes"):
                w.ingestor.ingest_checked(raws, [check_envelope(raws[0], table)])
            got = w.ingestor.ingest_checked(raws, [check_envelope(r, table) for r in raws])
        results.append([(r.accepted, r.index, r.reason, r.field, r.seq) for r in got])
        w.ingestor.close()
    assert results[0] == results[1]
    assert [r[0] for r in results[0]] == [True, False, True, False]
