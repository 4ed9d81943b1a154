"""The `truceline simulate` and `truceline demo` commands."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from truceline.cli import app

runner = CliRunner()


def test_simulate_writes_the_files(tmp_path: Path) -> None:
    out = tmp_path / "sim"
    result = runner.invoke(
        app,
        [
            "simulate",
            "--out",
            str(out),
            "--scenario",
            "corridor",
            "--days",
            "0.25",
            "--seed",
            "5",
            "--start",
            "2026-07-01T06:00:00Z",
            "--workers",
            "1",
        ],
    )
    assert result.exit_code == 0, result.output
    for name in (
        "agreement.yaml",
        "sensors.json",
        "observations.jsonl",
        "truth.jsonl",
        "scenario.json",
    ):
        assert (out / name).is_file()
    info = json.loads((out / "scenario.json").read_text())
    assert info["start"] == "2026-07-01T06:00:00Z" and info["days"] == 0.25
    assert "observations" in result.output


def test_simulate_reports_bad_input_by_field(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("base: duel\nworld: {buffer_km: -1}\n")
    result = runner.invoke(app, ["simulate", "--out", str(tmp_path / "x"), "--scenario", str(bad)])
    assert result.exit_code == 1
    assert "world.buffer_km" in result.output
    result = runner.invoke(app, ["simulate", "--out", str(tmp_path / "x"), "--start", "yesterday"])
    assert result.exit_code == 1 and "--start" in result.output


def test_demo_command_prints_the_summary(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["demo", "--home", str(tmp_path / "home"), "--days", "0.2", "--seed", "2"]
    )
    assert result.exit_code == 0, result.output
    assert "observations generated" in result.output and "ledger size" in result.output
    again = runner.invoke(app, ["demo", "--home", str(tmp_path / "home")])
    assert again.exit_code == 1 and "not empty" in again.output
