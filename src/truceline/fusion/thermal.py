"""Satellite fire pixels scored against a pre-war seasonal baseline, per 0.1-degree cell-day.

A fire pixel is evidence of war only if its cell burns beyond what the season, the
year's weather and the cell's own history explain: farmers burn stubble every
August, and in March 2022 western Ukraine burned fifteen times its 2021 level with
no fighting there. The model follows The Economist's war-fire model, with one
baseline year where The Economist trains a boosted-tree ensemble on 2000-2021:

* cells are 0.1-degree squares centred on multiples of 0.1 degree (The Economist's
  grid); days are UTC days;
* expected: the baseline's mean daily detections in the cell over the same day of
  year +-15 days, blended half and half with its 3x3 cells' mean (one year is
  sparse);
* regional activity `f`: detections over expected in the 3x3 one-degree blocks
  around the cell, over the 31 days ending that day, never below 1. Burning that
  the whole region shares (weather, farming) scales the cell's expectation up;
* excess (The Economist): observed - upper 95 % Poisson quantile of
  (expected x f) - 2; a cell-day with excess > 0 is an excess day;
* sustained (The Economist): a cell's excess days count only once it has two of
  them 6 to 89 days apart;
* persistence (The Economist): pixels in the 10 days after a war day of the cell
  are war-related too;
* The Economist's 50 km neighbourhood (a cell near a sustained cell counts as
  sustained) is not used: with a one-year baseline it spread false alarms (tuned
  on 2022, docs/fusion.md); forest fires are not excluded (no list to exclude).

The score of a pixel is war (0 or 1) + sigmoid(log((observed + 1) / (expected x f
+ 1))), in (0, 2); war exactly when the score exceeds 1.

Every quantity is a function of the pixels added so far, so re-adding the same
pixels in the same order gives the same verdicts. `ThermalScorer(track=True)`
keeps the regional sums up to date on each pixel and reports, after each one, the
cells whose verdicts may have changed (the lifecycle engine re-judges their
incidents); `track=False` only counts, and works everything out once in `settle`
(the `thermal-score` command).
"""

from __future__ import annotations

import bisect
import math
from collections import Counter
from collections.abc import Iterable
from datetime import date
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray
from scipy.special import gammainccinv
from scipy.stats import poisson

Cell = tuple[int, int]
DAY_S = 86_400
WINDOW_DAYS = 15  # +- days of the same season in the baseline
REGION_DAYS = 31  # days (ending that day) of regional activity
BLOCK = 10  # cells per regional block side (1 degree)
OFFSET = 2.0  # The Economist's: excess counts above the upper quantile + 2
QUANTILE = 0.95
SUSTAIN = (6, 89)  # days apart of two excess days for a cell to count (The Economist)
PERSIST_DAYS = 10  # days after a war day that the cell's pixels stay war-related
_EPS = 1e-3
_EPOCH = date(1970, 1, 1).toordinal()


def cell_of(lon: float, lat: float) -> Cell:
    """The 0.1-degree cell centred on (round(lon, 1), round(lat, 1))."""
    return (round(lon * 10), round(lat * 10))


