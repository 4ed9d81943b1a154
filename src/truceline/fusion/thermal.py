"""Thermal anomalies judged against a seasonal per-cell baseline.

A satellite fire pixel is a strike only if its cell burns more than it
normally does at that time of year: farmers burn stubble every August, and a
count that the season explains is no evidence of war. Following the
Economist's war-fire model (simplified: a seasonal mean per cell instead of a
boosted-tree prediction):

    expected(cell, season) = mean daily count of baseline fires in the cell in
                             that season (the months around the day);
    excess = observed - Poisson upper quantile(expected) - offset.

Cells are `cell_deg` squares (0.1 degree, as the Economist), seasons are
calendar months. Everything is counting, so it is exact and reproducible.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np
from numpy.typing import NDArray
from scipy.stats import poisson

Cell = tuple[int, int]


def cell_of(lon: float, lat: float, cell_deg: float = 0.1) -> Cell:
    return (int(np.floor(lon / cell_deg)), int(np.floor(lat / cell_deg)))


def cells_of(
    lon: NDArray[np.float64], lat: NDArray[np.float64], cell_deg: float = 0.1
) -> NDArray[np.int64]:
    """Cell ids as one int64 per point (for vectorised counting)."""
    cx = np.floor(np.asarray(lon) / cell_deg).astype(np.int64)
    cy = np.floor(np.asarray(lat) / cell_deg).astype(np.int64)
    return cx * 100_000 + cy


def upper_quantile(expected: float | NDArray[np.float64], q: float = 0.95) -> NDArray[np.float64]:
    """The q-quantile of a Poisson count with mean `expected` (0 for a mean of 0)."""
    mu = np.asarray(expected, dtype=float)
    return np.where(mu > 0, poisson.ppf(q, np.maximum(mu, 1e-12)), 0.0)


@dataclass
class SeasonalBaseline:
    """Daily fire rate per (cell, month), learned from baseline-period detections."""

    cell_deg: float = 0.1
    counts: Counter[tuple[Cell, int]] = field(default_factory=Counter)
    days_per_month: Counter[int] = field(default_factory=Counter)

    def fit(
        self, points: Iterable[tuple[float, float, float]], start: float, end: float
    ) -> SeasonalBaseline:
        """Learn from (lon, lat, unix time) detections of the period [start, end)."""
        for lon, lat, t in points:
            if start <= t < end:
                month = datetime.fromtimestamp(t, UTC).month
                self.counts[(cell_of(lon, lat, self.cell_deg), month)] += 1
        day = start
        while day < end:
            self.days_per_month[datetime.fromtimestamp(day, UTC).month] += 1
            day += 86_400.0
        return self

    @classmethod
    def for_period(cls, start: float, end: float, cell_deg: float = 0.1) -> SeasonalBaseline:
        """An empty baseline over [start, end), to be fed detection by detection."""
        return cls(cell_deg).fit((), start, end)

    def add(self, lon: float, lat: float, t: float) -> None:
        """One baseline detection (ignored outside the baseline period's months)."""
        month = datetime.fromtimestamp(t, UTC).month
        self.counts[(cell_of(lon, lat, self.cell_deg), month)] += 1

    @property
    def empty(self) -> bool:
        return not self.days_per_month

    def expected(self, lon: float, lat: float, t: float) -> float:
        """Expected detections per day in the cell at that time of year."""
        month = datetime.fromtimestamp(t, UTC).month
        days = self.days_per_month.get(month, 0)
        if days == 0:
            return 0.0
        return self.counts.get((cell_of(lon, lat, self.cell_deg), month), 0) / days

    def anomalous(self, lon: float, lat: float, t: float, observed: int, q: float = 0.99) -> bool:
        """More detections in the cell that day than the season explains."""
        return bool(observed > float(upper_quantile(self.expected(lon, lat, t), q)))


def excess(
    observed: NDArray[np.float64], expected: NDArray[np.float64], offset: float = 2.0
) -> NDArray[np.float64]:
    """The Economist's excess, floored at zero: observed - upper 95% - offset."""
    return np.maximum(np.asarray(observed, float) - upper_quantile(expected) - offset, 0.0)
