"""A mission home fed through the CLI with reports its registered sensors sign themselves:
`truceline init`, `sensor add`, `ingest --now`, `fuse --now`, `incidents`, `replay`.

Two strikes from party-b's side: A (06:00) is seen by the mission radar and heard by a
patrol; B (12:00) by the mission radar and a guarantor's camera. An evening patrol far
away reports five explosions dated hours after both.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from typer.testing import CliRunner

from truceline.cli import app
from truceline.codec.keys import key_id, public_key_b64
from truceline.codec.records import seal
from truceline.observation import OBSERVATION_TYPE

REPO = Path(__file__).resolve().parents[2]
NOW = "2026-06-02T00:30:00Z"
# Guns south of the line (party-b) firing north into party-a, away from zones and sites;
# strike A at 06:00, strike B at 12:00, 22 km west.
GUN_A, HIT_A = (36.60, 47.55), (36.62, 47.75)
GUN_B, HIT_B = (36.30, 47.50), (36.32, 47.76)

# Each sensor's own key (a seed per sensor), as it signs its reports.
SENSORS = {
    "radar-m1": ("weapon_locating_radar", "mission"),
    "camera-g1": ("camera", "guarantor-1"),
    "patrol-m1": ("observer_patrol", "mission"),
    "patrol-m2": ("observer_patrol", "mission"),
}
KEYS = {
    sid: Ed25519PrivateKey.from_private_bytes(bytes([40 + n]) * 32) for n, sid in enumerate(SENSORS)
}


def report(
    sensor: str,
    seq: int,
    at: str,
    kind: str,
    where: tuple[float, float],
    unc: float,
    keys: dict[str, Ed25519PrivateKey] = KEYS,
    **attributes: Any,
) -> str:
    """One signed observation (a DSSE envelope line, as `ingest` reads them), signed with
    the sensor's key in `keys`."""
    obj = {
        "sensor": sensor,
        "seq": seq,
        "kind": kind,
        "observed_at": f"2026-06-01T{at}Z",
        "geometry": {"type": "Point", "coordinates": list(where)},
        "uncertainty_m": unc,
        "attributes": attributes,
    }
    key = keys[sensor]
    return seal(OBSERVATION_TYPE, obj, key, key_id(key.public_key())).decode()


def track(seq: int, at: str, gun: tuple[float, float], hit: tuple[float, float]) -> str:
    origin = {"coordinates": list(gun), "cep_m": 80.0}
    return report(
        "radar-m1", seq, at, "projectile", hit, 60, weapon_class="artillery", origin=origin
    )


# The day's feed: the mission radar's two tracks and a guarantor camera's view of strike B.
FEED = "\n".join(
    [
        track(1, "06:00:00", GUN_A, HIT_A),
        track(2, "12:00:00", GUN_B, HIT_B),
        report("camera-g1", 1, "12:00:30", "impact", (HIT_B[0] + 0.001, HIT_B[1]), 150),
    ]
)
# The patrol 3.3 km north of strike A heard it land, 2-5 km south.
PATROL_LATE = report(
    "patrol-m1",
    1,
    "06:00:40",
    "impact",
    (HIT_A[0], HIT_A[1] + 0.03),
    5000,
    perception="heard",
    bearing_deg=180.0,
    distance_band_m=[2000.0, 5000.0],
)
# The same day's evening patrol, far from both strikes: nothing to join, but dated hours
# after the whole feed.
PATROL_EVENING = "\n".join(
    report(
        "patrol-m2",
        h,
        f"{19 + h}:00:00",
        "explosion",
        (35.40, 47.90),
        3000,
        perception="heard",
        bearing_deg=0.0,
        distance_band_m=[1000.0, 3000.0],
    )
    for h in range(5)
)

runner = CliRunner()


def cli(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, (args, result.output)
    return result.stdout


def open_mission(
    root: Path,
    sensors: dict[str, tuple[str, str]] = SENSORS,
    keys: dict[str, Ed25519PrivateKey] = KEYS,
) -> str:
    """A new home under `root` with `sensors` (id: kind, operator) registered with their
    public keys in `keys`; its path."""
    home = str(root / "home")
    cli("init", "--home", home, "--agreement", str(REPO / "examples" / "agreement.yaml"))
    listing = root / "sensors.json"
    listing.write_text(
        json.dumps(
            [
                {
                    "id": sid,
                    "kind": kind,
                    "operator": op,
                    "public_key": public_key_b64(keys[sid].public_key()),
                }
                for sid, (kind, op) in sensors.items()
            ]
        )
    )
    cli(
        "sensor",
        "add",
        "--home",
        home,
        "--from",
        str(listing),
        "--effective-at",
        "2026-05-01T00:00:00Z",
    )
    return home


def ingest(home: str, name: str, text: str) -> None:
    path = Path(home).parent / name
    path.write_text(text + "\n")
    cli("ingest", "--home", home, "--now", NOW, str(path))


def fuse(home: str) -> dict[str, Any]:
    return dict(json.loads(cli("fuse", "--home", home, "--now", NOW)))


def strikes(home: str) -> dict[str, dict[str, Any]]:
    """The logged incidents' latest transitions by strike (A or B, by location)."""
    out = {}
    for f in json.loads(cli("incidents", "--home", home))["features"]:
        lon = f["geometry"]["coordinates"][0]
        out["A" if abs(lon - HIT_A[0]) < 0.1 else "B"] = f["properties"]
    return out


def replay(home: str) -> dict[str, Any]:
    """`truceline replay`, which must agree with the log."""
    result = runner.invoke(app, ["replay", "--home", home])
    assert result.exit_code == 0, result.output
    return dict(json.loads(result.stdout))
