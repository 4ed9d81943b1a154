"""Malformed input never crashes ingest: every rejection has a reason code and a field."""

from __future__ import annotations

import base64
import itertools
import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from truceline.codec import keys, records
from truceline.codec.jcs import canonicalize
from truceline.ingest.check import Checked, check_envelope
from truceline.ingest.reasons import Reason, Rejection
from truceline.observation import OBSERVATION_TYPE

from .conftest import World, make_world, obs

KEY = keys.generate()
KID = keys.key_id(KEY.public_key())
TABLE = {KID: ("radar-1", keys.raw_public(KEY.public_key()))}
GOOD = records.seal(OBSERVATION_TYPE, obs(), KEY, KID)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=10), c, max_size=4),
    max_leaves=15,
)


def _assert_rejection(result: Checked | Rejection) -> None:
    if isinstance(result, Checked):
        return
    assert isinstance(result.reason, Reason)
    assert result.field and result.message


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes(data: bytes) -> None:
    result = check_envelope(data, TABLE)
    assert isinstance(result, Rejection)
    _assert_rejection(result)


@settings(max_examples=200, deadline=None)
@given(json_values)
def test_random_json(value: Any) -> None:
    data = json.dumps(value).encode()
    result = check_envelope(data, TABLE)
    assert isinstance(result, Rejection)
    _assert_rejection(result)


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=len(GOOD) - 1), st.integers(min_value=0, max_value=255))
def test_byte_mutations_of_a_valid_envelope(pos: int, value: int) -> None:
    data = bytearray(GOOD)
    data[pos] = value
    _assert_rejection(check_envelope(bytes(data), TABLE))


envelope_fields = st.fixed_dictionaries(
    {},
    optional={
        "payload": st.one_of(st.text(max_size=40), json_values),
        "payloadType": st.one_of(st.just(OBSERVATION_TYPE), json_values),
        "signatures": st.one_of(
            st.lists(
                st.fixed_dictionaries(
                    {}, optional={"keyid": st.one_of(st.just(KID), json_values), "sig": json_values}
                ),
                max_size=3,
            ),
            json_values,
        ),
    },
)


@settings(max_examples=200, deadline=None)
@given(envelope_fields)
def test_structural_garbage(doc: dict[str, Any]) -> None:
    result = check_envelope(json.dumps(doc).encode(), TABLE)
    assert isinstance(result, Rejection)
    _assert_rejection(result)


def _mutate(body: dict[str, Any], path: list[str], value: Any) -> dict[str, Any]:
    target = body
    for p in path[:-1]:
        target = target[p]
    target[path[-1]] = value
    return body


paths = st.sampled_from(
    [
        ["sensor"],
        ["seq"],
        ["observed_at"],
        ["kind"],
        ["geometry"],
        ["geometry", "type"],
        ["geometry", "coordinates"],
        ["uncertainty_m"],
        ["attributes"],
        ["attributes", "origin"],
        ["attributes", "provenance"],
        ["attributes", "weapon_class"],
        ["extra"],
    ]
)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(paths, json_values)
def test_validly_signed_bad_observations(path: list[str], value: Any) -> None:
    """The signature is good; the payload is wrong in one field: the rejection names a field."""
    body = _mutate(obs(), path, value)
    try:
        payload = canonicalize(body)
    except ValueError:
        payload = json.dumps(body, allow_nan=True).encode()
    env = {
        "payload": base64.b64encode(payload).decode(),
        "payloadType": OBSERVATION_TYPE,
        "signatures": [
            {
                "keyid": KID,
                "sig": base64.b64encode(
                    KEY.sign(
                        b"DSSEv1 %d %b %d %b"
                        % (len(OBSERVATION_TYPE), OBSERVATION_TYPE.encode(), len(payload), payload)
                    )
                ).decode(),
            }
        ],
    }
    result = check_envelope(json.dumps(env).encode(), TABLE)
    _assert_rejection(result)
    if isinstance(result, Rejection) and result.reason is Reason.invalid_observation:
        assert result.field.startswith("payload")


@pytest.fixture(scope="module")
def shared_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("props")
    world = make_world(tmp, f"sqlite:///{tmp}/s.db")
    yield world
    world.ingestor.close()
    world.ledger.close()


_seq = itertools.count(1)


@settings(max_examples=15, deadline=None)
@given(st.lists(st.binary(max_size=200), min_size=1, max_size=12))
def test_garbage_and_good_in_one_batch(shared_world: World, junk: list[bytes]) -> None:
    """Results line up with the input; good envelopes are appended, the rest quarantined."""
    world = shared_world
    good = [world.seal(obs(seq=next(_seq))) for _ in junk]
    batch = [x for pair in zip(junk, good, strict=True) for x in pair]
    before = sum(world.ingestor.quarantine.counts().values())
    results = world.ingestor.ingest(batch)
    assert len(results) == len(batch)
    assert all(r.accepted for r in results[1::2])
    for r in results[::2]:
        assert not r.accepted and r.reason and r.field and r.quarantine_id
    assert sum(world.ingestor.quarantine.counts().values()) == before + len(junk)
