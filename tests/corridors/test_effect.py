"""`truceline effect` through the CLI on a small simulated home whose penalty reached the
log (a guarantor's notification at the simulator's pending day): the estimate, its formats,
its comparison with the simulator's truth, and the errors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from tests.corridors.conftest import Sim, build_daily, cli, notify_scripted
from typer.testing import CliRunner

from truceline.cli import app

runner = CliRunner()
SEED = 77  # never used in tuning
SCENARIO = """base: deterrence
name: deterrence-effect-test
days: 8
behaviour:
  deterrence:
    penalties: [{party: east, pending_from_day: 3, in_force_from_day: 4}]
"""
END = "2026-06-10T00:00:00Z"


@pytest.fixture(scope="module")
def penalised(tmp_path_factory: pytest.TempPathFactory) -> Sim:
    root = tmp_path_factory.mktemp("effect")
    (root / "scenario.yaml").write_text(SCENARIO)
    return build_daily(root, SEED, 8, root / "scenario.yaml")


_CASES: dict[str, list[dict]] = {}  # type: ignore[type-arg]


def cases(sim: Sim) -> list[dict]:  # type: ignore[type-arg]
    """`truceline penalties` (once per home: it reads the whole log)."""
    if sim.h not in _CASES:
        _CASES[sim.h] = json.loads(cli("penalties", "--home", sim.h, "--now", END))["penalties"]
    return _CASES[sim.h]


def scripted(sim: Sim) -> dict:  # type: ignore[type-arg]
    return next(c for c in cases(sim) if c["rung"] == "scripted-1")


def error(*args: str) -> str:
    result = runner.invoke(app, ["effect", *args])
    assert result.exit_code == 2, result.output
    return result.output


def test_the_penalty_reached_the_log_when_the_simulator_applied_it(penalised: Sim) -> None:
    case = scripted(penalised)
    assert case["accused"] == "east" and case["status"] == "in_force"
    assert case["opened_at"] == "2026-06-04T00:00:00Z"
    assert case["effective_at"] == "2026-06-05T00:00:00Z"


def test_effect_estimated_with_an_interval_and_scored_against_the_truth(penalised: Sim) -> None:
    case = scripted(penalised)["case"]
    truth = str(penalised.sim / "truth.jsonl")
    doc = json.loads(cli("effect", "--home", penalised.h, "--penalty", case, "--truth", truth))
    assert doc["case"]["id"] == case and doc["controls"] == ["west"]
    front = doc["areas"]["front"]
    assert front["days_before"] == 3 and front["days_after"] >= 3
    est = front["estimate"]
    # eight days of a small front: wide, but the penalty cut east's fire (true ratio 0.35)
    assert 0 < est["rate_ratio_low"] <= est["rate_ratio"] <= est["rate_ratio_high"]
    assert est["rate_ratio"] < 1.0 and est["rate_ratio_low"] < 0.35 < est["rate_ratio_high"]
    assert doc["truth"]["rate_ratio"] == 0.35
    assert doc["truth"]["front"]["interval_covers_truth"] is True
    # a pure function of the log: the same figures again, as a readable table
    text = cli("effect", "--home", penalised.h, "--penalty", case, "--format", "table")
    assert f"{est['rate_ratio']:.3f}" in text and "near_corridors" in text


def test_bad_cases_are_refused_with_the_reason(penalised: Sim, tmp_path: Path) -> None:
    assert "no penalty case 'nope'" in error("--home", penalised.h, "--penalty", "nope")
    # a warning that took effect at the first confirmed breach: no days before it
    warning = next(c for c in cases(penalised) if c["rung"] == "warning")["case"]
    assert "too little log around it" in error("--home", penalised.h, "--penalty", warning)
    missing = str(tmp_path / "no.jsonl")
    case = scripted(penalised)["case"]
    assert "no such file" in error("--home", penalised.h, "--penalty", case, "--truth", missing)


def test_a_penalty_that_never_took_effect_is_refused(penalised: Sim, tmp_path: Path) -> None:
    """The same notification on the last day: its countdown ends after the log does."""
    home = tmp_path / "home"
    shutil.copytree(penalised.home, home)
    sim = tmp_path / "sim"
    shutil.copytree(penalised.sim, sim)
    truth = sim / "truth.jsonl"
    lines = [json.loads(x) for x in truth.read_text().splitlines()]
    late = [
        x | {"pending_from": "2026-06-08T12:00:00Z", "in_force_from": "2026-06-09T12:00:00Z"}
        for x in lines
        if x["type"] == "penalty"
    ]
    truth.write_text("".join(json.dumps(x) + "\n" for x in late))
    notify_scripted(home, sim)
    later = Sim(home, sim)
    case = next(
        c["case"]
        for c in cases(later)
        if c["rung"] == "scripted-1" and c["opened_at"] == "2026-06-08T12:00:00Z"
    )
    assert "never took effect on this log" in error("--home", str(home), "--penalty", case)


def test_the_realistic_preset_has_corridors_near_and_far(tmp_path: Path) -> None:
    """corridor-risk: starts from the line to 40 km behind it, the hazard falling with it."""
    cli("simulate", "--seed", "3", "--scenario", "corridor-risk", "--days", "1",
        "--out", str(tmp_path / "sim"), "--workers", "1")  # fmt: skip
    info = json.loads((tmp_path / "sim" / "scenario.json").read_text())
    reach = [c["reach_factor"] for c in info["deterrence"]["corridors"].values()]
    assert len(reach) == 8 and all(0 < r < 0.5 for r in reach)
    assert max(reach) > 2.5 * min(reach)
