"""Association: which observations report the same event.

The rule is defined in ledger order so that a batch over the whole log and a
stream fed one entry at a time give the same incidents, by construction:

* every observation is placed on a side: the impact side (where the round
  lands: impacts, explosions, radar impact points, thermal pixels, ...) or the
  origin side (launches and radar points of origin). A radar track sits on
  both sides and so joins the two ends of an event (`fusion.points`: the
  `SidePoint` layout, defined once);
* on each side, observation `i` links to the single best-scoring *earlier*
  observation `j < i` with |t_i - t_j| <= window and score <= 1 (ties to the
  lower index). For two point reports the score is distance / gate, the gate
  growing with their uncertainties (k sigma, between `radius_m` and
  `max_radius_m`). A bearing report ("1-4 km south-south-east") is a wedge,
  not a disc: the other report must lie within k sigma of the bearing line
  (sigma = range x bearing error) and of the distance band, so an observer's
  vague report cannot join the wrong battery just because it is near;
* an incident is a connected component of these links, named after its first
  (lowest-index) observation. The engine (`adjudication.lifecycle`) refines the
  choice: it takes, per side, the best candidate whose *incident* fix is also
  within the gate of the new report, so a vague report cannot chain two
  distinct events together.

Arrival order does not decide what links: a report joins the reports of its event
whenever it is logged, before or after them (the candidate relation is symmetric and
the engine re-judges the incident it joins). Only reports logged more than
`lateness_s` behind the newest event time already in the log do not associate (in
either mode). The engine sets it to the agreement's evidence-age bound
(`time.max_age_s + time.max_ahead_s`): ingest refuses anything older at arrival, so
no accepted report is ever left out; the stream keeps that much event time in memory.

The batch finds candidate pairs with a k-d tree over (x, y, scaled time)
(scipy cKDTree, O(n log n)); the stream uses a grid of cells of the maximal gate.
Both score candidates with the same vectorised function.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from truceline.agreement.timebounds import DEFAULT_MAX_AGE_S, DEFAULT_MAX_AHEAD_S
from truceline.fusion.base import BEARING_SIGMA_RAD, F64, I64, EvidenceTable
from truceline.fusion.points import (
    BEARING,
    HI,
    IMPACT,
    LO,
    NCOL,
    ORIGIN,
    OSIGMA,
    OX,
    OY,
    SIGMA,
    SX,
    SY,
    X,
    Y,
    side_points,
)

__all__ = ["IMPACT", "ORIGIN", "Gate", "StreamIndex", "candidate_blocks", "side_points"]
# Rows per block of the batch's candidate search (bounds its working memory).
BLOCK_ROWS = 1 << 16


@dataclass(frozen=True)
class Gate:
    window_s: float = 300.0
    radius_m: float = 2000.0  # the gate for two precise reports
    max_radius_m: float = 6000.0  # the gate never grows past this, however vague the reports
    k_sigma: float = 3.0
    # How far behind the newest event time a report may be logged and still associate:
    # the agreement's evidence-age bound (ingest refuses anything older at arrival).
    lateness_s: float = DEFAULT_MAX_AGE_S + DEFAULT_MAX_AHEAD_S

    # The association score, in the two forms the modes need: `score` for arrays of pairs
    # (the batch's and the stream's candidates) and `score_point` for one report against
    # an incident's fix (the engine, per candidate). Same formula; `test_associate.py`
    # checks they agree.

    def score(self, a: F64, b: F64) -> F64:
        """Score of pairs (rows of `a` against rows of `b`, `SidePoint` arrays of shape
        (n, NCOL)); <= 1 may match."""
        dx = a[:, X] - b[:, X]
        dy = a[:, Y] - b[:, Y]
        gate = np.minimum(
            self.max_radius_m,
            np.maximum(self.radius_m, self.k_sigma * np.hypot(a[:, SIGMA], b[:, SIGMA])),
        )
        s = np.hypot(dx, dy) / gate
        s = np.maximum(s, np.maximum(self._wedge(a, b), self._wedge(b, a)))
        # Two tracks whose impacts agree only loosely (within the minimum gate, not within
        # their errors) are one event only if their origins agree too: in a duel, rounds
        # crossing each other land near each other's guns. Tracks that agree tightly on
        # the impact are one event even if they disagree on the origin: that conflict is
        # for adjudication to see, not for association to hide.
        tight = np.hypot(dx, dy) <= self.k_sigma * np.hypot(a[:, SIGMA], b[:, SIGMA])
        both = ~np.isnan(a[:, OX]) & ~np.isnan(b[:, OX]) & ~tight
        if both.any():
            other_gate = np.minimum(
                self.max_radius_m,
                np.maximum(
                    self.radius_m, self.k_sigma * np.hypot(a[both, OSIGMA], b[both, OSIGMA])
                ),
            )
            other = np.hypot(a[both, OX] - b[both, OX], a[both, OY] - b[both, OY]) / other_gate
            s[both] = np.maximum(s[both], other)
        return s

    def score_point(self, a: tuple[float, ...], fx: float, fy: float, fsig: float) -> float:
        """`score` of one report (a `SidePoint`) against a bare point (an incident's fix),
        in plain floats: the same formula, without numpy's per-call cost. Used by both
        modes alike."""
        gate = min(self.max_radius_m, max(self.radius_m, self.k_sigma * math.hypot(a[SIGMA], fsig)))
        s = math.hypot(a[X] - fx, a[Y] - fy) / gate
        bearing = a[BEARING]
        if bearing != bearing:  # NaN: a point report
            return s
        vx, vy = fx - a[SX], fy - a[SY]
        dxb, dyb = math.sin(bearing), math.cos(bearing)
        along = vx * dxb + vy * dyb
        if not along > 0:
            return math.inf
        across = vx * dyb - vy * dxb
        lo, hi = a[LO], a[HI]
        sig_p = max(fsig, 50.0)
        s_across = math.hypot(max(along, lo) * BEARING_SIGMA_RAD, sig_p)
        outside = max(lo - along, 0.0) + max(along - hi, 0.0)
        s_along = math.hypot(0.25 * (hi - lo), sig_p)
        return max(s, max(abs(across) / s_across, outside / s_along) / self.k_sigma)

    def _wedge(self, w: F64, p: F64) -> F64:
        """How far p's point lies outside w's bearing wedge, in gate units (0 if w is a point)."""
        bearing = w[:, BEARING]
        is_b = ~np.isnan(bearing)
        out = np.zeros(len(w))
        if not is_b.any():
            return out
        vx = p[is_b, X] - w[is_b, SX]
        vy = p[is_b, Y] - w[is_b, SY]
        dxb, dyb = np.sin(bearing[is_b]), np.cos(bearing[is_b])
        along = vx * dxb + vy * dyb
        across = vx * dyb - vy * dxb
        lo, hi = w[is_b, LO], w[is_b, HI]
        sig_p = p[is_b, SIGMA]
        # A point report's own error, but not a whole second wedge's, widens the test.
        sig_p = np.where(np.isnan(p[is_b, BEARING]), sig_p, 0.0)
        s_across = np.hypot(np.maximum(along, lo) * BEARING_SIGMA_RAD, np.maximum(sig_p, 50.0))
        outside = np.maximum(lo - along, 0.0) + np.maximum(along - hi, 0.0)
        s_along = np.hypot(0.25 * (hi - lo), np.maximum(sig_p, 50.0))
        z = np.maximum(np.abs(across) / s_across, outside / s_along) / self.k_sigma
        out[is_b] = np.where(along > 0, z, np.inf)
        return out


def late_rows(t: F64, lateness_s: float) -> NDArray[np.bool_]:
    """Rows whose event time is more than `lateness_s` behind the newest earlier one."""
    if t.size == 0:
        return np.zeros(0, bool)
    prior_max = np.concatenate(([-np.inf], np.maximum.accumulate(t)[:-1]))
    return t < prior_max - lateness_s


def candidates_batch(table: EvidenceTable, gate: Gate) -> tuple[I64, I64, I64]:
    """All candidate links (later row i, earlier row j, side) with score <= 1, ordered by
    i, then side, then best score, then the lowest j."""
    blocks = [b[2:] for b in candidate_blocks(table, gate)]
    if not blocks:
        empty = np.zeros(0, np.int64)
        return empty, empty, empty
    i, j, sd = (np.concatenate(c) for c in zip(*blocks, strict=True))
    return i, j, sd


def candidate_blocks(
    table: EvidenceTable, gate: Gate, block: int = BLOCK_ROWS
) -> Iterator[tuple[int, int, I64, I64, I64]]:
    """`candidates_batch` in blocks of consecutive rows: (lo, hi, i, j, side) with every
    link of the rows lo <= i < hi, in the same order. A consumer can start on the first
    block while the next ones are found (the k-d tree and numpy release the GIL).

    Every block is yielded, with empty arrays where it has no link.
    A row's earlier candidates lie within the window of its event time, so a block's
    links are found with a tree over the block's rows and the rows before it in that
    stretch of event time (found by a search in time order, however late they came)."""
    late = late_rows(table.t, gate.lateness_s)
    scale = gate.max_radius_m / gate.window_s
    box = gate.max_radius_m * (1 + 1e-9)
    sides = []
    for side in (IMPACT, ORIGIN):
        rows, pts = side_points(table, side)
        keep = ~late[rows]
        rows, pts = rows[keep], pts[keep]
        t = table.t[rows]
        by_time = np.argsort(t, kind="stable")
        xyz = np.column_stack((pts[:, X], pts[:, Y], t * scale))
        sides.append((side, rows, pts, t, by_time, t[by_time], xyz))
    for lo in range(0, len(table), block):
        hi = min(lo + block, len(table))
        out: list[tuple[I64, I64, I64, F64]] = []
        for side, rows, pts, t, by_time, t_sorted, xyz in sides:
            mine = np.arange(*np.searchsorted(rows, (lo, hi)))
            if mine.size == 0:
                continue
            first, last = np.searchsorted(
                t_sorted,
                (t[mine].min() - gate.window_s - 1.0, t[mine].max() + gate.window_s + 1.0),
                side="left",
            )
            theirs = by_time[first:last]
            theirs = np.sort(theirs[rows[theirs] < hi])
            pairs = cKDTree(xyz[mine]).sparse_distance_matrix(
                cKDTree(xyz[theirs]), box, p=np.inf, output_type="ndarray"
            )
            i, j = mine[pairs["i"]], theirs[pairs["j"]]
            ok = j < i  # each link once, from the later row to the earlier
            out.append(_scored(gate, side, rows, pts, t, i[ok], j[ok]))
        if not out:
            empty = np.zeros(0, np.int64)
            yield lo, hi, empty, empty, empty
            continue
        i, j, sd, s = (np.concatenate(c) for c in zip(*out, strict=True))
        order = np.lexsort((j, s, sd, i))
        yield lo, hi, i[order], j[order], sd[order]


def _scored(
    gate: Gate, side: int, rows: I64, pts: F64, t: F64, i: I64, j: I64
) -> tuple[I64, I64, I64, F64]:
    """The pairs (positions on a side) that score <= 1: (row i, row j, side, score)."""
    x, y, sig = pts[:, X], pts[:, Y], pts[:, SIGMA]
    # A pair farther apart than its distance gate scores above 1 whatever the rest of the
    # score says, so only the pairs within it (with a hair of slack for rounding) are
    # scored in full.
    near = np.minimum(
        gate.max_radius_m, np.maximum(gate.radius_m, gate.k_sigma * np.hypot(sig[i], sig[j]))
    )
    ok = (np.abs(t[i] - t[j]) <= gate.window_s) & (
        np.hypot(x[i] - x[j], y[i] - y[j]) <= near * (1 + 1e-9)
    )
    i, j = i[ok], j[ok]
    s = gate.score(pts[i], pts[j])
    ok = s <= 1.0
    return rows[i[ok]], rows[j[ok]], np.full(int(ok.sum()), side, np.int64), s[ok]


def links_batch(table: EvidenceTable, gate: Gate) -> tuple[I64, I64]:
    """The best candidate per row and side (pairwise association only)."""
    i, j, sd = candidates_batch(table, gate)
    if i.size == 0:
        return i, j
    first = np.concatenate(([True], (i[1:] != i[:-1]) | (sd[1:] != sd[:-1])))
    return i[first], j[first]


class StreamIndex:
    """The same links, found one new row at a time with a grid over recent rows."""

    def __init__(self, gate: Gate) -> None:
        self.gate = gate
        self.cell = gate.max_radius_m
        self.newest = -np.inf
        # Every registered (row, side) point has a slot in flat arrays; per side and cell,
        # the slots' event times, ascending, and the slots in the same order, so a query
        # takes only the window's slice of a cell (a cell keeps `window + lateness` of
        # event time, mostly out of the window) and numpy tests and scores the lot.
        self._grid: list[dict[tuple[int, int], tuple[list[float], list[int]]]] = [{}, {}]
        self._pts = np.zeros((1024, NCOL))
        self._t = np.zeros(1024)
        self._row = np.zeros(1024, np.int64)
        self._n = 0
        self._added = 0

    def candidates(
        self, row: int, t: float, points: list[tuple[int, tuple[float, ...]]]
    ) -> list[tuple[int, int]]:
        """Register row `row` (event time t) with its (side, point columns); return its
        candidate (side, earlier row) pairs in the batch's order."""
        return self.candidates_many(row, [(t, points)])[0]

    def _slot(self, row: int, t: float, pt: tuple[float, ...]) -> int:
        n = self._n
        if n == len(self._t):
            grow = len(self._t)
            self._pts = np.concatenate((self._pts, np.zeros((grow, NCOL))))
            self._t = np.concatenate((self._t, np.zeros(grow)))
            self._row = np.concatenate((self._row, np.zeros(grow, np.int64)))
        self._pts[n] = pt
        self._t[n] = t
        self._row[n] = row
        self._n = n + 1
        return n

    def candidates_many(
        self, first: int, rows: list[tuple[float, list[tuple[int, tuple[float, ...]]]]]
    ) -> list[list[tuple[int, int]]]:
        """`candidates` for consecutive rows first, first + 1, ... (each with its event time
        and points), with the same result as one call per row: each row sees the rows
        before it, those of this call included. The pairs are tested and scored in one
        vectorised pass for all the rows (numpy's per-call cost dominates small calls)."""
        gate = self.gate
        # Per queried side: (row offset, side, own point, event time); and the slots it
        # may link to, flat, with each query's count.
        queries: list[tuple[int, int, tuple[float, ...], float]] = []
        counts: list[int] = []
        slots: list[int] = []
        for k, (t, points) in enumerate(rows):
            late = t < self.newest - gate.lateness_s
            self.newest = max(self.newest, t)
            if late:
                continue
            # A slice a hair wider than the window; the exact test below decides. The
            # candidates' order does not matter: they are ranked by (score, row) below.
            lo_t, hi_t = t - gate.window_s - 1.0, t + gate.window_s + 1.0
            for side, pt in points:
                grid = self._grid[side]
                cx, cy = math.floor(pt[X] / self.cell), math.floor(pt[Y] / self.cell)
                before = len(slots)
                for gx in (cx - 1, cx, cx + 1):
                    for gy in (cy - 1, cy, cy + 1):
                        found_cell = grid.get((gx, gy))
                        if found_cell is not None:
                            ts, ids = found_cell
                            slots.extend(ids[bisect_left(ts, lo_t) : bisect_right(ts, hi_t)])
                if len(slots) > before:
                    queries.append((k, side, pt, t))
                    counts.append(len(slots) - before)
                ts, ids = grid.setdefault((cx, cy), ([], []))
                at = bisect_right(ts, t)
                ts.insert(at, t)
                ids.insert(at, self._slot(first + k, t, pt))
        out: list[list[tuple[int, int]]] = [[] for _ in rows]
        if queries:
            self._score(queries, counts, slots, out)
        # Eviction (and slot compaction) waits for the scoring; it drops only slots too old
        # for any row that is not late, so when it runs changes no link.
        before = self._added
        self._added += len(rows)
        if self._added // 4096 > before // 4096:
            self._evict()
        return out

    def _score(
        self,
        queries: list[tuple[int, int, tuple[float, ...], float]],
        counts: list[int],
        slots: list[int],
        out: list[list[tuple[int, int]]],
    ) -> None:
        gate = self.gate
        take = np.array(slots, dtype=np.int64)
        theirs = self._pts[take]
        their_t = self._t[take]
        idx_all = self._row[take]
        mine = np.repeat(np.array([q[2] for q in queries], dtype=float), counts, axis=0)
        my_t = np.repeat(np.array([q[3] for q in queries], dtype=float), counts)
        box = gate.max_radius_m * (1 + 1e-9)
        near = (
            (np.abs(my_t - their_t) <= gate.window_s)
            & (np.abs(mine[:, X] - theirs[:, X]) <= box)
            & (np.abs(mine[:, Y] - theirs[:, Y]) <= box)
        )
        s_all = np.full(len(take), np.inf)
        if near.any():
            s_all[near] = gate.score(mine[near], theirs[near])
        at = 0
        for (k, side, _, _), n in zip(queries, counts, strict=True):
            s, idx = s_all[at : at + n], idx_all[at : at + n]
            at += n
            ok = np.flatnonzero(s <= 1.0)
            if ok.size:
                order = np.lexsort((idx[ok], s[ok]))
                out[k].extend((side, int(idx[ok[o]])) for o in order)

    def add(self, row: int, t: float, points: list[tuple[int, tuple[float, ...]]]) -> list[int]:
        """The best candidate per side (pairwise association only)."""
        seen: set[int] = set()
        out = []
        for side, j in self.candidates(row, t, points):
            if side not in seen:
                seen.add(side)
                out.append(j)
        return out

    def _evict(self) -> None:
        horizon = self.newest - self.gate.lateness_s - self.gate.window_s
        live = 0
        for grid in self._grid:
            for key in list(grid):
                ts, ids = grid[key]
                cut = bisect_left(ts, horizon)
                if cut == len(ts):
                    del grid[key]
                    continue
                if cut:
                    grid[key] = (ts[cut:], ids[cut:])
                live += len(ts) - cut
        if live * 2 < self._n:
            # Compact the slot arrays to the live slots (renumbered in order).
            renumber = np.full(self._n, -1, np.int64)
            keep = np.sort(
                np.array(
                    [i for grid in self._grid for _, ids in grid.values() for i in ids], np.int64
                )
            )
            renumber[keep] = np.arange(len(keep))
            size = max(1024, 2 * len(keep))
            pts, t, row = np.zeros((size, NCOL)), np.zeros(size), np.zeros(size, np.int64)
            pts[: len(keep)] = self._pts[keep]
            t[: len(keep)] = self._t[keep]
            row[: len(keep)] = self._row[keep]
            self._pts, self._t, self._row, self._n = pts, t, row, len(keep)
            for grid in self._grid:
                for key, (ts, ids) in grid.items():
                    grid[key] = (ts, renumber[np.array(ids, np.int64)].tolist())


def table_row_points(table: EvidenceTable, row: int) -> list[tuple[int, tuple[float, ...]]]:
    """The (side, point columns) a table row contributes, as `side_points` defines them."""
    out = []
    for side in (IMPACT, ORIGIN):
        rows, pts = side_points(table.take(np.array([row])), side)
        if rows.size:
            out.append((side, tuple(float(v) for v in pts[0])))
    return out
