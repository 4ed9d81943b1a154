"""The forecast scored against the simulator's true hazard (seed 31, never used in tuning).

Fourteen days of four corridors, forecast daily from day 3: 48 scored windows, so the
ranges are wide. The 30-day benchmark (`benchmarks/bench_corridors.py`) gives the figures
in docs/corridors.md.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from tests.corridors.conftest import Sim, build, build_daily

from truceline.agreement.model import Agreement
from truceline.corridors import score, spec
from truceline.corridors.evaluate import rolling
from truceline.home import Home

START = datetime(2026, 6, 1, tzinfo=UTC)


DAYS = 14


@pytest.fixture(scope="module")
def fortnight(tmp_path_factory: pytest.TempPathFactory) -> Sim:
    return build(tmp_path_factory.mktemp("fortnight"), DAYS)


@pytest.mark.slow
def test_forecast_ranks_windows_and_sees_the_watched_corridor(fortnight: Sim) -> None:
    deterred = fortnight
    doc = yaml.safe_load((deterred.sim / "agreement.yaml").read_text())
    corridors = spec.from_agreement(Agreement.model_validate(doc))
    truth = score.outcomes(deterred.sim / "truth.jsonl", corridors)
    docs = rolling(
        Home(deterred.home),
        [START + timedelta(days=d) for d in range(3, DAYS)],
        timedelta(hours=24),
    )
    rows = [f for d in docs for f in d["forecasts"]]
    got = score.score(rows, truth)
    naive = score.score(
        [
            f | {"p_breach": d["model"]["windows_breached"] / max(d["model"]["rows"], 1)}
            for d in docs
            for f in d["forecasts"]
        ],
        truth,
    )
    assert got["windows"] == 4 * (DAYS - 3)
    # What the model does on this seed (docs/corridors.md: calibrated in the mean, it ranks
    # no better than the naive share; the goals are not met)
    assert abs(got["mean_p"] - got["mean_true_p"]) < 0.12
    assert got["brier"] < naive["brier"] + 0.05
    assert got["mean_abs_error_vs_true_p"] < 0.35
    mean = {
        c: sum(f["p_breach"] for f in rows if f["corridor"] == c) / 4
        for c in ("corridor-1", "corridor-2")
    }
    assert mean["corridor-1"] < mean["corridor-2"]


NETWORK = """base: corridor-risk
name: corridor-network-test
days: 30
world: {front_km: 500, corridors: 20, vertex_km: 8}
behaviour:
  deterrence:
    watched_corridors: [1, 3, 5, 9, 11, 13, 17, 19]
"""


@pytest.mark.slow
def test_on_a_corridor_network_the_forecast_nears_the_true_hazard(tmp_path: Path) -> None:
    """20 corridors for 30 days (seed 41, never used in tuning), built the way a mission
    runs: 540 scored windows. Ranges around what the held-out seeds gave (docs/corridors.md:
    forecast skill 0.18-0.38 where the true hazard's was 0.24-0.44)."""
    (tmp_path / "scenario.yaml").write_text(NETWORK)
    sim = build_daily(tmp_path, 41, 30, tmp_path / "scenario.yaml")
    doc = yaml.safe_load((sim.sim / "agreement.yaml").read_text())
    truth = score.outcomes(
        sim.sim / "truth.jsonl", spec.from_agreement(Agreement.model_validate(doc))
    )
    docs = rolling(
        Home(sim.home), [START + timedelta(days=d) for d in range(3, 30)], timedelta(hours=24)
    )
    got = score.report(docs, truth)
    forecast, best, naive = got["forecast"], got["true_hazard"], got["naive_log_share"]
    assert forecast["windows"] == 20 * 27
    assert forecast["brier_skill"] >= 0.6 * best["brier_skill"]
    assert forecast["brier_skill"] >= naive["brier_skill"] + 0.1
    assert forecast["auc"] >= best["auc"] - 0.08
    assert abs(forecast["mean_p"] - forecast["mean_true_p"]) < 0.08
    # calibrated within what 540 windows can show (the true hazard's own ECE is 0.03-0.06)
    assert forecast["ece"] < best["ece"] + 0.05
