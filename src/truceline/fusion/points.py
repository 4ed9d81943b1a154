"""What association compares: a report's point on each side of an event.

Every report sits on a side: the impact side (where the round lands: impacts,
explosions, radar impact points, thermal pixels, ...) or the origin side (launches and
radar points of origin); a radar track sits on both. On a side, a report is a
`SidePoint`: its point and 1-sigma radius, for a bearing report its wedge (the
reporter's position, the bearing and the distance band), for a radar track the other
end of the track. NaN marks what is absent.

The layout is defined once, here: `SidePoint` names the columns, the constants below
index them, and the two builders give the same points, for a whole table at once
(`side_points`, numpy, the batch's k-d tree search) and for one engine row
(`row_points`, plain floats, the stream and the engine).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from truceline.fusion.base import F64, I64, KIND_CODE, NON_DETECTION_KINDS, EvidenceTable
from truceline.fusion.rows import Row
from truceline.observation import Kind

IMPACT, ORIGIN = 0, 1


class SidePoint(NamedTuple):
    """A report's association point on one side."""

    x: float
    y: float
    sigma: float
    # A bearing report's wedge: the reporter, the bearing (radians clockwise from north)
    # and the distance band.
    sx: float
    sy: float
    bearing: float
    lo: float
    hi: float
    # A radar track's other end (its origin on the impact side, its impact on the origin
    # side).
    ox: float
    oy: float
    osigma: float


# Column indices of the point arrays (`side_points`) and tuples (`row_points`).
X, Y, SIGMA, SX, SY, BEARING, LO, HI, OX, OY, OSIGMA = range(len(SidePoint._fields))
NCOL = len(SidePoint._fields)
assert SidePoint._fields[OSIGMA] == "osigma" and SidePoint._fields[BEARING] == "bearing"

_NAN3 = (math.nan,) * 3
_NAN5 = (math.nan,) * 5
_NON_DETECTION = np.array([KIND_CODE[k] for k in NON_DETECTION_KINDS], dtype=np.int16)


def side_points(table: EvidenceTable, side: int) -> tuple[I64, F64]:
    """The rows on a side and their points there, one `SidePoint` per array row."""
    detection = ~np.isin(table.kind, _NON_DETECTION)
    launch = table.origin_side
    bear = np.column_stack((table.sx, table.sy, table.bearing, table.band_lo, table.band_hi))
    if side == IMPACT:
        rows = np.flatnonzero(detection & ~launch & ~np.isnan(table.x))
        origin = np.column_stack((table.ox[rows], table.oy[rows], table.osigma[rows]))
        origin[np.isnan(origin[:, 0])] = np.nan
        pts = np.column_stack((table.x[rows], table.y[rows], table.sigma[rows], bear[rows], origin))
        return rows, pts
    from_launch = detection & launch & ~np.isnan(table.x)
    from_radar = detection & ~launch & ~np.isnan(table.ox)
    rows = np.flatnonzero(from_launch | from_radar)
    is_launch = launch[rows]
    x = np.where(is_launch, table.x[rows], table.ox[rows])
    y = np.where(is_launch, table.y[rows], table.oy[rows])
    sig = np.where(is_launch, table.sigma[rows], table.osigma[rows])
    b = np.where(is_launch[:, None], bear[rows], np.nan)  # a radar origin is a point
    impact = np.column_stack((table.x[rows], table.y[rows], table.sigma[rows]))
    impact[is_launch] = np.nan  # a launch has no other end; a radar track has its impact
    return rows, np.column_stack((x, y, sig, b, impact))


def row_points(row: Row) -> dict[int, SidePoint]:
    """One engine row's points by side, exactly as `side_points` builds them."""
    if row.kind in NON_DETECTION_KINDS or math.isnan(row.x):
        return {}
    bear = (row.sx, row.sy, row.bearing, row.lo, row.hi)
    if row.kind is Kind.launch:
        return {ORIGIN: SidePoint(row.x, row.y, row.sigma, *bear, *_NAN3)}
    if math.isnan(row.ox):
        return {IMPACT: SidePoint(row.x, row.y, row.sigma, *bear, *_NAN3)}
    return {
        IMPACT: SidePoint(row.x, row.y, row.sigma, *bear, row.ox, row.oy, row.osigma),
        ORIGIN: SidePoint(row.ox, row.oy, row.osigma, *_NAN5, row.x, row.y, row.sigma),
    }
