"""Location with uncertainty: one weighted least-squares fix per end of an event.

Every report becomes one or two linear equations in the event position p:

* a point report (radar impact or origin, seismic or camera fix, crater):
  p = q, weight 1/sigma^2 on each axis;
* a bearing report from position s with bearing b and distance band [lo, hi]
  (acoustic arrays, observer patrols: "1-4 km south-south-east"):
  across the bearing, n.(p - s) = 0 with sigma = mid * (bearing error);
  along it, d.(p - s) = mid with sigma = band width / sqrt(12).

Two bearings from different places triangulate; one bearing and its band
still gives a (long, thin) ellipse. The normal equations are 2x2; their
inverse is the covariance, and the reported uncertainty is the 1-sigma radius
of its major axis. A report's weight is multiplied by the reliability of its
sensor (down-weighted sensors count for little).

Consistency. The same sums give the weighted residual sum of squares of the fix,
chi2 = C - b.p (C the weighted sum of the right-hand sides squared), with
dof = equations - 2. Reports of one event scatter by their stated errors, so chi2/dof
is about 1 and chi2 follows the chi-square law with dof degrees of freedom; reports of
different events (two batteries pooled into one incident) give a chi2 far in its tail
(`Normal.consistency`).
"""

from __future__ import annotations

import math
from functools import cache
from typing import Any, NamedTuple

from scipy.stats import chi2 as chi2_law

from truceline.fusion.base import BEARING_SIGMA_RAD

MIN_SIGMA_M = 1.0
# The significance level of the consistency test (`Normal.consistency`): the reports of
# one point fail it in one fix out of a thousand.
CONSISTENCY_ALPHA = 1e-3


class Fix(NamedTuple):
    """A position and its covariance (a named tuple: the engine makes one per solve, and a
    tuple is built several times faster than a frozen dataclass)."""

    x: float
    y: float
    cov: tuple[float, float, float]  # sxx, sxy, syy

    @property
    def radius_m(self) -> float:
        """1-sigma along the ellipse's major axis."""
        sxx, sxy, syy = self.cov
        mean = 0.5 * (sxx + syy)
        dev = math.sqrt(max(0.0, 0.25 * (sxx - syy) ** 2 + sxy * sxy))
        return math.sqrt(max(mean + dev, 0.0))

    def sigma_towards(self, nx: float, ny: float) -> float:
        """1-sigma of the position along the unit direction (nx, ny)."""
        sxx, sxy, syy = self.cov
        return math.sqrt(max(nx * nx * sxx + 2 * nx * ny * sxy + ny * ny * syy, 0.0))


class Normal:
    """Accumulates the normal equations A p = b, with A symmetric 2x2, and what the fix's
    residual sum of squares needs: C = sum of w c^2 and the number of equations."""

    __slots__ = ("a11", "a12", "a22", "b1", "b2", "c", "n")

    def __init__(self) -> None:
        self.a11 = self.a12 = self.a22 = self.b1 = self.b2 = self.c = 0.0
        self.n = 0

    def point(self, x: float, y: float, sigma: float, weight: float = 1.0) -> None:
        w = weight / max(sigma, MIN_SIGMA_M) ** 2
        self.a11 += w
        self.a22 += w
        self.b1 += w * x
        self.b2 += w * y
        self.c += w * (x * x + y * y)
        self.n += 2

    def line(self, nx: float, ny: float, c: float, sigma: float, weight: float = 1.0) -> None:
        """The equation nx*x + ny*y = c."""
        w = weight / max(sigma, MIN_SIGMA_M) ** 2
        self.a11 += w * nx * nx
        self.a12 += w * nx * ny
        self.a22 += w * ny * ny
        self.b1 += w * nx * c
        self.b2 += w * ny * c
        self.c += w * c * c
        self.n += 1

    def bearing(
        self,
        sx: float,
        sy: float,
        bearing: float,
        lo: float,
        hi: float,
        sigma: float,
        weight: float,
    ) -> None:
        dx, dy = math.sin(bearing), math.cos(bearing)  # clockwise from north
        mid = 0.5 * (lo + hi)
        across = max(mid * BEARING_SIGMA_RAD, sigma * 0.25, MIN_SIGMA_M)
        self.line(dy, -dx, dy * sx - dx * sy, across, weight)
        along = max((hi - lo) / math.sqrt(12.0), MIN_SIGMA_M)
        self.line(dx, dy, dx * sx + dy * sy + mid, along, weight)

    def merge(self, other: Normal) -> None:
        self.a11 += other.a11
        self.a12 += other.a12
        self.a22 += other.a22
        self.b1 += other.b1
        self.b2 += other.b2
        self.c += other.c
        self.n += other.n

    def solve(self) -> Fix | None:
        det = self.a11 * self.a22 - self.a12 * self.a12
        if not det > 1e-30 * max(self.a11 * self.a22, 1e-300):
            return None
        i11, i12, i22 = self.a22 / det, -self.a12 / det, self.a11 / det
        return Fix(i11 * self.b1 + i12 * self.b2, i12 * self.b1 + i22 * self.b2, (i11, i12, i22))

    def chi2(self, fix: Fix) -> float:
        """The weighted residual sum of squares at `fix` (this system's solution):
        sum of w (n.p - c)^2 = C - b.p. Never negative (rounding can take the
        difference a hair below zero)."""
        return max(self.c - self.b1 * fix.x - self.b2 * fix.y, 0.0)

    @property
    def dof(self) -> int:
        """Degrees of freedom of the fix: equations less the two unknowns."""
        return self.n - 2

    def consistency(self, fix: Fix) -> float:
        """The p-value of "these reports are of one point, with the errors they state":
        the chance that such reports scatter at least as much as these (chi-square
        survival of `chi2` with `dof` degrees of freedom; 1.0 with nothing to test)."""
        dof = self.dof
        if dof <= 0:
            return 1.0
        return float(chi2_law.sf(self.chi2(fix), dof))

    def consistent(self, fix: Fix, alpha: float = CONSISTENCY_ALPHA) -> bool:
        """Whether these reports pass the consistency test at `alpha` (`consistency` at
        least `alpha`), decided on chi2 against the law's critical value for `dof`: one
        library call per dof, not one per fix (the engine asks on every judgement)."""
        dof = self.dof
        return dof <= 0 or self.chi2(fix) <= _critical_chi2(dof, alpha)


@cache
def _critical_chi2(dof: int, alpha: float) -> float:
    """The chi2 beyond which reports with `dof` degrees of freedom fail at `alpha`."""
    return float(chi2_law.isf(alpha, dof))


def locate(reports: list[tuple[Any, ...]]) -> Fix | None:
    """Fix from reports (x, y, sigma, weight, bearing|nan, lo, hi, sx, sy)."""
    eq = Normal()
    for x, y, sigma, weight, bearing, lo, hi, sx, sy in reports:
        if bearing == bearing:  # not NaN
            eq.bearing(sx, sy, bearing, lo, hi, sigma, weight)
        else:
            eq.point(x, y, sigma, weight)
    return eq.solve()
