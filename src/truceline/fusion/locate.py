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
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

from truceline.fusion.base import BEARING_SIGMA_RAD

MIN_SIGMA_M = 1.0


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
    """Accumulates the normal equations A p = b, with A symmetric 2x2."""

    __slots__ = ("a11", "a12", "a22", "b1", "b2")

    def __init__(self) -> None:
        self.a11 = self.a12 = self.a22 = self.b1 = self.b2 = 0.0

    def point(self, x: float, y: float, sigma: float, weight: float = 1.0) -> None:
        w = weight / max(sigma, MIN_SIGMA_M) ** 2
        self.a11 += w
        self.a22 += w
        self.b1 += w * x
        self.b2 += w * y

    def line(self, nx: float, ny: float, c: float, sigma: float, weight: float = 1.0) -> None:
        """The equation nx*x + ny*y = c."""
        w = weight / max(sigma, MIN_SIGMA_M) ** 2
        self.a11 += w * nx * nx
        self.a12 += w * nx * ny
        self.a22 += w * ny * ny
        self.b1 += w * nx * c
        self.b2 += w * ny * c

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

    def solve(self) -> Fix | None:
        det = self.a11 * self.a22 - self.a12 * self.a12
        if not det > 1e-30 * max(self.a11 * self.a22, 1e-300):
            return None
        i11, i12, i22 = self.a22 / det, -self.a12 / det, self.a11 / det
        return Fix(i11 * self.b1 + i12 * self.b2, i12 * self.b1 + i22 * self.b2, (i11, i12, i22))


def locate(reports: list[tuple[Any, ...]]) -> Fix | None:
    """Fix from reports (x, y, sigma, weight, bearing|nan, lo, hi, sx, sy)."""
    eq = Normal()
    for x, y, sigma, weight, bearing, lo, hi, sx, sy in reports:
        if bearing == bearing:  # not NaN
            eq.bearing(sx, sy, bearing, lo, hi, sigma, weight)
        else:
            eq.point(x, y, sigma, weight)
    return eq.solve()
