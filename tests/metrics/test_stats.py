"""The exact intervals against published values, and their coverage measured by simulation."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from truceline.metrics import stats


def test_poisson_garwood_values() -> None:
    # Garwood (1936) 95 % limits, as tabulated (e.g. Ulm 1990): 0 -> (0, 3.689), 10 -> (4.795, 18.390)
    assert stats.poisson_ci(0) == pytest.approx((0.0, 3.6889), abs=1e-4)
    assert stats.poisson_ci(10) == pytest.approx((4.7954, 18.3904), abs=1e-4)


def test_clopper_pearson_values() -> None:
    assert stats.proportion_ci(5, 10) == pytest.approx((0.1871, 0.8129), abs=1e-4)
    assert stats.proportion_ci(0, 10) == pytest.approx((0.0, 0.3085), abs=1e-4)
    assert stats.proportion_ci(0, 0) == (0.0, 1.0)


def test_poisson_interval_covers_at_least_95_percent() -> None:
    """Exact coverage: the probability of every count times whether its interval holds
    the mean (Garwood's is conservative, so never below the level)."""
    from scipy.stats import poisson

    for mean in (0.7, 4.0, 25.0, 60.0):
        ks = np.arange(0, int(mean * 4 + 40))
        holds = np.array([lo <= mean <= hi for lo, hi in map(stats.poisson_ci, ks)])
        assert float(np.sum(poisson.pmf(ks, mean) * holds)) >= 0.95


def test_rate_ratio_and_quantile_intervals_cover() -> None:
    rng = np.random.default_rng(4)
    hits = 0
    for _ in range(2000):
        a, b = rng.poisson(12.0), rng.poisson(6.0)
        _, lo, hi = stats.rate_ratio(int(a), 1.0, int(b), 1.0)
        hits += lo <= 2.0 and (hi is None or hi >= 2.0)
    assert hits / 2000 >= 0.94  # 2,000 draws: a standard error of 0.005
    hits = 0
    for _ in range(2000):
        sample = rng.exponential(1.0, 40)
        _, lo, hi = stats.quantile_ci(list(sample), 0.5)
        hits += lo is not None and hi is not None and lo <= np.log(2) <= hi
    assert hits / 2000 >= 0.94


@given(st.lists(st.floats(0, 1e6), min_size=1, max_size=60), st.sampled_from([0.5, 0.9]))
def test_quantile_bounds_bracket_the_point(values: list[float], q: float) -> None:
    point, lo, hi = stats.quantile_ci(values, q)
    assert point is not None
    assert lo is None or lo <= point + 1e-9
    assert hi is None or point <= hi + 1e-9
