"""Location: weighted fixes, bearing triangulation, honest uncertainty."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from truceline.fusion.locate import Normal, locate

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
