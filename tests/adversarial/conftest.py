"""A mission built the way an operator builds one, through the CLI, for the attacks to target.

`truceline simulate` (a day of an artillery duel) -> `init` with the signatories' keys ->
`sensor add` -> `ingest` -> `fuse` -> `enforce`. Each test works on its own copy of the
home (`mission` fixture), so an attack never leaks into the next one.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from typer.testing import CliRunner

from truceline.cli import app
from truceline.codec import keys, records
from truceline.observation import OBSERVATION_TYPE, format_time

SEED = 11
FUSED_AT = "2026-06-02T01:00:00Z"  # the day's feed fused as a batch, after it ended
ENFORCE_AT = "2026-06-05T00:00:00Z"
runner = CliRunner()


def cli(*args: str, ok: bool = True) -> str:
    """Run a `truceline` command; with `ok`, fail the test unless it exits 0."""
    result = runner.invoke(app, list(args))
    if ok:
        assert result.exit_code == 0, (args, result.output)
    return result.output


def cli_result(*args: str) -> Any:
    return runner.invoke(app, list(args))


@dataclass
class Mission:
    home: Path
    sim: Path

    @property
    def h(self) -> str:
        return str(self.home)

    def sensor_key(self, sensor: str) -> Ed25519PrivateKey:
        return keys.load_private_key(self.sim / "keys" / f"{sensor}.key")

    def signatory_key(self, signatory: str) -> Ed25519PrivateKey:
        return keys.load_private_key(self.sim / "keys" / "signatories" / f"{signatory}.key")

    def incidents(self) -> list[dict[str, Any]]:
        """The logged incidents, as `truceline incidents` shows them (latest state each)."""
        features = json.loads(cli("incidents", "--home", self.h))["features"]
        return [f["properties"] | {"location": f["geometry"]["coordinates"]} for f in features]

    def incident(self, ident: str) -> dict[str, Any]:
        return next(i for i in self.incidents() if i["incident"] == ident)

    def replay(self) -> tuple[int, dict[str, Any]]:
        result = cli_result("replay", "--home", self.h)
        return result.exit_code, json.loads(result.stdout)

    def penalties(self) -> dict[str, Any]:
        return json.loads(cli("penalties", "--home", self.h, "--now", ENFORCE_AT))

    def append_raw(self, tmp: Path, entry: bytes) -> int:
        """`truceline log append`: the log key holder's way around ingest."""
        path = tmp / f"entry-{len(list(tmp.glob('entry-*')))}.json"
        path.write_bytes(entry)
        return int(cli("log", "append", "--home", self.h, str(path)).split()[-1])


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


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Mission:
    root = tmp_path_factory.mktemp("adversarial")
    sim = root / "sim"
    cli("simulate", "--seed", str(SEED), "--scenario", "duel", "--days", "1", "--out", str(sim))
    home = root / "home"
    cli(
        "init",
        "--home",
        str(home),
        "--agreement",
        str(sim / "agreement.yaml"),
        "--signers",
        str(sim / "keys" / "signatories"),
    )
    cli(
        "sensor",
        "add",
        "--home",
        str(home),
        "--from",
        str(sim / "sensors.json"),
        "--effective-at",
        "2026-05-01T00:00:00Z",
    )
    cli("ingest", "--home", str(home), str(sim / "observations.jsonl"))
    cli("fuse", "--home", str(home), "--now", FUSED_AT)
    cli("enforce", "--home", str(home), "--now", ENFORCE_AT)
    return Mission(home, sim)


@pytest.fixture
def mission(built: Mission, tmp_path: Path) -> Iterator[Mission]:
    """A private copy of the built mission."""
    home = tmp_path / "home"
    shutil.copytree(built.home, home)
    yield Mission(home, built.sim)
