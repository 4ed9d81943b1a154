"""A mission built the way an operator builds one, through the CLI, shared by the suites that
need a real simulated home (adversarial attacks, publication, metrics, the daily report).

`truceline simulate` (a day of an artillery duel) -> `init` with the signatories' keys ->
`sensor add` -> `ingest` -> `fuse` -> `enforce`: about 10 s, once per test session
(`simulated_mission` in tests/conftest.py). Tests that change it work on a copy.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from typer.testing import CliRunner

from truceline.cli import app
from truceline.codec import keys

SEED = 11
INGESTED_AT = "2026-06-02T00:30:00Z"
FUSED_AT = "2026-06-02T01:00:00Z"  # the day's feed fused as a batch, after it ended
ENFORCE_AT = "2026-06-05T00:00:00Z"
SERVED_AT = "2026-06-05T01:00:00Z"  # the clock of the mission's server in the tests


def server(home: Path) -> Any:
    """The mission's HTTP API on `home`, its clock at SERVED_AT (the simulated day's
    evidence is then days old, not months: within the agreement's time bounds)."""
    from datetime import datetime

    from truceline.api import create_app
    from truceline.clock import FixedClock
    from truceline.home import Home

    return create_app(Home(home), FixedClock(datetime.fromisoformat(SERVED_AT)))


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


def init_home(sim: Path, home: Path, init_args: tuple[str, ...] = ()) -> None:
    """`init` a home on the simulated agreement and register the simulated sensors;
    `init_args` go to `truceline init` (e.g. `--log-storage URL`)."""
    cli(
        "init",
        "--home",
        str(home),
        "--agreement",
        str(sim / "agreement.yaml"),
        "--signers",
        str(sim / "keys" / "signatories"),
        *init_args,
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


def build_mission(
    root: Path,
    days: float = 1,
    seed: int = SEED,
    enforce_at: str = ENFORCE_AT,
    edit: Callable[[Path], None] | None = None,
    init_args: tuple[str, ...] = (),
) -> Mission:
    """A duel of `days` simulated days (seed `seed`), enforced at `enforce_at`; `edit`, if
    given, changes the simulator's output directory before the home is built from it;
    `init_args` go to `truceline init` (e.g. `--log-storage URL`)."""
    sim = root / "sim"
    cli(
        "simulate",
        "--seed",
        str(seed),
        "--scenario",
        "duel",
        "--days",
        f"{days:g}",
        "--out",
        str(sim),
    )
    if edit is not None:
        edit(sim)
    home = root / "home"
    init_home(sim, home, init_args)
    # The day's recorded feed, arriving as it ended (its evidence is then fresh).
    cli("ingest", "--home", str(home), "--now", INGESTED_AT, str(sim / "observations.jsonl"))
    cli("fuse", "--home", str(home), "--now", FUSED_AT)
    cli("enforce", "--home", str(home), "--now", enforce_at)
    return Mission(home, sim)
