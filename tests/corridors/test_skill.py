"""The forecast scored against the simulator's true hazard (seed 31, never used in tuning).

Six days of four corridors give 16 scored windows: the ranges are wide on purpose. The
30-day benchmark (`benchmarks/bench_corridors.py`) gives the figures in docs/corridors.md.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import yaml
from tests.corridors.conftest import DAYS, Sim

from truceline.agreement.model import Agreement
from truceline.corridors import score, spec
from truceline.corridors.evaluate import rolling
from truceline.home import Home

START = datetime(2026, 6, 1, tzinfo=UTC)


def test_forecast_beats_the_naive_log_share_and_sees_the_watched_corridor(deterred: Sim) -> None:
    doc = yaml.safe_load((deterred.sim / "agreement.yaml").read_text())
    corridors = spec.from_agreement(Agreement.model_validate(doc))
    truth = score.outcomes(deterred.sim / "truth.jsonl", corridors)
    docs = rolling(
        Home(deterred.home),
        [START + timedelta(days=d) for d in range(2, DAYS)],
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
    print(got, naive)
    assert got["windows"] == 16
    assert got["expected_brier_vs_true_hazard"] <= naive["expected_brier_vs_true_hazard"] + 0.02
    assert got["mean_abs_error_vs_true_p"] < 0.3
    mean = {
        c: sum(f["p_breach"] for f in rows if f["corridor"] == c) / 4
        for c in ("corridor-1", "corridor-2")
    }
    assert mean["corridor-1"] < mean["corridor-2"]
