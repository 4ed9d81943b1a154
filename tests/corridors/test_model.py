"""The hazard model's predictive probability, and the pooling of scored runs."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from truceline.corridors import score
from truceline.corridors.model import Fit


def _fit(b0: float, var: float) -> Fit:
    return Fit(("intercept",), np.array([b0]), np.array([[var]]), 10, 3, "glm")


@settings(max_examples=60, deadline=None)
@given(st.floats(-6, 3), st.floats(0.0, 4.0), st.floats(0.5, 48))
def test_p_is_the_mean_over_the_fits_uncertainty(b0: float, var: float, hours: float) -> None:
    p, low, high, expected = _fit(b0, var).predict({}, hours)
    eta = b0 + math.log(hours) + math.sqrt(var) * np.random.default_rng(1).standard_normal(200_000)
    assert abs(p - float(np.mean(-np.expm1(-np.exp(np.minimum(eta, 50)))))) < 0.005
    assert low <= p <= high
    assert math.isclose(expected, math.exp(b0 + math.log(hours) + var / 2), rel_tol=1e-9)


def test_a_certain_fit_gives_the_plug_in_probability() -> None:
    p, low, high, expected = _fit(-2.0, 0.0).predict({}, 10.0)
    assert math.isclose(p, 1 - math.exp(-math.exp(-2.0) * 10), rel_tol=1e-9)
    assert low == p == high or math.isclose(low, high)
    assert math.isclose(expected, math.exp(-2.0) * 10)


def test_pooled_runs_keep_the_same_corridor_window_of_two_seeds_apart() -> None:
    row = {"corridor": "corridor-1", "window_start": "2026-06-04T05:00:00Z", "p_breach": 0.2}
    doc = {"forecasts": [row], "model": {"windows_breached": 1, "rows": 4}}
    truth_a = {("corridor-1", "2026-06-04T05:00:00Z"): (0.3, 1)}
    truth_b = {("corridor-1", "2026-06-04T05:00:00Z"): (0.1, 0)}
    docs, truth = score.pool([("a", [doc], truth_a), ("b", [doc], truth_b)])
    got = score.report(docs, truth)["forecast"]
    assert got["windows"] == 2 and got["breached"] == 1
    assert got["reliability"] == [{"bin": 0.2, "windows": 2, "mean_p": 0.2, "breached": 0.5}]
