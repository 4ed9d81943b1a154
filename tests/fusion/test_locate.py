"""Location: weighted fixes, bearing triangulation, honest uncertainty."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from truceline.fusion.locate import CONSISTENCY_ALPHA, Normal, locate

NAN = math.nan


def bearing_to(sx: float, sy: float, x: float, y: float) -> float:
    return math.atan2(x - sx, y - sy) % (2 * math.pi)


@settings(max_examples=60, deadline=None)
@given(
    st.floats(-20000, 20000),
    st.floats(-20000, 20000),
    st.floats(0, 2 * math.pi),
    st.floats(0.5, 2.5),
    st.floats(2000, 8000),
    st.floats(2000, 8000),
)
def test_two_exact_bearings_triangulate(x, y, a1, sep, r1, r2) -> None:
    # Two observers seeing the event from directions `sep` radians apart.
    s1 = (x - r1 * math.sin(a1), y - r1 * math.cos(a1))
    s2 = (x - r2 * math.sin(a1 + sep), y - r2 * math.cos(a1 + sep))
    reports = [
        (NAN, NAN, 50.0, 1.0, bearing_to(*s1, x, y), r1 / 2, r1 * 2, *s1),
        (NAN, NAN, 50.0, 1.0, bearing_to(*s2, x, y), r2 / 2, r2 * 2, *s2),
    ]
    fix = locate(reports)
    assert fix is not None
    # The bands (off-centre by design) pull only weakly; the intersection dominates.
    err = math.hypot(fix.x - x, fix.y - y)
    assert err < 0.15 * max(r1, r2)
    assert err < 3 * fix.radius_m


def test_point_fixes_average_by_precision_and_shrink() -> None:
    fix = locate(
        [(0.0, 0.0, 100.0, 1.0, NAN, 0, 0, 0, 0), (300.0, 0.0, 100.0, 1.0, NAN, 0, 0, 0, 0)]
    )
    assert fix is not None
    assert fix.x == 150.0 and fix.y == 0.0
    assert abs(fix.radius_m - 100 / math.sqrt(2)) < 1e-6
    precise = locate(
        [(0.0, 0.0, 10.0, 1.0, NAN, 0, 0, 0, 0), (300.0, 0.0, 1000.0, 1.0, NAN, 0, 0, 0, 0)]
    )
    assert precise is not None and precise.x < 1.0


def test_down_weighted_report_barely_moves_the_fix() -> None:
    fix = locate(
        [(0.0, 0.0, 100.0, 1.0, NAN, 0, 0, 0, 0), (5000.0, 0.0, 100.0, 0.05, NAN, 0, 0, 0, 0)]
    )
    assert fix is not None and fix.x < 300


def test_single_bearing_gives_a_long_thin_ellipse() -> None:
    eq = Normal()
    eq.bearing(0.0, 0.0, 0.0, 2000.0, 4000.0, 50.0, 1.0)  # due north, 2-4 km
    fix = eq.solve()
    assert fix is not None
    assert abs(fix.x) < 1e-6 and abs(fix.y - 3000.0) < 1e-6
    along = fix.sigma_towards(0.0, 1.0)
    across = fix.sigma_towards(1.0, 0.0)
    assert along > 2 * across
    assert np.isclose(fix.radius_m, along)


def test_no_reports_no_fix() -> None:
    assert locate([]) is None


# --- consistency: the fix's residual sum of squares --------------------------------------

# A report as the test draws it: a point (x, y, sigma) or a bearing (sx, sy, bearing,
# lo, hi), each with a weight.
report_geometry = st.tuples(
    st.floats(-5000, 5000),  # where the report is, about the true point
    st.floats(-5000, 5000),
    st.floats(5.0, 2000.0),  # its sigma
    st.floats(0.05, 1.0),  # its weight (a flagged sensor's is small)
    st.booleans(),  # a bearing report (else a point)
)


def accumulate(eq: Normal, geometry: tuple[float, float, float, float, bool]) -> None:
    x, y, sigma, weight, is_bearing = geometry
    if is_bearing:
        # A bearing from (x, y) towards the origin, with a band around its distance.
        r = max(math.hypot(x, y), 100.0)
        eq.bearing(x, y, bearing_to(x, y, 0.0, 0.0), 0.5 * r, 1.5 * r, sigma, weight)
    else:
        eq.point(x, y, sigma, weight)


def residuals(eq: Normal, reports: list[tuple[float, float, float, float, bool]]) -> float:
    """Sum of w (n.p - c)^2 at the fix, equation by equation (what chi2 must equal)."""
    fix = eq.solve()
    assert fix is not None
    total = 0.0
    for geometry in reports:
        one = Normal()
        accumulate(one, geometry)
        # A single report's C - 2 b.p + p.A.p is its own weighted squared residual at p.
        p = (fix.x, fix.y)
        quad = one.a11 * p[0] ** 2 + 2 * one.a12 * p[0] * p[1] + one.a22 * p[1] ** 2
        total += one.c - 2 * (one.b1 * p[0] + one.b2 * p[1]) + quad
    return total


@settings(max_examples=80, deadline=None)
@given(st.lists(report_geometry, min_size=2, max_size=12))
def test_chi2_is_the_weighted_residual_sum_of_squares(
    reports: list[tuple[float, float, float, float, bool]],
) -> None:
    eq = Normal()
    for geometry in reports:
        accumulate(eq, geometry)
    fix = eq.solve()
    if fix is None:
        return  # degenerate geometry (e.g. one bearing's two lines only)
    expected = residuals(eq, reports)
    assert math.isclose(eq.chi2(fix), expected, rel_tol=1e-6, abs_tol=1e-6 * max(eq.c, 1.0))
    # Counted equations: two per point, two per bearing (across and along).
    assert eq.dof == 2 * len(reports) - 2
    # Merging two halves gives the same sums as one pass.
    half = len(reports) // 2
    a, b = Normal(), Normal()
    for geometry in reports[:half]:
        accumulate(a, geometry)
    for geometry in reports[half:]:
        accumulate(b, geometry)
    a.merge(b)
    assert (a.n, a.dof) == (eq.n, eq.dof)
    assert math.isclose(a.chi2(fix), eq.chi2(fix), rel_tol=1e-9, abs_tol=1e-6 * max(eq.c, 1.0))


@settings(max_examples=25, deadline=None)
@given(
    st.floats(-300_000, 300_000),  # the true point, anywhere on a 600 km front
    st.floats(-300_000, 300_000),
    st.lists(st.tuples(st.floats(-20_000, 20_000), st.floats(-20_000, 20_000)), min_size=1),
    st.lists(st.floats(10.0, 3000.0), min_size=2, max_size=10),
    st.integers(0, 2**32 - 1),
)
def test_reports_of_one_point_give_chi2_per_dof_near_one(
    x0: float,
    y0: float,
    observers: list[tuple[float, float]],
    sigmas: list[float],
    seed: int,
) -> None:
    """Point reports and straight-line equations of one point, each off by its stated
    error: chi2 follows the chi-square law, mean dof, so chi2/dof averages 1 and the test
    at CONSISTENCY_ALPHA rejects about that share of fixes."""
    rng = np.random.default_rng(seed)
    trials = 400
    ratios, rejected = [], 0
    for _ in range(trials):
        eq = Normal()
        for k, sigma in enumerate(sigmas):
            if k % 2:  # a line through the point from an observer (n.p = c)
                ox, oy = observers[k % len(observers)]
                norm = math.hypot(ox, oy) or 1.0
                nx, ny = oy / norm, -ox / norm
                eq.line(nx, ny, nx * x0 + ny * y0 + rng.normal(0, sigma), sigma)
            else:
                eq.point(x0 + rng.normal(0, sigma), y0 + rng.normal(0, sigma), sigma)
        fix = eq.solve()
        if fix is None:
            return  # lines alone, all parallel
        ratios.append(eq.chi2(fix) / eq.dof)
        rejected += eq.consistency(fix) < CONSISTENCY_ALPHA
        # The decision form (the engine's: a critical value per dof) agrees with the p-value.
        assert eq.consistent(fix) is (eq.consistency(fix) >= CONSISTENCY_ALPHA)
    # The mean of 400 chi2/dof has a relative sd of sqrt(2 / (dof * 400)) <= 5 %.
    assert 0.8 < float(np.mean(ratios)) < 1.2
    assert rejected <= 4  # expected 0.4 at alpha 1e-3


@settings(max_examples=40, deadline=None)
@given(
    st.floats(-300_000, 300_000),
    st.floats(-300_000, 300_000),
    st.floats(30.0, 300.0),
    st.integers(2, 8),
    st.floats(0.0, 2 * math.pi),
)
def test_two_batteries_pooled_fail_the_consistency_test(
    x0: float, y0: float, sigma: float, per_gun: int, direction: float
) -> None:
    """Reports of two firing points 20 sigma apart, pooled: chi2/dof far above 1."""
    gap = 20 * sigma
    eq = Normal()
    for k in range(per_gun):
        jitter = 0.3 * sigma * (k % 3 - 1)  # a little scatter, well within the error
        eq.point(x0 + jitter, y0 - jitter, sigma)
        eq.point(x0 + gap * math.sin(direction) - jitter, y0 + gap * math.cos(direction), sigma)
    fix = eq.solve()
    assert fix is not None
    assert eq.chi2(fix) / eq.dof > 10
    assert eq.consistency(fix) < CONSISTENCY_ALPHA and not eq.consistent(fix)


def test_one_report_has_nothing_to_test() -> None:
    eq = Normal()
    eq.point(100.0, 200.0, 50.0)
    fix = eq.solve()
    assert fix is not None
    assert eq.dof == 0 and eq.chi2(fix) == 0.0 and eq.consistency(fix) == 1.0
    assert eq.consistent(fix)