def day_of(t: float) -> int:
    """UTC day number (days since 1970-01-01) of unix time t."""
    return int(t // DAY_S)


_DOY: dict[int, int] = {}


def _doy(day: int) -> int:
    """Day of year 0..364 (31 December of a leap year shares 30 December's)."""
    d = _DOY.get(day)
    if d is None:
        d = _DOY[day] = min(date.fromordinal(day + _EPOCH).timetuple().tm_yday - 1, 364)
    return d


def upper_quantile(expected: float | NDArray[np.float64], q: float = 0.95) -> NDArray[np.float64]:
    """The q-quantile of a Poisson count with mean `expected` (0 for a mean of 0)."""
    mu = np.asarray(expected, dtype=float)
    return np.where(mu > 0, poisson.ppf(q, np.maximum(mu, 1e-12)), 0.0)


def excess(
    observed: NDArray[np.float64], expected: NDArray[np.float64], offset: float = 2.0
) -> NDArray[np.float64]:
    """The Economist's excess, floored at zero: observed - upper 95% - offset."""
    return np.maximum(np.asarray(observed, float) - upper_quantile(expected) - offset, 0.0)


class _Quantiles:
    """mu[k]: the largest Poisson mean whose 95 % quantile is at most k. A count k is
    within the quantile of mean m exactly when m <= mu[k]: one comparison, the same
    in every mode, where a quantile function per check would be slow."""

    def __init__(self) -> None:
        self.mu: list[float] = []

    def _grow(self, k: int) -> None:
        start = len(self.mu)
        if k >= start:
            ks = np.arange(start, max(k + 1, 2 * start, 64))
            self.mu.extend(gammainccinv(ks + 1.0, QUANTILE).tolist())

    def limit(self, k: int) -> float:
        """mu[k]: a count k is within the quantile of any mean up to it."""
        self._grow(k)
        return self.mu[k]

    def quantile(self, mean: float) -> int:
        """The smallest k with mean <= mu[k]."""
        if mean <= 0.0:
            return 0
        while not self.mu or self.mu[-1] < mean:
            self._grow(len(self.mu))
        return bisect.bisect_left(self.mu, mean)


_Q = _Quantiles()


class ThermalBaseline:
    """Detections of the baseline period per (cell, day of year): what each cell burns
    in a normal year. `years` is how many years the detections span."""

    def __init__(self, years: float = 1.0) -> None:
        self.years = years
        self.counts: dict[Cell, Counter[int]] = {}
        self.block_counts: dict[Cell, Counter[int]] = {}
        self.version = 0
        self._t: dict[tuple[Cell, int], float] = {}
        self._mean: dict[tuple[Cell, int], float] = {}
        self._block: dict[tuple[Cell, int], float] = {}

    def add(self, lon: float, lat: float, t: float) -> None:
        c = cell_of(lon, lat)
        d = _doy(day_of(t))
        self.counts.setdefault(c, Counter())[d] += 1
        self.block_counts.setdefault(_block(c), Counter())[d] += 1
        self.version += 1
        self._t.clear()
        self._mean.clear()
        self._block.clear()

    @property
    def empty(self) -> bool:
        return not self.counts

    def _seasonal(
        self,
        cache: dict[tuple[Cell, int], float],
        counts: dict[Cell, Counter[int]],
        c: Cell,
        doy: int,
    ) -> float:
        """Mean daily detections of `counts[c]` over the season's +-15 days (cached)."""
        key = (c, doy)
        v = cache.get(key)
        if v is None:
            found = counts.get(c)
            n = 0
            if found:
                n = sum(found.get((doy + k) % 365, 0) for k in range(-WINDOW_DAYS, WINDOW_DAYS + 1))
            v = cache[key] = n / ((2 * WINDOW_DAYS + 1) * self.years)
        return v

    def own(self, c: Cell, doy: int) -> float:
        """The cell's mean daily detections over the season's +-15 days."""
        return self._seasonal(self._t, self.counts, c, doy)

    def block(self, b: Cell, doy: int) -> float:
        """Expected detections per day in a one-degree block (its cells' own rates)."""
        return self._seasonal(self._block, self.block_counts, b, doy)

    def expected(self, c: Cell, doy: int) -> float:
        """Expected detections per day: half the cell's own, half its 3x3 cells' mean."""
        key = (c, doy)
        v = self._mean.get(key)
        if v is None:
            x, y = c
            around = sum(self.own((x + i, y + j), doy) for i in (-1, 0, 1) for j in (-1, 0, 1))
            v = self._mean[key] = 0.5 * self.own(c, doy) + 0.5 * around / 9.0
        return v


def _block(c: Cell) -> Cell:
    return (c[0] // BLOCK, c[1] // BLOCK)


def _around(b: Cell) -> list[Cell]:
    return [(b[0] + i, b[1] + j) for i in (-1, 0, 1) for j in (-1, 0, 1)]


class ThermalVerdict(NamedTuple):
    score: float  # war + sigmoid(log ratio), in (0, 2)
    war: bool
    observed: int  # detections in the cell that day
    expected: float  # expected x regional activity
    excess: float  # The Economist's: observed - upper 95 % - 2
    sustained: bool
    persisted: bool  # war by the 10 days after one of the cell's war days


class ThermalScorer:
    """Cell-day counts of the scored period against a `ThermalBaseline`."""

    def __init__(self, baseline: ThermalBaseline, track: bool = True) -> None:
        self.baseline = baseline
        self.track = track
        self.obs: Counter[tuple[Cell, int]] = Counter()
        self._block_obs: Counter[tuple[Cell, int]] = Counter()
        # Regional detections per (block, day): the 3x3 blocks over the 31 days ending
        # that day. Kept up to date per pixel when tracking, else filled by `settle`.
        self._region: Counter[tuple[Cell, int]] = Counter()
        self._region_expected: dict[tuple[Cell, int], float] = {}
        self._excess_days: dict[Cell, list[int]] = {}
        # Excess cell-days by (block, day): the regional factor at which each stops
        # being one (mu[observed - 3] / expected), so a pixel elsewhere in the region
        # checks only the cell-days it can turn off.
        self._excess_at: dict[tuple[Cell, int], dict[Cell, float]] = {}
        self._sustained: dict[Cell, bool] = {}
        self._changed: set[Cell] = set()
        self._baseline_version = baseline.version

    # --- counting -----------------------------------------------------------------

    def add(self, lon: float, lat: float, t: float) -> None:
        """One pixel of the scored period."""
        c = cell_of(lon, lat)
        d = day_of(t)
        b = _block(c)
        self.obs[(c, d)] += 1
        self._block_obs[(b, d)] += 1
        if not self.track:
            return
        if self.baseline.version != self._baseline_version:
            self._rebuild()
        touched = self._spread(b, d, 1)
        self._refresh(c, d)
        for key in touched:
            cells = self._excess_at.get(key)
            if not cells:
                continue
            f = self.activity(*key)
            for other, limit in list(cells.items()):
                if f > limit:
                    self._refresh(other, key[1])

    def _spread(self, b: Cell, d: int, n: int) -> list[tuple[Cell, int]]:
        """Count n pixels of block b on day d into the regional sums they belong to."""
        touched = []
        region = self._region
        for around in _around(b):
            for later in range(d, d + REGION_DAYS):
                key = (around, later)
                region[key] += n
                touched.append(key)
        return touched

    def settle(self) -> None:
        """Work out every regional sum and excess day from the counts (track=False)."""
        self._region.clear()
        for (b, d), n in self._block_obs.items():
            self._spread(b, d, n)
        self._rebuild()

    def _rebuild(self) -> None:
        """Every excess day again (after `settle`, or when the baseline changed)."""
        self._baseline_version = self.baseline.version
        self._region_expected.clear()
        pending = self._changed
        before = {c: days for c, days in self._excess_days.items() if days}
        self._excess_days = {}
        self._excess_at.clear()
        self._sustained.clear()
        for c, d in sorted(k for k, n in self.obs.items() if n >= 3):
            self._refresh(c, d)
        after = {c: days for c, days in self._excess_days.items() if days}
        self._changed = pending | {
            c for c in before.keys() | after.keys() if before.get(c) != after.get(c)
        }

    # --- the model ------------------------------------------------------------------

    def activity(self, b: Cell, d: int) -> float:
        """Regional activity of block b's 3x3 blocks over the 31 days ending day d: the
        ratio of detections to the baseline's expectation, never below 1."""
        key = (b, d)
        exp = self._region_expected.get(key)
        if exp is None:
            base = self.baseline
            exp = sum(
                base.block(around, _doy(day))
                for around in _around(b)
                for day in range(d - REGION_DAYS + 1, d + 1)
            )
            self._region_expected[key] = exp
        return max(1.0, (self._region.get(key, 0) + _EPS) / (exp + _EPS))

    def expected(self, c: Cell, d: int) -> float:
        """Expected detections of the cell that day: the season, scaled by the region."""
        return self.baseline.expected(c, _doy(d)) * self.activity(_block(c), d)

    def _limit(self, c: Cell, d: int) -> float:
        """The regional activity above which the cell-day stops being an excess day."""
        n = self.obs.get((c, d), 0)
        if n < 3:
            return -math.inf
        season = self.baseline.expected(c, _doy(d))
        mu = _Q.limit(n - 3)
        return mu / season if season > 0 else math.inf

    def _refresh(self, c: Cell, d: int) -> None:
        """Recompute whether (c, d) is an excess day; note the cell if that changed."""
        limit = self._limit(c, d)
        key = (_block(c), d)
        is_excess = limit >= self.activity(*key) if limit > -math.inf else False
        days = self._excess_days.setdefault(c, [])
        i = bisect.bisect_left(days, d)
        was = i < len(days) and days[i] == d
        if is_excess:
            self._excess_at.setdefault(key, {})[c] = limit
        else:
            at = self._excess_at.get(key)
            if at is not None:
                at.pop(c, None)
        if is_excess == was:
            return
        if is_excess:
            days.insert(i, d)
        else:
            del days[i]
        self._sustained.pop(c, None)
        self._changed.add(c)

    def sustained(self, c: Cell) -> bool:
        """Two excess days 6 to 89 days apart (The Economist's min_length_of_fire_in_area)."""
        s = self._sustained.get(c)
        if s is None:
            days = self._excess_days.get(c, [])
            lo, hi = SUSTAIN
            s = False
            j = 0
            for i, d in enumerate(days):
                j = max(j, i + 1)
                while j < len(days) and days[j] - d < lo:
                    j += 1
                if j < len(days) and days[j] - d <= hi:
                    s = True
                    break
            self._sustained[c] = s
        return s

    def changed_cells(self) -> set[Cell]:
        """Cells whose excess days changed since the last call (then forgotten)."""
        if self.track and self.baseline.version != self._baseline_version:
            self._rebuild()
        out, self._changed = self._changed, set()
        return out

    def verdict(self, c: Cell, d: int) -> ThermalVerdict:
        n = self.obs.get((c, d), 0)
        m = self.expected(c, d)
        days = self._excess_days.get(c, [])
        i = bisect.bisect_left(days, d)
        is_excess = i < len(days) and days[i] == d
        sustained = self.sustained(c) if days else False
        earlier = days[i - 1] if i > 0 else None
        persisted = (
            sustained and not is_excess and earlier is not None and d - earlier <= PERSIST_DAYS
        )
        war = sustained and (is_excess or persisted)
        ratio = math.log((n + 1.0) / (m + 1.0))
        score = float(war) + 1.0 / (1.0 + math.exp(-ratio))
        return ThermalVerdict(
            score=score,
            war=war,
            observed=n,
            expected=m,
            excess=n - _Q.quantile(m) - OFFSET,
            sustained=sustained,
            persisted=persisted,
        )


def score_fires(
    baseline: Iterable[tuple[float, float, float]],
    fires: Iterable[tuple[float, float, float]],
    years: float = 1.0,
) -> list[ThermalVerdict]:
    """Every (lon, lat, unix time) fire's verdict once all of them are counted."""
    base = ThermalBaseline(years)
    for lon, lat, t in baseline:
        base.add(lon, lat, t)
    scorer = ThermalScorer(base, track=False)
    rows = list(fires)
    for lon, lat, t in rows:
        scorer.add(lon, lat, t)
    scorer.settle()
    cache: dict[tuple[Cell, int], ThermalVerdict] = {}
    out = []
    for lon, lat, t in rows:
        key = (cell_of(lon, lat), day_of(t))
        v = cache.get(key)
        if v is None:
            v = cache[key] = scorer.verdict(*key)
        out.append(v)
    return out
