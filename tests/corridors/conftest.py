"""A simulated mission with deterred corridors, built once through the CLI (about 20 s)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from truceline.cli import app

runner = CliRunner()
SEED = 31  # never used in tuning (tuning used seeds 1, 101 and 202)
DAYS = 6


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


def build(root: Path, days: int) -> Sim:
    """simulate (preset `deterrence`, `days` days), init, sensor add, ingest, fuse."""
    sim, home = root / "sim", root / "home"
    done = f"2026-06-{days + 1:02d}T00:30:00Z"
    cli("simulate", "--seed", str(SEED), "--scenario", "deterrence", "--days", str(days),
        "--out", str(sim), "--workers", "1")  # fmt: skip
    cli("init", "--home", str(home), "--agreement", str(sim / "agreement.yaml"),
        "--signers", str(sim / "keys" / "signatories"))  # fmt: skip
    cli("sensor", "add", "--home", str(home), "--from", str(sim / "sensors.json"),
        "--effective-at", "2026-05-01T00:00:00Z")  # fmt: skip
    cli("ingest", "--home", str(home), "--now", done, str(sim / "observations.jsonl"))
    cli("fuse", "--home", str(home), "--now", done)
    return Sim(home, sim)


@pytest.fixture(scope="session")
def deterred(tmp_path_factory: pytest.TempPathFactory) -> Sim:
    return build(tmp_path_factory.mktemp("corridors"), DAYS)
