"""Association: which observations report the same event.

The rule is defined in ledger order so that a batch over the whole log and a
stream fed one entry at a time give the same incidents, by construction:

* every observation is placed on a side: the impact side (where the round
  lands: impacts, explosions, radar impact points, thermal pixels, ...) or the
  origin side (launches and radar points of origin). A radar track sits on
  both sides and so joins the two ends of an event;
* on each side, observation `i` links to the single nearest *earlier*
  observation `j < i` within the gate: |t_i - t_j| <= window and distance <=
  gate(sigma_i, sigma_j) (score = distance / gate, ties to the lower index);
* an incident is a connected component of these links, named after its first
  (lowest-index) observation.

Observations logged more than `lateness_s` behind the newest event time
already in the log do not associate (in either mode), so the stream only
keeps the last `window + lateness` of event time in memory.

The batch finds candidate pairs with a k-d tree over (x, y, scaled time)
(scipy cKDTree, O(n log n)); the stream uses a grid of cells of the maximal gate.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from truceline.fusion.base import F64, I64, KIND_CODE, NON_DETECTION_KINDS, EvidenceTable

IMPACT, ORIGIN = 0, 1
_NON_DETECTION = np.array([KIND_CODE[k] for k in NON_DETECTION_KINDS], dtype=np.int16)


@dataclass(frozen=True)
class Gate:
    window_s: float = 300.0
    radius_m: float = 2000.0  # the gate for two precise reports
    max_radius_m: float = 6000.0  # the gate never grows past this, however vague the reports
    k_sigma: float = 3.0
    lateness_s: float = 3600.0

    def score(self, dx: F64, dy: F64, sig_i: F64, sig_j: F64) -> F64:
        """distance / gate; <= 1 means "may be the same event". One formula for both modes."""
        gate = np.minimum(
            self.max_radius_m, np.maximum(self.radius_m, self.k_sigma * np.hypot(sig_i, sig_j))
        )
        return np.hypot(dx, dy) / gate


def side_points(table: EvidenceTable, side: int) -> tuple[I64, F64, F64, F64]:
    """Rows on a side and their (x, y, sigma) there."""
    detection = ~np.isin(table.kind, _NON_DETECTION)
    launch = table.origin_side
    if side == IMPACT:
        rows = np.flatnonzero(detection & ~launch & ~np.isnan(table.x))
        return rows, table.x[rows], table.y[rows], table.sigma[rows]
    from_launch = detection & launch & ~np.isnan(table.x)
    from_radar = detection & ~launch & ~np.isnan(table.ox)
    rows = np.flatnonzero(from_launch | from_radar)
    is_launch = launch[rows]
    x = np.where(is_launch, table.x[rows], table.ox[rows])
    y = np.where(is_launch, table.y[rows], table.oy[rows])
    sig = np.where(is_launch, table.sigma[rows], table.osigma[rows])
    return rows, x, y, sig


def late_rows(t: F64, lateness_s: float) -> NDArray[np.bool_]:
    """Rows whose event time is more than `lateness_s` behind the newest earlier one."""
    if t.size == 0:
        return np.zeros(0, bool)
    prior_max = np.concatenate(([-np.inf], np.maximum.accumulate(t)[:-1]))
    return t < prior_max - lateness_s


def links_batch(table: EvidenceTable, gate: Gate) -> tuple[I64, I64]:
    """All links (later row i, earlier row j), as two arrays, over both sides."""
    late = late_rows(table.t, gate.lateness_s)
    out_i: list[I64] = []
    out_j: list[I64] = []
    for side in (IMPACT, ORIGIN):
        rows, x, y, sig = side_points(table, side)
        keep = ~late[rows]
        rows, x, y, sig = rows[keep], x[keep], y[keep], sig[keep]
        if rows.size < 2:
            continue
        t = table.t[rows]
        scale = gate.max_radius_m / gate.window_s
        tree = cKDTree(np.column_stack((x, y, t * scale)))
        pairs = tree.query_pairs(gate.max_radius_m * (1 + 1e-9), p=np.inf, output_type="ndarray")
        if pairs.size == 0:
            continue
        a, b = pairs[:, 0], pairs[:, 1]
        # Orient each pair as (later, earlier) in ledger order (rows are ascending).
        i = np.maximum(a, b)
        j = np.minimum(a, b)
        ok = np.abs(t[i] - t[j]) <= gate.window_s
        i, j = i[ok], j[ok]
        s = gate.score(x[i] - x[j], y[i] - y[j], sig[i], sig[j])
        ok = s <= 1.0
        i, j, s = i[ok], j[ok], s[ok]
        if i.size == 0:
            continue
        order = np.lexsort((j, s, i))  # per i: best score, then the lowest j
        i, j = i[order], j[order]
        first = np.concatenate(([True], i[1:] != i[:-1]))
        out_i.append(rows[i[first]])
        out_j.append(rows[j[first]])
    if not out_i:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(out_i), np.concatenate(out_j)


class StreamIndex:
    """The same links, found one new row at a time with a grid over recent rows."""

    def __init__(self, gate: Gate) -> None:
        self.gate = gate
        self.cell = gate.max_radius_m
        self.newest = -np.inf
        self._grid: list[dict[tuple[int, int], list[tuple[int, float, float, float, float]]]] = [
            defaultdict(list),
            defaultdict(list),
        ]
        self._added = 0

    def add(self, row: int, t: float, points: list[tuple[int, float, float, float]]) -> list[int]:
        """Register row `row` (event time t) with its (side, x, y, sigma) points; return the
        earlier rows it links to (at most one per side)."""
        gate = self.gate
        late = t < self.newest - gate.lateness_s
        self.newest = max(self.newest, t)
        if late:
            return []
        found: list[int] = []
        for side, x, y, sig in points:
            grid = self._grid[side]
            cx, cy = int(np.floor(x / self.cell)), int(np.floor(y / self.cell))
            cands = [
                c
                for gx in (cx - 1, cx, cx + 1)
                for gy in (cy - 1, cy, cy + 1)
                for c in grid.get((gx, gy), ())
                if abs(t - c[1]) <= gate.window_s
                and abs(x - c[2]) <= gate.max_radius_m * (1 + 1e-9)
                and abs(y - c[3]) <= gate.max_radius_m * (1 + 1e-9)
            ]
            if cands:
                arr = np.array(cands)
                s = gate.score(
                    np.full(len(cands), x) - arr[:, 2],
                    np.full(len(cands), y) - arr[:, 3],
                    np.full(len(cands), sig),
                    arr[:, 4],
                )
                ok = np.flatnonzero(s <= 1.0)
                if ok.size:
                    order = np.lexsort((arr[ok, 0], s[ok]))
                    found.append(int(arr[ok[order[0]], 0]))
            grid[(cx, cy)].append((row, t, x, y, sig))
        self._added += 1
        if self._added % 4096 == 0:
            self._evict()
        return found

    def _evict(self) -> None:
        horizon = self.newest - self.gate.lateness_s - self.gate.window_s
        for grid in self._grid:
            for key in list(grid):
                kept = [c for c in grid[key] if c[1] >= horizon]
                if kept:
                    grid[key] = kept
                else:
                    del grid[key]


def row_points(table: EvidenceTable, row: int) -> list[tuple[int, float, float, float]]:
    """The (side, x, y, sigma) points a row contributes, as `side_points` defines them."""
    from truceline.fusion.base import KIND_CODE as _K  # noqa: N811 - local alias

    kind = int(table.kind[row])
    if kind in {_K[k] for k in NON_DETECTION_KINDS} or np.isnan(table.x[row]):
        return []
    if table.origin_side[row]:
        return [(ORIGIN, float(table.x[row]), float(table.y[row]), float(table.sigma[row]))]
    pts = [(IMPACT, float(table.x[row]), float(table.y[row]), float(table.sigma[row]))]
    if not np.isnan(table.ox[row]):
        pts.append((ORIGIN, float(table.ox[row]), float(table.oy[row]), float(table.osigma[row])))
    return pts
