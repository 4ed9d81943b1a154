"""The corridor forecast: a pure function of the facts of the log, the corridors and (at,
window). The same log prefix and corridors give the same bytes, on any copy of the log."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from truceline.corridors import model
from truceline.corridors.drivers import (
    INSPECTION_SPAN,
    NEAR_M,
    RECENT,
    Place,
    party_rates,
    penalty_state,
    place,
    scene,
)
from truceline.corridors.spec import CorridorFileError, CorridorSpec
from truceline.metrics.facts import Facts
from truceline.observation import format_time

SCHEMA = "truceline.corridors/1"
LOOKBACK = timedelta(days=30)
HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class Row:
    place: Place
    start: datetime
    end: datetime
    hours: float
    x: dict[str, float]


def _x(facts: Facts, p: Place, t: datetime) -> dict[str, float]:
    pen = penalty_state(facts, p.firer, t)
    return {
        "log_line_reach": math.log(max(p.line_reach, 1e-6)),
        "coverage": p.coverage(t),
        "penalty_in_force": 1.0 if pen == "in_force" else 0.0,
        "penalty_pending": 1.0 if pen == "pending" else 0.0,
    }


def _open_hours(a: datetime, z: datetime, lo: datetime, hi: datetime) -> float:
    return max((min(z, hi) - max(a, lo)) / HOUR, 0.0)


def history(facts: Facts, places: list[Place], at: datetime, first: datetime) -> list[Row]:
    """Every window that closed before `at`, within the lookback and after the log began."""
    rows = []
    since = max(at - LOOKBACK, first)
    for p in places:
        for a, z in p.spec.windows:
            if z <= at and z > since:
                a0 = max(a, since)
                rows.append(Row(p, a0, z, (z - a0) / HOUR, _x(facts, p, a0)))
    return rows


def check_dates(
    corridors: list[CorridorSpec], at: datetime, until: datetime, first: datetime
) -> None:
    """A corridor with no window in [first, until) cannot be scored nor forecast."""
    for c in corridors:
        if all(z <= first or a >= until for a, z in c.windows):
            raise CorridorFileError(
                f"corridor {c.id}: windows: none open between the log's first evidence "
                f"({format_time(first)}) and the forecast's end ({format_time(until)})"
            )


def forecast(
    facts: Facts, corridors: list[CorridorSpec], at: datetime, window: timedelta, first: datetime
) -> dict[str, Any]:
    until = at + window
    check_dates(corridors, at, until, first)
    shared = scene(corridors, facts)
    places = [place(c, facts, shared) for c in corridors]
    past = history(facts, places, at, first)
    y = np.array([1.0 if r.place.affected(r.start, r.end) else 0.0 for r in past])
    xs = {n: np.array([r.x[n] for r in past]) for n in model.FEATURES}
    # The chance that the log shows a breach on a path (model.seen_share); a log without
    # located sensors (imports only: FIRMS, CIR) says nothing of coverage: taken as seen.
    located = any(p.sensors for p in places)
    seen = model.seen_share(xs["coverage"]) if located else np.ones(len(past))
    fit = model.fit(y, xs, np.array([r.hours for r in past]), seen)
    rates = party_rates(facts, at)
    out = []
    for p in places:
        for a, z in p.spec.windows:
            hours = _open_hours(a, z, at, until)
            if hours <= 0:
                continue
            x = _x(facts, p, max(a, at))
            prob, low, high, expected = fit.predict(x, hours)
            out.append(
                {
                    "corridor": p.spec.id,
                    "name": p.spec.name,
                    "window_start": format_time(max(a, at)),
                    "window_end": format_time(min(z, until)),
                    "open_hours": round(hours, 4),
                    "p_breach": round(prob, 6),
                    "p_low": round(low, 6),
                    "p_high": round(high, 6),
                    "expected": round(expected, 6),
                    "drivers": _drivers(facts, p, at, rates, x),
                }
            )
    return {
        "schema": SCHEMA,
        "agreement": {"id": facts.agreement.id, "version": facts.agreement.version},
        "log": {"size": facts.log_size, "root": facts.log_root},
        "at": format_time(at),
        "until": format_time(until),
        "confidence": 0.9,
        "model": {
            "method": fit.method,
            "library": "statsmodels GLM, Binomial family, complementary log-log link",
            "rows": fit.rows,
            "windows_breached": fit.events,
            "coefficients": fit.coefficients(),
            "near_m": NEAR_M,
            "lookback_days": LOOKBACK.days,
        },
        "forecasts": out,
    }


def _drivers(
    facts: Facts, p: Place, at: datetime, rates: dict[str, float], x: dict[str, float]
) -> dict[str, Any]:
    parties = sorted(rates)
    return {
        "host": p.host,
        "firer": p.firer,
        "recent_incidents_near": {q: p.near(at - RECENT, at, q) for q in parties},
        "recent_verified_near": {q: p.near(at - RECENT, at, q, verified=True) for q in parties},
        "breaches_affecting_30d": p.affected(at - LOOKBACK, at),
        "verified_affecting_30d": p.affected(at - LOOKBACK, at, verified=True),
        "breach_rate_per_day": {q: round(rates[q], 4) for q in parties},
        "penalty": {q: penalty_state(facts, q, at) for q in parties},
        "inspections_near_30d": sum(1 for t, _ in p.inspections if at - INSPECTION_SPAN <= t < at),
        "sensor_coverage": round(x["coverage"], 4),
        "front_share": round(p.front_share, 4),
        "line_reach": round(p.line_reach, 4),
    }
