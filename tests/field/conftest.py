"""The field kit's test home (a copy of the simulated mission per module) and a device's
report, signed as the app signs it."""

from __future__ import annotations

import hashlib
import io
import shutil
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient

from simulated_home import SERVED_AT, cli
from truceline.api import create_app
from truceline.clock import FixedClock
from truceline.codec import dsse, jcs
from truceline.codec.keys import key_id, public_key_b64
from truceline.home import Home
from truceline.observation import OBSERVATION_TYPE

REPORTED_AT = "2026-06-05T01:10:00Z"  # after the device was enrolled (at SERVED_AT)
RECEIVED_AT = "2026-06-05T01:15:00Z"


@pytest.fixture(scope="module")
def field(simulated_mission: Any, tmp_path_factory: pytest.TempPathFactory) -> Any:
    home = tmp_path_factory.mktemp("field") / "home"
    shutil.copytree(simulated_mission.home, home)
    agreement = yaml.safe_load((simulated_mission.sim / "agreement.yaml").read_text())
    team = agreement["inspections"]["teams"][0]
    clock = FixedClock(datetime.fromisoformat(SERVED_AT))
    with TestClient(create_app(Home(home), clock)) as client:
        yield Field(home, team["id"], tuple(team["base"]), client, clock)


class Field:
    def __init__(
        self, home: Path, team: str, base: tuple[float, float], client: Any, clock: Any
    ) -> None:
        self.home, self.team, self.base, self.client, self.clock = home, team, base, client, clock

    def invite(self, member: str) -> str:
        return cli(
            "field", "invite", "--home", str(self.home), "--team", self.team, "--member", member
        ).strip()

    def enrol(self, member: str) -> tuple[Ed25519PrivateKey, dict[str, Any]]:
        key = Ed25519PrivateKey.generate()
        self.clock.at = datetime.fromisoformat(SERVED_AT)
        r = self.client.post(
            "/field/enrol",
            json={"code": self.invite(member), "public_key": public_key_b64(key.public_key())},
        )
        assert r.status_code == 200, r.text
        return key, r.json()

    def report(
        self,
        key: Ed25519PrivateKey,
        sensor: str,
        seq: int,
        media: list[str],
        observed_at: str = REPORTED_AT,
        **extra: Any,
    ) -> bytes:
        """A signed report; `extra`: more attributes."""
        obs = {
            "sensor": sensor,
            "seq": seq,
            "observed_at": observed_at,
            "kind": "impact",
            "geometry": {"type": "Point", "coordinates": list(self.base)},
            "uncertainty_m": 2000,
            "attributes": {
                "perception": "seen",
                "bearing_deg": 45,
                "distance_band_m": [1000, 2000],
                "media_sha256": media,
                "position_accuracy_m": 12.5,
                **extra,
            },
        }
        payload = jcs.canonicalize(obs)
        return dsse.sign(OBSERVATION_TYPE, payload, key, key_id(key.public_key())).to_json()

    def submit(self, envelope: bytes) -> dict[str, Any]:
        self.clock.at = datetime.fromisoformat(RECEIVED_AT)
        r = self.client.post("/observations", content=envelope)
        assert r.status_code == 200, r.text
        return dict(r.json()["results"][0])


def jpeg(when: str | None, lonlat: tuple[float, float] | None, colour: str = "red") -> bytes:
    """A photo with the EXIF a phone writes: its time (with offset) and GPS position."""
    from PIL import Image

    image = Image.new("RGB", (32, 24), colour)
    exif = Image.Exif()
    if when is not None:
        exif.get_ifd(0x8769).update({0x9003: when, 0x9011: "+00:00"})
    if lonlat is not None:
        lon, lat = lonlat

        def dms(x: float) -> tuple[float, float, float]:
            d = int(abs(x))
            m = int((abs(x) - d) * 60)
            return (float(d), float(m), (abs(x) - d - m / 60) * 3600)

        exif.get_ifd(0x8825).update(
            {1: "N" if lat >= 0 else "S", 2: dms(lat), 3: "E" if lon >= 0 else "W", 4: dms(lon)}
        )
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
