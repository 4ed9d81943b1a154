"""Thermal anomalies against a seasonal per-cell baseline: crop burning is not a strike."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

from truceline.fusion.thermal import SeasonalBaseline, excess, upper_quantile


def ts(y: int, m: int, d: int) -> float:
    return datetime(y, m, d, 12, tzinfo=UTC).timestamp()


def test_seasonal_burning_is_explained_and_a_new_cell_is_not() -> None:
    # A farm cell that burns ~3 fires a day every August of the baseline year.
    history = [(35.05, 47.05, ts(2021, 8, d)) for d in range(1, 32) for _ in range(3)]
    base = SeasonalBaseline().fit(history, ts(2021, 1, 1), ts(2022, 1, 1))
    assert abs(base.expected(35.05, 47.05, ts(2022, 8, 10)) - 3.0) < 1e-9
    assert not base.anomalous(35.05, 47.05, ts(2022, 8, 10), observed=4)
    assert base.anomalous(35.05, 47.05, ts(2022, 8, 10), observed=15)
    # The same count in March, or in a cell that never burns, is anomalous.
    assert base.anomalous(35.05, 47.05, ts(2022, 3, 10), observed=2)
    assert base.anomalous(36.55, 47.55, ts(2022, 8, 10), observed=1)


def test_excess_follows_the_economist_offset() -> None:
    assert upper_quantile(0.0) == 0.0
    out = excess(np.array([0.0, 5.0, 40.0]), np.array([0.0, 3.0, 3.0]))
    assert out[0] == 0.0 and out[1] == 0.0 and out[2] > 30
