"""A mission built the way an operator builds one, through the CLI, for the attacks to target.

`truceline simulate` (a day of an artillery duel) -> `init` with the signatories' keys ->
`sensor add` -> `ingest` -> `fuse` -> `enforce`. Each test works on its own copy of the
home (`mission` fixture), so an attack never leaks into the next one.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from tests.publication._notifyhome import ENV, FAST, write_config
from tests.publication._receivers import Receiver, receivers  # noqa: F401 - a fixture

from simulated_home import ENFORCE_AT, SEED, Mission, cli, cli_result, server
from truceline.codec import keys, records
from truceline.home import Home
from truceline.observation import OBSERVATION_TYPE, format_time

__all__ = ["ENFORCE_AT", "SEED", "Mission", "cli", "server", "cli_result"]


def observation(
    sensor: str, seq: int, kind: str, at: datetime, where: tuple[float, float], **attributes: Any
) -> dict[str, Any]:
    return {
        "sensor": sensor,
        "seq": seq,
        "observed_at": format_time(at),
        "kind": kind,
        "geometry": {"type": "Point", "coordinates": list(where)},
        "uncertainty_m": 50,
        "attributes": attributes,
    }


def seal(obj: dict[str, Any], key: Ed25519PrivateKey) -> bytes:
    return records.seal(OBSERVATION_TYPE, obj, key, keys.key_id(key.public_key()))


def when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


# After the clock's now, so after any dispute a test dates by it.
FAR = format_time(when(ENFORCE_AT).replace(year=2027))


def key_file(m: Mission, tmp: Path, who: str, signatory: bool = True) -> str:
    """`who`'s private key (a signatory's, else a sensor's) in a file, for `--key`."""
    path = tmp / f"{who}.key"
    keys.save_private_key(path, m.signatory_key(who) if signatory else m.sensor_key(who))
    return str(path)


def uninspected_verified(m: Mission) -> dict[str, Any]:
    """A verified incident with an accused that no inspection was opened for yet (verified
    at once, not graded weak first): a dispute, dated now by the clock, opens it now."""
    inspected = {
        i.get("incident")
        for i in json.loads(cli("inspections", "--home", m.h, "--now", FAR))["inspections"]
    }
    return next(
        i
        for i in m.incidents()
        if i["state"] == "verified" and i["accused"] and i["incident"] not in inspected
    )


@pytest.fixture(scope="session")
def built(simulated_mission: Mission) -> Mission:
    return simulated_mission


@pytest.fixture
def mission(built: Mission, tmp_path: Path) -> Iterator[Mission]:
    """A private copy of the built mission."""
    home = tmp_path / "home"
    shutil.copytree(built.home, home)
    yield Mission(home, built.sim)


Subscribe = Callable[[str, list[str]], tuple[Receiver, Path]]


@pytest.fixture
def subscribe(
    mission: Mission,
    receivers: Callable[..., Receiver],  # noqa: F811 - the fixture imported above
    monkeypatch: pytest.MonkeyPatch,
) -> Subscribe:
    """`subscribe(name, events)`: a webhook receiver on 127.0.0.1, listed as `name` for
    `events` in the mission's publication.yaml (its secret in the environment), and that
    file, for `truceline notify --config`."""
    for k, v in ENV.items():
        monkeypatch.setenv(k, v)

    def add(name: str, events: list[str]) -> tuple[Receiver, Path]:
        rx = receivers()
        return rx, write_config(Home(mission.home), {name: (rx, {"events": events})}, FAST)

    return add
