"""The forecast scored against the simulator's true hazard (seed 31, never used in tuning).

Fourteen days of four corridors, forecast daily from day 3: 48 scored windows, so the
ranges are wide. The 30-day benchmark (`benchmarks/bench_corridors.py`) gives the figures
in docs/corridors.md.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import yaml
from tests.corridors.conftest import Sim, build

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
