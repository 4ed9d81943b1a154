"""The registry as state folded from the ledger's SENSOR_TYPE entries.

Nothing here is stored apart from the log: any party can rebuild the same
registry by replaying the sensor events in log order, verifying each
against the mission keys. Events that fail (bad signature, unknown sensor,
duplicate registration) change nothing and are listed in `problems`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import NamedTuple

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pydantic import ValidationError

from truceline.codec import dsse, entries, records
from truceline.codec.errors import CodecError
from truceline.codec.keys import public_key_from_b64
from truceline.ledger.fold import LedgerFold
from truceline.registry.model import (
    SENSOR_EVENT,
    SENSOR_TYPE,
    Register,
    Revoke,
    Rotate,
    Sensor,
    SensorKind,
    event_json,
)

_SENSOR = (SENSOR_TYPE,)


class KeyState(StrEnum):
    ok = "ok"
    unknown = "unknown_key"  # no such sensor, or the sensor never had this key
    revoked = "revoked"  # the sensor or this key was revoked at or before that time
    rotated_out = "rotated_out"  # the key was replaced before that time
    not_yet_valid = "key_not_yet_valid"  # the key came in by a rotation after that time


@dataclass(frozen=True)
class KeyStatus:
    state: KeyState
    reason: str

    @property
    def ok(self) -> bool:
        return self.state is KeyState.ok


@dataclass
class KeyPeriod:
    keyid: str
    public_key: Ed25519PublicKey
    valid_from: datetime | None  # None: from the start (a sensor's first key)
    valid_until: datetime | None = None  # set by the rotation that replaced it
    revoked_at: datetime | None = None
    # Log positions: the entry that introduced the key, and the first that retired it
    # (rotation or revocation). Records whose time is the time they were logged (the
    # mission's own transitions) are judged by these, not by event time.
    from_index: int = 0
    until_index: int | None = None


@dataclass
class SensorState:
    sensor: Sensor
    registered_at: datetime
    registered_index: int
    keys: list[KeyPeriod] = field(default_factory=list)
    revoked_at: datetime | None = None
    revoke_reason: str = ""
    revoked_index: int | None = None  # the entry of the (first) revocation of the whole sensor

    @property
    def kind(self) -> SensorKind:
        return self.sensor.kind

    @property
    def operator(self) -> str:
        return self.sensor.operator

    @property
    def current_keyid(self) -> str:
        return self.keys[-1].keyid


class RevokedSpan(NamedTuple):
    """What a revocation takes back: the sensor's reports dated in [since, until) (until
    None: no end), all of them or, with `keyid`, that key's."""

    entry: int  # the revocation's ledger index
    sensor: str
    keyid: str | None
    since: datetime
    until: datetime | None
    reason: str


