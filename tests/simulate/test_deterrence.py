"""Deterrence in the simulator: corridor hazards answer to detection and penalties."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from truceline.cli import app
from truceline.simulate import config

runner = CliRunner()


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("deterrence")
    args = ["simulate", "--out", str(out), "--scenario", "deterrence", "--seed", "21"]
    result = runner.invoke(app, [*args, "--workers", "1"])
    assert result.exit_code == 0, result.output
    return out


def _hazards(sim: Path) -> list[dict[str, object]]:
    lines = (sim / "truth.jsonl").read_text().splitlines()
    return [h for h in map(json.loads, lines) if h["type"] == "corridor_hazard"]


def test_truth_has_one_hazard_per_corridor_and_window(sim: Path) -> None:
    hazards = _hazards(sim)
    keys = {(h["corridor"], tuple(h["window"])) for h in hazards}  # type: ignore[arg-type]
    assert len(keys) == len(hazards) == 4 * 10  # 4 corridors, 10 daily windows
    for h in hazards:
        assert 0 <= h["p_breach"] < 1  # type: ignore[operator]


def test_watched_penalised_corridor_is_safer_by_the_known_effect(sim: Path) -> None:
    info = json.loads((sim / "scenario.json").read_text())["deterrence"]["corridors"]
    watched, open_ = info["corridor-1"], info["corridor-2"]
    assert watched["p_detect"] > 0.8 > 0.3 > open_["p_detect"]
    ratio = watched["detection_factor"] / open_["detection_factor"]
    assert ratio == pytest.approx(
        pow(2.718281828459045, -2.0 * (watched["p_detect"] - open_["p_detect"])), rel=1e-3
    )
    # realised corridor attacks follow the hazard: the watched corridor gets far fewer
    events = [json.loads(x) for x in (sim / "truth.jsonl").read_text().splitlines()]
    assert watched["expected_attacks"] < 0.4 * open_["expected_attacks"]
    hits = sum(1 for e in events if e["type"] == "event" and "art-5" in e["rules"])
    assert hits > 0


def test_penalty_in_force_cuts_the_firers_hazard(sim: Path) -> None:
    by = {}
    for h in _hazards(sim):
        if h["corridor"] == "corridor-1":
            by[h["window"][0][:10]] = h  # type: ignore[index]
    assert by["2026-06-03"]["penalty_factor"] == 1.0
    assert by["2026-06-09"]["penalty_factor"] == 0.35


def test_presets_without_deterrence_write_no_hazards(tmp_path: Path) -> None:
    assert config.load("corridor").behaviour.deterrence is None
    out = tmp_path / "c"
    args = ["simulate", "--out", str(out), "--scenario", "corridor", "--days", "0.5"]
    assert runner.invoke(app, [*args, "--workers", "1"]).exit_code == 0
    assert "corridor_hazard" not in (out / "truth.jsonl").read_text()


def test_unknown_penalised_party_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "base: deterrence\nbehaviour: {deterrence: {penalties: [{party: north, in_force_from_day: 1}]}}\n"
    )
    result = runner.invoke(app, ["simulate", "--out", str(tmp_path / "x"), "--scenario", str(bad)])
    assert result.exit_code != 0
    assert "penalties[0].party 'north' is not a party" in result.output
