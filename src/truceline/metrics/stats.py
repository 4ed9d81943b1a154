"""Confidence intervals for the metrics, all exact (no resampling), so that the output is a
function of the log alone and byte-identical wherever it is computed.

- A count of events in a period (breaches, explosions, inspections) is taken as Poisson:
  the exact (Garwood) interval from the chi-square quantiles. Counts of ceasefire
  violations are overdispersed (they come in bursts); the Poisson interval is then too
  narrow, and the metrics say so: a negative-binomial interval needs a dispersion
  estimated from many periods, which a day's report does not have.
- A share (sensors reporting of those live, inspections done of those due) is binomial:
  the Clopper-Pearson interval (beta quantiles), exact and conservative.
- A change against a baseline (this day against the mean of the previous seven) is a
  ratio of two Poisson rates: conditional on the total, the first count is binomial, so
  the Clopper-Pearson interval of that share maps onto an exact interval of the ratio.
- A quantile of delays (p50, p90 of event to verification) gets the distribution-free
  interval between two order statistics, chosen from the binomial distribution.

scipy.stats provides the quantiles (chi2, beta, binom); statsmodels offers the same
intervals but is a much larger dependency for four formulas.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from scipy import stats

LEVEL = 0.95
_ALPHA = 1.0 - LEVEL


def poisson_ci(count: int) -> tuple[float, float]:
    """Exact (Garwood) interval of a Poisson mean, given one observed count."""
    low = 0.0 if count == 0 else float(stats.chi2.ppf(_ALPHA / 2, 2 * count)) / 2
    high = float(stats.chi2.ppf(1 - _ALPHA / 2, 2 * count + 2)) / 2
    return low, high


def proportion_ci(successes: int, trials: int) -> tuple[float, float]:
    """Clopper-Pearson interval of a binomial share; (0, 1) with no trial."""
    if trials <= 0:
        return 0.0, 1.0
    low = (
        0.0
        if successes == 0
        else float(stats.beta.ppf(_ALPHA / 2, successes, trials - successes + 1))
    )
    high = (
        1.0
        if successes == trials
        else float(stats.beta.ppf(1 - _ALPHA / 2, successes + 1, trials - successes))
    )
    return low, high


def rate_ratio(
    count: int, exposure: float, base_count: int, base_exposure: float
) -> tuple[float | None, float, float | None]:
    """(ratio, low, high) of rate count/exposure against base_count/base_exposure, with
    the exact conditional interval; None where a bound is infinite (no baseline event)."""
    total = count + base_count
    if total == 0:
        return None, 0.0, None
    scale = base_exposure / exposure
    share_low, share_high = proportion_ci(count, total)

    def ratio(share: float) -> float | None:
        return None if share >= 1.0 else share / (1.0 - share) * scale

    point = None if base_count == 0 else count / base_count * scale
    return point, ratio(share_low) or 0.0, ratio(share_high)


def quantile_ci(
    values: Sequence[float], q: float
) -> tuple[float | None, float | None, float | None]:
    """(quantile, low, high): the sample quantile (linear interpolation, as numpy) and the
    distribution-free interval between the order statistics the binomial(n, q) picks
    (None where the sample is too small for a bound at this level)."""
    xs = sorted(values)
    n = len(xs)
    if n == 0:
        return None, None, None
    pos = (n - 1) * q
    lo_i, hi_i = math.floor(pos), math.ceil(pos)
    point = xs[lo_i] + (xs[hi_i] - xs[lo_i]) * (pos - lo_i)
    # ranks l < u (1-based) with P(l <= B < u) >= LEVEL, B ~ binomial(n, q)
    lower_rank = int(stats.binom.ppf(_ALPHA / 2, n, q))
    upper_rank = int(stats.binom.ppf(1 - _ALPHA / 2, n, q)) + 1
    low = xs[lower_rank - 1] if lower_rank >= 1 else None
    high = xs[upper_rank - 1] if upper_rank <= n else None
    return point, low, high
