"""A simulated mission with deterred corridors, built once through the CLI (about 20 s)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from truceline.cli import app

runner = CliRunner()
SEED = 31  # never used in tuning (tuning used seed 1)
DAYS = 6
DONE_AT = "2026-06-07T00:30:00Z"


def cli(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, (args, result.output)
    return result.stdout


@dataclass
class Sim:
    home: Path
    sim: Path

    @property
    def h(self) -> str:
        return str(self.home)


@pytest.fixture(scope="session")
def deterred(tmp_path_factory: pytest.TempPathFactory) -> Sim:
    root = tmp_path_factory.mktemp("corridors")
    sim, home = root / "sim", root / "home"
    cli(
        "simulate",
        "--seed",
        str(SEED),
        "--scenario",
        "deterrence",
        "--days",
        str(DAYS),
        "--out",
        str(sim),
        "--workers",
        "1",
    )
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
    cli("ingest", "--home", str(home), "--now", DONE_AT, str(sim / "observations.jsonl"))
    cli("fuse", "--home", str(home), "--now", DONE_AT)
    return Sim(home, sim)