@dataclass
class Registry(LedgerFold):
    """Sensors by id; feed it entries with `apply` or `catch_up`."""

    mission_keys: Mapping[str, Ed25519PublicKey]
    sensors: dict[str, SensorState] = field(default_factory=dict)
    problems: list[tuple[int, str]] = field(default_factory=list)
    # Revocations as applied, in log order; adjudication re-judges what they taint.
    revocations: list[RevokedSpan] = field(default_factory=list)
    size: int = 0  # ledger entries seen so far
    _by_keyid: dict[str, tuple[str, KeyPeriod]] = field(default_factory=dict)

    # --- folding ---------------------------------------------------------------

    def apply(self, index: int, entry: bytes) -> bool:
        """Fold one ledger entry; False if it is not a (valid) sensor event."""
        self.size = max(self.size, index + 1)
        got = entries.read(index, entry, _SENSOR)
        if got is None:
            return False
        if isinstance(got, entries.Malformed):
            self.problems.append((index, f"sensor event ignored: {got.reason}"))
            return False
        try:
            dsse.verify(got.envelope, self.mission_keys)
            event = SENSOR_EVENT.validate_python(got.payload)
        except (CodecError, ValidationError) as exc:
            self.problems.append((index, f"sensor event ignored: {exc}"))
            return False
        problem = self.apply_event(index, event)
        if problem:
            self.problems.append((index, problem))
            return False
        return True

    def apply_event(self, index: int, event: Register | Rotate | Revoke) -> str | None:
        if isinstance(event, Register):
            s = event.sensor
            if s.id in self.sensors:
                return f"sensor {s.id!r} is already registered"
            if s.keyid in self._by_keyid:
                return f"key {s.keyid} already belongs to sensor {self._by_keyid[s.keyid][0]!r}"
            period = KeyPeriod(s.keyid, public_key_from_b64(s.public_key), None, from_index=index)
            state = SensorState(s, event.effective_at, index, [period])
            if s.status == "revoked":
                state.revoked_at = event.effective_at
                state.revoked_index = index
            self.sensors[s.id] = state
            self._by_keyid[s.keyid] = (s.id, period)
            return None
        found = self.sensors.get(event.sensor_id)
        if found is None:
            return f"{event.action} names unregistered sensor {event.sensor_id!r}"
        state = found
        if isinstance(event, Rotate):
            if event.keyid in self._by_keyid:
                return f"key {event.keyid} is already registered"
            previous = state.keys[-1]
            if previous.valid_from is not None and event.effective_at <= previous.valid_from:
                return "rotation must be effective after the current key's start"
            previous.valid_until = event.effective_at
            previous.until_index = _first(previous.until_index, index)
            period = KeyPeriod(
                event.keyid,
                public_key_from_b64(event.public_key),
                event.effective_at,
                from_index=index,
            )
            state.keys.append(period)
            self._by_keyid[event.keyid] = (state.sensor.id, period)
            return None
        if event.keyid is not None:
            for period in state.keys:
                if period.keyid == event.keyid:
                    period.revoked_at = _earliest(period.revoked_at, event.effective_at)
                    period.until_index = _first(period.until_index, index)
                    # The key signs only what is dated within its period, so its reports
                    # from the revocation on are those dated in this span.
                    since = max(period.revoked_at, period.valid_from or period.revoked_at)
                    self.revocations.append(
                        RevokedSpan(
                            index,
                            event.sensor_id,
                            event.keyid,
                            since,
                            period.valid_until,
                            event.reason,
                        )
                    )
                    return None
            return f"sensor {event.sensor_id!r} has no key {event.keyid}"
        state.revoked_at = _earliest(state.revoked_at, event.effective_at)
        state.revoked_index = _first(state.revoked_index, index)
        state.revoke_reason = event.reason
        assert state.revoked_at is not None
        self.revocations.append(
            RevokedSpan(index, event.sensor_id, None, state.revoked_at, None, event.reason)
        )
        return None

    # --- queries ---------------------------------------------------------------

    def get(self, sensor_id: str) -> SensorState | None:
        return self.sensors.get(sensor_id)

    def public_key(self, sensor_id: str, keyid: str) -> Ed25519PublicKey | None:
        """The key `keyid` if it belongs to `sensor_id` (whatever its status)."""
        hit = self._by_keyid.get(keyid)
        if hit is None or hit[0] != sensor_id:
            return None
        return hit[1].public_key

    def key_status(self, sensor_id: str, keyid: str, at_time: datetime) -> KeyStatus:
        """May `keyid` sign for `sensor_id` something that happened at `at_time`?"""
        state = self.sensors.get(sensor_id)
        if state is None:
            return KeyStatus(KeyState.unknown, f"sensor {sensor_id!r} is not registered")
        hit = self._by_keyid.get(keyid)
        if hit is None or hit[0] != sensor_id:
            return KeyStatus(
                KeyState.unknown, f"key {keyid!r} is not a key of sensor {sensor_id!r}"
            )
        period = hit[1]
        if state.revoked_at is not None and at_time >= state.revoked_at:
            return KeyStatus(
                KeyState.revoked,
                f"sensor {sensor_id!r} was revoked from {state.revoked_at.isoformat()}",
            )
        if period.revoked_at is not None and at_time >= period.revoked_at:
            return KeyStatus(
                KeyState.revoked, f"key {keyid} was revoked from {period.revoked_at.isoformat()}"
            )
        if period.valid_until is not None and at_time >= period.valid_until:
            return KeyStatus(
                KeyState.rotated_out,
                f"key {keyid} was rotated out at {period.valid_until.isoformat()}",
            )
        if period.valid_from is not None and at_time < period.valid_from:
            return KeyStatus(
                KeyState.not_yet_valid,
                f"key {keyid} is valid only from {period.valid_from.isoformat()}",
            )
        return KeyStatus(KeyState.ok, "ok")

    def key_status_logged(self, sensor_id: str, keyid: str, index: int) -> KeyStatus:
        """May `keyid` sign for `sensor_id` a record logged at ledger index `index`?

        For records whose time is the time they were logged (the mission's transitions):
        the key must have been introduced by an earlier entry and not yet retired."""
        state = self.sensors.get(sensor_id)
        hit = self._by_keyid.get(keyid)
        if state is None or hit is None or hit[0] != sensor_id:
            return KeyStatus(
                KeyState.unknown, f"key {keyid!r} is not a registered key of {sensor_id!r}"
            )
        period = hit[1]
        if period.from_index >= index:
            return KeyStatus(
                KeyState.not_yet_valid,
                f"key {keyid} was introduced at entry {period.from_index}, after this record",
            )
        retired = _first(state.revoked_index, period.until_index)
        if retired is not None and retired < index:
            return KeyStatus(KeyState.revoked, f"key {keyid} was retired at entry {retired}")
        return KeyStatus(KeyState.ok, "ok")

    def owner(self, keyid: str) -> SensorState | None:
        """The sensor (principal) a key was ever registered to."""
        hit = self._by_keyid.get(keyid)
        return self.sensors.get(hit[0]) if hit is not None else None

    def kind(self, sensor_id: str) -> SensorKind | None:
        state = self.sensors.get(sensor_id)
        return state.kind if state else None

    def operator(self, sensor_id: str) -> str | None:
        state = self.sensors.get(sensor_id)
        return state.operator if state else None

    def active(self, at_time: datetime | None = None) -> list[SensorState]:
        """Sensors not revoked (at `at_time`, or at all when None), by id."""
        out = []
        for sid in sorted(self.sensors):
            st = self.sensors[sid]
            if st.revoked_at is None or (at_time is not None and at_time < st.revoked_at):
                out.append(st)
        return out


def _earliest(a: datetime | None, b: datetime) -> datetime:
    return b if a is None else min(a, b)


def _first(a: int | None, b: int | None) -> int | None:
    return b if a is None else (a if b is None else min(a, b))


def seal_event(
    event: Register | Rotate | Revoke, mission_key: Ed25519PrivateKey, keyid: str
) -> bytes:
    """The ledger entry for a sensor event, signed by the mission."""
    return records.seal(SENSOR_TYPE, event_json(event), mission_key, keyid)
