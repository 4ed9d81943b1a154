"""The hazard model: a complementary log-log binomial GLM (statsmodels) over past windows.

One row per corridor and past open window: y = 1 when a breach the log shows (`drivers`:
verified, weak or press-only) affected the corridor in it. With a log(open hours) offset,
cloglog(P) = log(hours) + x.beta is exactly
"breaches arrive as a Poisson process of rate exp(x.beta) per hour", so the same fit gives
the probability of at least one breach, the expected count and, from the coefficients'
covariance, a 90 % interval. Covariates without variation in the rows are dropped; with
too few rows or breaches, or a fit that does not converge, fewer covariates are tried,
down to the climatological rate (intercept only); and never more than one covariate per
10 rows and per 5 breached windows.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np

# What the simulator's seeds 1, 101, 2 and 102 (corridor-risk) and 1, 101 (deterrence)
# supported: the recent fire near the path (`retaliation`), the firer's front-wide rate and
# `front_share` (a step version of `log_line_reach`) each lowered the Brier skill there by
# 0.01-0.03 once the four below were in (eight corridors give few corridor-level contrasts).
FEATURES = (
    "log_line_reach",
    "coverage",
    "penalty_in_force",
    "penalty_pending",
)
Z90 = 1.6448536269514722
ROWS_PER_TERM = 10
EVENTS_PER_TERM = 5
# What the log shows of breaches on a path the mission does not watch: most of them (the
# parties' radars, and the press: incidents on the press alone count since they are most
# of what the log holds of unwatched roads). Tuned on simulator seeds 1, 101, 2, 102:
# 0.5, 0.65, 0.8, 0.9, 1.0 gave mean Brier skill 0.10, 0.13, 0.15, 0.14, 0.14 there.
# Dividing by the mission's coverage alone (floored at 0.1) over-predicted by 0.1-0.3.
OTHER_SEEN = 0.8


@dataclass(frozen=True)
class Fit:
    names: tuple[str, ...]  # "intercept" first
    beta: np.ndarray
    cov: np.ndarray
    rows: int
    events: int
    method: str

    def coefficients(self) -> dict[str, dict[str, float]]:
        se = np.sqrt(np.clip(np.diag(self.cov), 0, None))
        return {
            n: {"estimate": round(float(b), 6), "se": round(float(s), 6)}
            for n, b, s in zip(self.names, self.beta, se, strict=True)
        }

    def predict(self, x: dict[str, float], hours: float) -> tuple[float, float, float, float]:
        """(P at least one, P low, P high, expected count) for `hours` open with drivers x.

        P and the expected count are averaged over the fit's own uncertainty (eta normal with
        the delta method's variance: the predictive probability), not read at the estimate,
        which puts a short log's uncertain forecasts too near 0 or 1. The interval is eta's.
        On the tuning seeds (docs/corridors.md) it moved the pooled Brier skill by +0.001 to
        +0.005 and ECE by -0.003 to +0.005: small, since the slopes are well determined."""
        if hours <= 0:
            return 0.0, 0.0, 0.0, 0.0
        v = np.array([1.0] + [x[n] for n in self.names[1:]])
        eta = min(float(v @ self.beta) + math.log(hours), 50.0)
        se = float(math.sqrt(max(float(v @ self.cov @ v), 0.0)))

        def p(e: float) -> float:
            return 1.0 - math.exp(-math.exp(min(e, 50.0)))

        etas = eta + math.sqrt(2.0) * se * _NODES
        mean = float(_WEIGHTS @ -np.expm1(-np.exp(np.minimum(etas, 50.0))))
        expected = math.exp(min(eta + se * se / 2, 50.0))  # the lognormal mean
        low, high = p(eta - Z90 * se), p(eta + Z90 * se)
        return min(max(mean, low), high), low, high, expected  # (the sum's rounding)


# Gauss-Hermite nodes and weights for E[f(eta)] with eta normal
_NODES, _WEIGHTS = np.polynomial.hermite.hermgauss(40)
_WEIGHTS = _WEIGHTS / math.sqrt(math.pi)


def _glm(y: np.ndarray, x: np.ndarray, offset: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    # the GLM modules alone: `statsmodels.api` imports every model (seconds of start-up)
    from statsmodels.genmod import families
    from statsmodels.genmod.generalized_linear_model import GLM
    from statsmodels.tools.sm_exceptions import PerfectSeparationWarning

    family = families.Binomial(link=families.links.CLogLog())
    with warnings.catch_warnings():
        warnings.simplefilter("error", PerfectSeparationWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            res = GLM(y, x, family=family, offset=offset).fit(maxiter=100)
        except Exception:  # noqa: BLE001 - any failure of the fit means: fewer covariates
            return None
    beta = np.asarray(res.params, float)
    cov = np.asarray(res.cov_params(), float)
    if not res.converged or not np.all(np.isfinite(cov)) or np.any(np.abs(beta[1:]) > 8):
        return None
    return beta, cov


def climatology(y: np.ndarray, offset: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The intercept alone, in closed form with half a breach added (Jeffreys-like), so a
    log with no breach yet still gives a finite, wide rate."""
    hours = float(np.exp(offset).sum()) or 1.0
    k = float(y.sum())
    rate = (k + 0.5) / hours
    return np.array([math.log(rate)]), np.array([[1.0 / (k + 0.5)]])


def seen_share(coverage: np.ndarray) -> np.ndarray:
    """The chance that the log shows a breach on a path: seen by the neutral sensors
    (`coverage`) or, independently, by what is not the mission's (a party's radar, the
    press: a breach one of them alone reports is a `weak` incident, which counts)."""
    return 1.0 - (1.0 - OTHER_SEEN) * (1.0 - np.clip(coverage, 0.0, 1.0))


def fit(y: np.ndarray, x: dict[str, np.ndarray], hours: np.ndarray, seen: np.ndarray) -> Fit:
    """`seen`: per row, the chance that the log shows a breach there (`seen_share`): the
    log shows seen x rate; the forecast is of the rate itself."""
    offset = np.log(np.maximum(hours, 1e-6)) + np.log(seen)
    usable = [n for n in FEATURES if n in x and len(y) and float(np.ptp(x[n])) > 1e-9]
    events = int(y.sum())
    # at most one covariate per ROWS_PER_TERM rows and per EVENTS_PER_TERM breached
    # windows: a small log gets a simple model rather than an overfitted one
    most = min(len(usable), len(y) // ROWS_PER_TERM - 1, events // EVENTS_PER_TERM)
    tries = [usable[:k] for k in range(most, 0, -1)]
    for names in tries:
        cols = np.column_stack([np.ones(len(y))] + [x[n] for n in names])
        got = _glm(y, cols, offset)
        if got is not None:
            return Fit(("intercept", *names), got[0], got[1], len(y), events, "glm")
    beta, cov = climatology(y, offset)
    return Fit(("intercept",), beta, cov, len(y), events, "climatology")
