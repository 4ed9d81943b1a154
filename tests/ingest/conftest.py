"""A real TileLog on a temporary directory, a store on SQLite or PostgreSQL, a mission and sensors."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from truceline.clock import FixedClock
from truceline.codec import keys, records
from truceline.ingest.ingestor import Ingestor
from truceline.ledger.logsign import Ed25519NoteSigner
from truceline.ledger.tilelog import TileLog
from truceline.observation import OBSERVATION_TYPE
from truceline.registry.model import Register, Sensor
from truceline.registry.state import seal_event
from truceline.store.base import open_store

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@dataclass
class World:
    ledger: TileLog
    ingestor: Ingestor
    clock: FixedClock
    mission: Ed25519PrivateKey
    mission_kid: str
    sensor_keys: dict[str, Ed25519PrivateKey]
    store_url: str
    log_vkey: str = ""
    log_key: Ed25519PrivateKey | None = None

    def kid(self, sensor: str) -> str:
        return keys.key_id(self.sensor_keys[sensor].public_key())

    def register(self, sensor: str, kind: str = "weapon_locating_radar", at: datetime = T0) -> None:
        key = keys.generate()
        self.sensor_keys[sensor] = key
        s = Sensor(
            id=sensor,
            kind=kind,
            operator="mission",
            public_key=keys.public_key_b64(key.public_key()),
        )
        self.ledger.append(
            [seal_event(Register(effective_at=at, sensor=s), self.mission, self.mission_kid)]
        )

    def seal(self, obs: dict[str, Any], sensor: str | None = None) -> bytes:
        who = sensor or obs["sensor"]
        return records.seal(OBSERVATION_TYPE, obs, self.sensor_keys[who], self.kid(who))


def obs(sensor: str = "radar-1", seq: int = 1, at: datetime = T0, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "sensor": sensor,
        "seq": seq,
        "observed_at": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "kind": "impact",
        "geometry": {"type": "Point", "coordinates": [35.5, 47.55]},
        "uncertainty_m": 120.5,
        "attributes": {"perception": "recorded", "weapon_class": "artillery"},
    }
    body.update(extra)
    return body


def make_world(tmp: Path, store_url: str, **kw: Any) -> World:
    engine = open_store(store_url)
    log_key = keys.generate()
    ledger = TileLog.create(
        tmp / "log", "test.truceline/log", Ed25519NoteSigner("test.truceline/log", log_key), engine
    )
    mission = keys.generate()
    mkid = keys.key_id(mission.public_key())
    clock = FixedClock(T0 + timedelta(minutes=1))
    w = World(ledger, None, clock, mission, mkid, {}, store_url)  # type: ignore[arg-type]
    from truceline.ledger import note

    w.log_key = log_key
    w.log_vkey = note.Ed25519Verifier(
        "test.truceline/log", keys.raw_public(log_key.public_key())
    ).vkey
    w.register("radar-1")
    w.register("gateway", kind="import_gateway")
    w.ingestor = Ingestor(ledger, engine, {mkid: mission.public_key()}, clock, **kw)
    return w


@pytest.fixture
def world(tmp_path: Path, store_url: str) -> Iterator[World]:
    w = make_world(tmp_path, store_url)
    yield w
    w.ingestor.close()
    w.ledger.close()
