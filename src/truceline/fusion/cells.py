"""Point-in-geometry queries answered per grid cell wherever a cell decides them.

The engine asks the same few geometries (territories, zones, corridors, protected
sites) about a new point on every re-judgement. A shapely call per point costs
microseconds of per-call overhead; most points lie in cells that are either wholly
inside the geometry's interior or wholly apart from it, so one shapely call per new
cell answers every later point in it. Only cells the boundary crosses fall back to
the exact per-point test, so every answer equals the exact one.
"""

from __future__ import annotations

import math

import shapely
from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry

CELL_M = 2_000.0
INSIDE, APART, CROSSED, UNSEEN = 1, 0, -1, -2


class CellLookup:
    def __init__(self, geom: BaseGeometry, cell_m: float = CELL_M) -> None:
        self.geom = geom
        shapely.prepare(geom)
        self.cell_m = cell_m
        self._cells: dict[tuple[int, int], int] = {}

    def _state(self, x: float, y: float) -> int:
        if not (math.isfinite(x) and math.isfinite(y)):
            return CROSSED
        key = (math.floor(x / self.cell_m), math.floor(y / self.cell_m))
        state = self._cells.get(key)
        if state is None:
            # A cell's first point is tested exactly; its state is worked out (three
            # shapely calls) only when a second point falls in it, so scattered points do
            # not pay for cells they never come back to.
            self._cells[key] = UNSEEN
            return CROSSED
        if state == UNSEEN:
            c = self.cell_m
            box = shapely.box(key[0] * c, key[1] * c, (key[0] + 1) * c, (key[1] + 1) * c)
            if shapely.contains_properly(self.geom, box):
                state = INSIDE  # the closed cell lies in the interior
            elif not shapely.intersects(self.geom, box):
                state = APART
            else:
                state = CROSSED
            self._cells[key] = state
        return state

    def state_of(self, key: tuple[int, int]) -> int:
        """What is known of a cell (INSIDE, APART, CROSSED, UNSEEN) without working it out."""
        return self._cells.get(key, UNSEEN)

    def contains(self, x: float, y: float) -> bool:
        """`shapely.contains_xy(geom, x, y)`: the point is in the interior."""
        state = self._state(x, y)
        if state == CROSSED:
            return bool(shapely.contains_xy(self.geom, x, y))
        return state == INSIDE

    def covers(self, x: float, y: float) -> bool:
        """In the interior or at zero distance (on the boundary)."""
        state = self._state(x, y)
        if state == CROSSED:
            return bool(
                shapely.contains_xy(self.geom, x, y) or self.geom.distance(Point(x, y)) == 0
            )
        return state == INSIDE
