"""Attribution: the firing party is the one holding the point of origin.

Confidence is the probability that the true origin lies on the same side of
the contact line as the estimate: Phi(d / sigma), d the distance from the
estimate to the line and sigma the origin ellipse's 1-sigma towards the line.
An origin 3 km behind the line fixed to 100 m is certain; one 200 m from the
line fixed to 400 m is a coin flip with a bias.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from truceline.agreement.geography import Geography, densified
from truceline.fusion.base import Frame, Fuser
from truceline.fusion.cells import APART, CELL_M, INSIDE, CellLookup
from truceline.fusion.locate import Fix


def project(geom: BaseGeometry, frame: Frame) -> BaseGeometry:
    """A lon/lat geometry in the frame's metres, its edges first densified so that they
    stay the straight lon/lat lines RFC 7946 says they are (`geography.densified`)."""

    def fwd(coords: Any) -> Any:
        x, y = frame.to_xy(coords[:, 0], coords[:, 1])
        return np.column_stack((x, y))

    return shapely.transform(densified(geom), fwd)


_UNDECIDED = object()


def normal_cdf(z: float) -> float:
    return 0.5 * (1.0 + math.erf(z / math.sqrt(2.0)))


class Attributor(Fuser):
    """Territory and contact-line queries in the frame; exact-key caches because the same
    reports are asked about again each time their incident is re-judged."""

    def __init__(self, geography: Geography, frame: Frame) -> None:
        super().__init__(frame)
        self.line = project(shape(geography.contact_line), frame)
        self.territories = [(t.party, project(t.shape, frame)) for t in geography.territories]
        for _, geom in self.territories:
            shapely.prepare(geom)
        # The line as segments, for a vectorised nearest point (numpy beats a shapely call
        # per query by an order of magnitude here).
        parts = getattr(self.line, "geoms", [self.line])
        segs = [np.asarray(p.coords)[:, :2] for p in parts]
        self._a = np.concatenate([c[:-1] for c in segs])
        self._ab = np.concatenate([c[1:] - c[:-1] for c in segs])
        self._ab2 = np.maximum((self._ab**2).sum(axis=1), 1e-12)
        self._party: dict[tuple[float, float], str | None] = {}
        # Per grid cell that a cell decides (see `_decide`): its party, or None.
        self._cell_party: dict[tuple[int, int], str | None] = {}
        # Cell-cached territory queries (the same answers as shapely's, cheaper).
        self._cells = [CellLookup(geom) for _, geom in self.territories]
        self._near: dict[tuple[float, float], tuple[float, float, float]] = {}
        # Per grid cell: the only segments that can be nearest to a point in it (within the
        # cell centre's distance plus a cell diagonal of the centre), in line order.
        self._segs: dict[tuple[int, int], list[tuple[float, float, float, float, float]]] = {}

    def party_at(self, x: float, y: float) -> str | None:
        """The party whose territory holds (x, y); the first listed wins on overlaps."""
        if math.isfinite(x) and math.isfinite(y):
            cell = (math.floor(x / CELL_M), math.floor(y / CELL_M))
            decided = self._cell_party.get(cell, _UNDECIDED)
            if decided is not _UNDECIDED:
                return decided  # type: ignore[return-value]
            found = self._party_exact(x, y)
            decided = self._decide(cell)
            if decided is not _UNDECIDED:
                self._cell_party[cell] = decided  # type: ignore[assignment]
            return found
        return self._party_exact(x, y)

    def _decide(self, cell: tuple[int, int]) -> object:
        """The cell's party when the cell alone decides it (each territory before the
        holding one known to be apart from the whole cell), else _UNDECIDED."""
        for (party, _), cells in zip(self.territories, self._cells, strict=True):
            state = cells.state_of(cell)
            if state == INSIDE:
                return party
            if state != APART:
                return _UNDECIDED
        return None

    def _party_exact(self, x: float, y: float) -> str | None:
        key = (x, y)
        if key in self._party:
            return self._party[key]
        found = None
        for (party, _), cells in zip(self.territories, self._cells, strict=True):
            if cells.contains(x, y):
                found = party
                break
        if len(self._party) > 200_000:
            self._party.clear()
        self._party[key] = found
        return found

    def nearest_on_line(self, x: float, y: float) -> tuple[float, float, float]:
        """(distance, nearest x, nearest y) on the contact line."""
        key = (x, y)
        hit = self._near.get(key)
        if hit is not None:
            return hit
        if not (math.isfinite(x) and math.isfinite(y)):
            return self._nearest_all(x, y)
        cell = (math.floor(x / CELL_M), math.floor(y / CELL_M))
        segs = self._segs.get(cell)
        if segs is None:
            segs = self._segs[cell] = self._segments_near(cell)
        # The first segment at the least distance wins, as an argmin over all would pick.
        best = math.inf
        bx = by = math.nan
        for ax, ay, abx, aby, ab2 in segs:
            u = ((x - ax) * abx + (y - ay) * aby) / ab2
            u = 0.0 if u < 0.0 else (1.0 if u > 1.0 else u)
            nx, ny = ax + u * abx, ay + u * aby
            d2 = (nx - x) * (nx - x) + (ny - y) * (ny - y)
            if d2 < best:
                best, bx, by = d2, nx, ny
        out = (math.sqrt(best), bx, by)
        if len(self._near) > 200_000:
            self._near.clear()
        self._near[key] = out
        return out

    def _nearest_all(self, x: float, y: float) -> tuple[float, float, float]:
        px, py = x - self._a[:, 0], y - self._a[:, 1]
        u = np.clip((px * self._ab[:, 0] + py * self._ab[:, 1]) / self._ab2, 0.0, 1.0)
        nx = self._a[:, 0] + u * self._ab[:, 0]
        ny = self._a[:, 1] + u * self._ab[:, 1]
        d2 = (nx - x) ** 2 + (ny - y) ** 2
        k = int(np.argmin(d2))
        return (math.sqrt(float(d2[k])), float(nx[k]), float(ny[k]))

    def _segments_near(
        self, cell: tuple[int, int]
    ) -> list[tuple[float, float, float, float, float]]:
        half = CELL_M * math.sqrt(0.5)  # half the cell's diagonal
        cx, cy = (cell[0] + 0.5) * CELL_M, (cell[1] + 0.5) * CELL_M
        px, py = cx - self._a[:, 0], cy - self._a[:, 1]
        u = np.clip((px * self._ab[:, 0] + py * self._ab[:, 1]) / self._ab2, 0.0, 1.0)
        d = np.hypot(
            self._a[:, 0] + u * self._ab[:, 0] - cx, self._a[:, 1] + u * self._ab[:, 1] - cy
        )
        # A point p of the cell is within d_min + half of the line, so its nearest segment
        # is within d_min + 2 * half of the centre (plus a hair for rounding).
        keep = np.flatnonzero(d <= d.min() + 2 * half + 1.0)
        return [
            (
                float(self._a[k, 0]),
                float(self._a[k, 1]),
                float(self._ab[k, 0]),
                float(self._ab[k, 1]),
                float(self._ab2[k]),
            )
            for k in keep
        ]

    def distance_to_line(self, x: float, y: float) -> float:
        return self.nearest_on_line(x, y)[0]

    def attribute(self, origin: Fix) -> tuple[str | None, float]:
        x, y = float(origin.x), float(origin.y)
        party = self.party_at(x, y)
        if party is None:
            return None, 0.0
        d, nx, ny = self.nearest_on_line(x, y)
        if d == 0.0:
            return party, 0.5
        sigma = max(origin.sigma_towards((x - nx) / d, (y - ny) / d), 1.0)
        return party, round(normal_cdf(d / sigma), 6)
