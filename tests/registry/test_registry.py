"""Registry folding: registration, rotation, revocation, and what each does to key status."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from truceline.codec import keys, records
from truceline.registry.model import (
    SENSOR_TYPE,
    Register,
    Revoke,
    Rotate,
    Sensor,
    SensorKind,
    SensorList,
)
from truceline.registry.state import KeyState, Registry, seal_event

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def _sensor(sid: str, key: keys.Ed25519PrivateKey, kind: str = "weapon_locating_radar") -> Sensor:
    return Sensor(
        id=sid,
        kind=SensorKind(kind),
        operator="mission",
        public_key=keys.public_key_b64(key.public_key()),
        location=(37.5, 47.9),
        coverage={"range_km": 30, "sector_deg": (0, 120)},
        error_model={"base_m": 50, "per_km_m": 5},
    )


@pytest.fixture
def mission() -> tuple[keys.Ed25519PrivateKey, str]:
    k = keys.generate()
    return k, keys.key_id(k.public_key())


def _registry(mission: tuple[keys.Ed25519PrivateKey, str], events: list) -> Registry:
    mk, mkid = mission
    reg = Registry({mkid: mk.public_key()})
    reg.apply_all(enumerate(seal_event(e, mk, mkid) for e in events))
    return reg


def test_register_rotate_revoke_key_status(mission: tuple[keys.Ed25519PrivateKey, str]) -> None:
    k1, k2 = keys.generate(), keys.generate()
    id1, id2 = keys.key_id(k1.public_key()), keys.key_id(k2.public_key())
    s = _sensor("radar-1", k1)
    assert s.keyid == id1
    t_rot = T0 + timedelta(days=2)
    t_rev = T0 + timedelta(days=5)
    reg = _registry(
        mission,
        [
            Register(effective_at=T0, sensor=s),
            Rotate(
                effective_at=t_rot,
                sensor_id="radar-1",
                public_key=keys.public_key_b64(k2.public_key()),
            ),
            Revoke(effective_at=t_rev, sensor_id="radar-1", reason="captured"),
        ],
    )
    assert reg.problems == []
    before = T0 - timedelta(days=30)  # backfilled observations: the first key has no start
    assert reg.key_status("radar-1", id1, before).ok
    assert reg.key_status("radar-1", id1, t_rot - timedelta(seconds=1)).ok
    assert reg.key_status("radar-1", id1, t_rot).state is KeyState.rotated_out
    assert (
        reg.key_status("radar-1", id2, t_rot - timedelta(seconds=1)).state is KeyState.not_yet_valid
    )
    assert reg.key_status("radar-1", id2, t_rot).ok
    assert reg.key_status("radar-1", id2, t_rev).state is KeyState.revoked
    assert reg.key_status("radar-1", id2, t_rev + timedelta(days=1)).state is KeyState.revoked
    assert reg.key_status("radar-2", id2, T0).state is KeyState.unknown
    assert reg.key_status("radar-1", "0" * 16, T0).state is KeyState.unknown
    assert reg.kind("radar-1") is SensorKind.weapon_locating_radar
    assert reg.operator("radar-1") == "mission"
    assert reg.active() == [] and len(reg.active(T0)) == 1
    assert "revoked" in reg.key_status("radar-1", id2, t_rev).reason


def test_single_key_revocation(mission: tuple[keys.Ed25519PrivateKey, str]) -> None:
    k1 = keys.generate()
    s = _sensor("cam-1", k1, "camera")
    reg = _registry(
        mission,
        [
            Register(effective_at=T0, sensor=s),
            Revoke(effective_at=T0, sensor_id="cam-1", keyid=s.keyid),
        ],
    )
    assert reg.key_status("cam-1", s.keyid, T0).state is KeyState.revoked
    assert reg.key_status("cam-1", s.keyid, T0 - timedelta(seconds=1)).ok
    assert reg.get("cam-1") is not None and reg.get("cam-1").revoked_at is None  # type: ignore[union-attr]


def test_revocations_say_which_reports_they_take_back(
    mission: tuple[keys.Ed25519PrivateKey, str],
) -> None:
    """A key signs only what is dated within its period: a revoked key takes back its
    reports from the revocation to the rotation that replaced it; a revoked sensor all of
    them from the revocation on (what adjudication re-judges)."""
    k1, k2 = keys.generate(), keys.generate()
    s = _sensor("radar-1", k1)
    t_rot, t_rev = T0 + timedelta(days=2), T0 + timedelta(days=1)
    reg = _registry(
        mission,
        [
            Register(effective_at=T0, sensor=s),
            Rotate(
                effective_at=t_rot,
                sensor_id="radar-1",
                public_key=keys.public_key_b64(k2.public_key()),
            ),
            Revoke(effective_at=t_rev, sensor_id="radar-1", keyid=s.keyid, reason="lost"),
            Revoke(effective_at=T0 + timedelta(days=3), sensor_id="radar-1"),
        ],
    )
    key, sensor = reg.revocations
    assert (key.entry, key.keyid, key.since, key.until, key.reason) == (
        2,
        s.keyid,
        t_rev,
        t_rot,
        "lost",
    )
    assert (sensor.entry, sensor.keyid, sensor.since, sensor.until) == (
        3,
        None,
        T0 + timedelta(days=3),
        None,
    )


def test_bad_events_change_nothing(mission: tuple[keys.Ed25519PrivateKey, str]) -> None:
    mk, mkid = mission
    k1 = keys.generate()
    s = _sensor("radar-1", k1)
    intruder = keys.generate()
    entries = [
        seal_event(Register(effective_at=T0, sensor=s), mk, mkid),
        seal_event(Register(effective_at=T0, sensor=s), mk, mkid),  # duplicate id
        seal_event(Revoke(effective_at=T0, sensor_id="nobody"), mk, mkid),
        # signed by a key that is not the mission's
        seal_event(
            Revoke(effective_at=T0, sensor_id="radar-1"),
            intruder,
            keys.key_id(intruder.public_key()),
        ),
        records.seal("application/other", {"x": 1}, mk, mkid),
        records.seal(SENSOR_TYPE, {"action": "explode"}, mk, mkid),
    ]
    reg = Registry({mkid: mk.public_key()})
    reg.apply_all(enumerate(entries))
    assert reg.size == len(entries)
    assert [i for i, _ in reg.problems] == [1, 2, 3, 5]
    assert reg.key_status("radar-1", s.keyid, T0 + timedelta(days=9)).ok


def test_sensor_validation_names_fields() -> None:
    k = keys.generate()
    with pytest.raises(ValidationError) as err:
        Sensor(
            id="x", kind="radar", operator="mission", public_key=keys.public_key_b64(k.public_key())
        )
    assert err.value.errors()[0]["loc"] == ("kind",)
    with pytest.raises(ValidationError) as err:
        Sensor(id="x", kind="camera", operator="mission", public_key="AAAA")
    assert err.value.errors()[0]["loc"] == ("public_key",)
    with pytest.raises(ValidationError, match="keyid"):
        Sensor(
            id="x",
            kind="camera",
            operator="mission",
            public_key=keys.public_key_b64(k.public_key()),
            keyid="abc",
        )
    with pytest.raises(ValidationError) as err:
        Sensor(
            id="x",
            kind="camera",
            operator="mission",
            public_key=keys.public_key_b64(k.public_key()),
            location=(200, 0),
        )
    assert err.value.errors()[0]["loc"] == ("location",)


def test_sensor_list_file_roundtrip() -> None:
    k = keys.generate()
    doc = {
        "sensors": [
            {
                "id": "acoustic-7",
                "kind": "acoustic_array",
                "operator": "party-a",
                "public_key": keys.public_key_b64(k.public_key()),
            }
        ]
    }
    parsed = SensorList.model_validate(doc)
    assert parsed.sensors[0].keyid == keys.key_id(k.public_key())


@given(
    st.lists(st.integers(min_value=1, max_value=10_000), min_size=0, max_size=4, unique=True),
    st.one_of(st.none(), st.integers(min_value=0, max_value=12_000)),
    st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=4), st.integers(min_value=-100, max_value=12_000)
        ),
        min_size=1,
        max_size=20,
    ),
)
@settings(max_examples=60, deadline=None)
def test_key_status_matches_the_key_periods(
    rotations: list[int], revoke_at: int | None, queries: list[tuple[int, int]]
) -> None:
    """Key k is valid on [start_k, start_k+1), the first from the beginning; revocation ends all."""
    mk = keys.generate()
    mkid = keys.key_id(mk.public_key())
    ks = [keys.generate() for _ in range(len(rotations) + 1)]
    starts = sorted(rotations)
    at = [T0 + timedelta(seconds=s) for s in starts]
    events: list[Register | Rotate | Revoke] = [
        Register(effective_at=T0, sensor=_sensor("s", ks[0]))
    ]
    events += [
        Rotate(effective_at=t, sensor_id="s", public_key=keys.public_key_b64(k.public_key()))
        for t, k in zip(at, ks[1:], strict=True)
    ]
    if revoke_at is not None:
        events.append(Revoke(effective_at=T0 + timedelta(seconds=revoke_at), sensor_id="s"))
    reg = _registry((mk, mkid), events)
    assert reg.problems == []
    bounds = [None, *at, None]
    for which, secs in queries:
        which = min(which, len(ks) - 1)
        t = T0 + timedelta(seconds=secs)
        lo, hi = bounds[which], bounds[which + 1]
        if revoke_at is not None and secs >= revoke_at:
            want = KeyState.revoked
        elif hi is not None and t >= hi:
            want = KeyState.rotated_out
        elif lo is not None and t < lo:
            want = KeyState.not_yet_valid
        else:
            want = KeyState.ok
        assert reg.key_status("s", keys.key_id(ks[which].public_key()), t).state is want
