"""The metrics: per party and period, as rows of one table.

Every row: period (its start), period_end, party, metric, key, value, low, high, n, of.
`value` is a count (with its Poisson interval), a share n/of (Clopper-Pearson), a ratio
(exact rate ratio) or a duration in seconds (order-statistic interval); low/high are
the 95 % bounds (stats.py), empty where none exists. What `party` means depends on the
metric, and `METRICS` says it for each.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import shapely

from truceline.agreement.rules import Act
from truceline.authority import OBSERVING_KINDS
from truceline.fusion.attribute import project
from truceline.fusion.base import Frame
from truceline.metrics import stats
from truceline.metrics.facts import Facts
from truceline.metrics.harm import harm_totals
from truceline.metrics.periods import By, Period, periods
from truceline.observation import Kind, format_time

SCHEMA = "truceline.metrics/1"
# OSCE SMM counts: ceasefire violations by what was perceived, one per report.
FIRE_KINDS = (Kind.explosion, Kind.impact, Kind.launch, Kind.projectile, Kind.small_arms)
PROTECTED_ACTS = (Act.protected_site_attack, Act.corridor_attack)
STRIKE_KINDS = frozenset({"impact", "projectile", "explosion"})  # it landed
ALL = "all"

METRICS: dict[str, str] = {
    "verified_breaches": "incidents first verified in the period and not dismissed since; "
    "party = the accused; key = all, grade:<grade>, rule:<act id>, weapon:<class>",
    "verified_breaches_change": "verified breaches against the period before, as a rate ratio "
    "(key vs_previous); n = this period's count, of = the previous period's",
    "observed_fire": "observations of fire, OSCE style (one per report, not per event); "
    "party = whose territory the report places it in (- outside both); key = <kind>:<perception>",
    "protected_strikes": "verified breaches of a protected-site or corridor act whose "
    "incident is a strike that landed (impact, projectile, explosion); party = the accused; "
    "key = the act",
    "time_to_verification_s": "event time from an incident's first evidence to its "
    "verification, over the period's verified breaches; key = p50, p90; n = breaches",
    "civilian_harm": "casualties and damage to civilian objects the evidence of the period's "
    "verified breaches reports (an incident counts, per figure, the largest minimum and the "
    "largest maximum of its reports); party = the accused; key = <figure>_min:<grade> or "
    "<figure>_max:<grade>, figure = civilians_killed, civilians_injured, combatants_killed, "
    "combatants_injured or damage:<object>; n = incidents with the figure",
    "inspections": "inspections opened in the period by origin (key routine, requested, "
    "automatic) and their outcome as of the end (key done, overdue, denied: the team's report "
    "says access was denied); party = the accused of the inspected incident (- for none)",
    "penalty_cases": "penalty cases opened in the period, by status as of the end "
    "(key <status>); party = the accused",
    "sensors_reporting": "registered observing sensors, live in the period, that logged at "
    "least one accepted observation (n of of); party = the operator (all = every operator)",
    "line_coverage": "share of the contact line within range of a sensor that reported in the "
    "period (location and coverage.range_km from the registry); party = all",
}


@dataclass(frozen=True)
class Row:
    period: Period
    party: str | None
    metric: str
    key: str
    value: float | None
    low: float | None = None
    high: float | None = None
    n: int | None = None
    of: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "period": format_time(self.period.start),
            "period_end": format_time(self.period.end),
            "party": self.party,
            "metric": self.metric,
            "key": self.key,
            "value": _num(self.value),
            "low": _num(self.low),
            "high": _num(self.high),
            "n": self.n,
            "of": self.of,
        }


def _num(x: float | None) -> float | int | None:
    if x is None:
        return None
    if float(x).is_integer():
        return int(x)
    return round(float(x), 6)


def count_row(period: Period, party: str | None, metric: str, key: str, n: int) -> Row:
    low, high = stats.poisson_ci(n)
    return Row(period, party, metric, key, n, low, high, n)


def share_row(period: Period, party: str | None, metric: str, key: str, n: int, of: int) -> Row:
    low, high = stats.proportion_ci(n, of)
    return Row(period, party, metric, key, n / of if of else None, low, high, n, of)


def _bucket(periods_: list[Period], moment: datetime) -> Period | None:
    for p in periods_:
        if moment in p:
            return p
    return None


def breach_rows(facts: Facts, spans: list[Period]) -> list[Row]:
    acts = {a.id: a.act for a in facts.agreement.prohibited_acts}
    counts: Counter[tuple[Period, str, str, str]] = Counter()
    delays: dict[tuple[Period, str], list[float]] = defaultdict(list)
    before: Counter[str] = Counter()
    first = spans[0]
    step = first.end - first.start
    for b in facts.breaches:
        v = b.verdict
        party = v.accused or ""
        if first.start - step <= b.verified_at < first.start:
            before[party] += 1
        p = _bucket(spans, b.verified_at)
        if p is None:
            continue
        keys = [ALL, f"grade:{v.grade.value}"]
        keys += [f"rule:{r}" for r in sorted(set(v.rules))]
        keys.append(f"weapon:{(v.weapon_class.value if v.weapon_class else 'unknown')}")
        for k in keys:
            counts[(p, party, "verified_breaches", k)] += 1
        if v.kind in STRIKE_KINDS:
            for act in sorted({acts[r].value for r in v.rules if acts.get(r) in PROTECTED_ACTS}):
                counts[(p, party, "protected_strikes", act)] += 1
        delays[(p, party)].append((b.verified_at - b.first_seen).total_seconds())
    parties = sorted({b.verdict.accused or "" for b in facts.breaches} | _parties(facts))
    for party in parties:  # a zero is a figure too: every party, every period
        for p in spans:
            counts[(p, party, "verified_breaches", ALL)] += 0
    out = [count_row(p, party, m, k, n) for (p, party, m, k), n in sorted(counts.items(), key=_key)]
    for party in parties:
        series = [counts[(p, party, "verified_breaches", ALL)] for p in spans]
        previous = before[party]
        if not any(series) and not previous:
            continue
        for p, n in zip(spans, series, strict=True):
            ratio, low, high = stats.rate_ratio(n, p.seconds, previous, p.seconds)
            out.append(
                Row(
                    p,
                    party,
                    "verified_breaches_change",
                    "vs_previous",
                    ratio,
                    low,
                    high,
                    n,
                    previous,
                )
            )
            previous = n
    for (p, party), values in sorted(delays.items(), key=lambda kv: (kv[0][0].start, kv[0][1])):
        for name, q in (("p50", 0.5), ("p90", 0.9)):
            point, q_low, q_high = stats.quantile_ci(values, q)
            out.append(
                Row(p, party, "time_to_verification_s", name, point, q_low, q_high, len(values))
            )
    return out


def harm_rows(facts: Facts, spans: list[Period]) -> list[Row]:
    """Civilian harm reported in the evidence of each verified breach (metrics/harm.py)."""
    incidents = []
    for b in facts.breaches:
        p = _bucket(spans, b.verified_at)
        if p is None:
            continue
        reports = [
            o.attributes.harm
            for i in b.verdict.evidence
            if (o := facts.observation(i)) is not None and o.attributes.harm is not None
        ]
        if reports:
            incidents.append((p, b.verdict.accused or "", b.verdict.grade.value, reports))
    out = []
    for (p, party, grade, figure), (lo, hi, n) in sorted(
        harm_totals(incidents).items(), key=lambda kv: (kv[0][0].start, *kv[0][1:])
    ):
        out.append(Row(p, party, "civilian_harm", f"{figure}_min:{grade}", lo, None, None, n))
        out.append(Row(p, party, "civilian_harm", f"{figure}_max:{grade}", hi, None, None, n))
    return out


def _parties(facts: Facts) -> set[str]:
    return {p.id for p in facts.agreement.parties}


def _key(item: tuple[tuple[Period, str, str, str], int]) -> tuple[Any, ...]:
    (p, party, metric, key), _ = item
    return (p.start, metric, party, key)


def fire_rows(facts: Facts, spans: list[Period]) -> list[Row]:
    """OSCE-style counts of observations of fire, by the territory they place it in."""
    kinds = set(FIRE_KINDS)
    picked = [
        (
            o.observed_at,
            o.kind.value,
            (o.attributes.perception.value if o.attributes.perception else "unspecified"),
            _point(o),
        )
        for _, o in facts.observations
        if o.kind in kinds and spans[0].start <= o.observed_at < spans[-1].end
    ]
    if not picked:
        return []
    xs = np.array([pt[0] for *_, pt in picked])
    ys = np.array([pt[1] for *_, pt in picked])
    where = np.full(len(picked), "-", dtype=object)
    for territory in facts.agreement.geography.territories:
        inside = shapely.contains_xy(territory.shape, xs, ys)
        where[inside & (where == "-")] = territory.party
    counts: Counter[tuple[Period, str, str]] = Counter()
    for (at, kind, perception, _), party in zip(picked, where, strict=True):
        p = _bucket(spans, at)
        if p is not None:
            counts[(p, str(party), f"{kind}:{perception}")] += 1
    return [
        count_row(p, party, "observed_fire", key, n)
        for (p, party, key), n in sorted(
            counts.items(), key=lambda kv: (kv[0][0].start, kv[0][1], kv[0][2])
        )
    ]


def _point(o: Any) -> tuple[float, float]:
    coords = o.geometry.coordinates
    return (coords[0], coords[1]) if o.geometry.type == "Point" else o.lonlat


def inspection_rows(facts: Facts, spans: list[Period]) -> list[Row]:
    accused = {b.incident: b.verdict.accused for b in facts.breaches}
    for ident, history in facts.incidents.items():
        if ident not in accused and history.transitions:
            accused[ident] = history.transitions[-1][1].accused
    counts: Counter[tuple[Period, str, str]] = Counter()
    for st in facts.inspections:
        item = st.inspection
        p = _bucket(spans, item.opened_at)
        if p is None:
            continue
        party = (accused.get(item.incident) if item.incident else None) or "-"
        counts[(p, party, item.origin.value)] += 1
        if st.status == "reported":
            counts[(p, party, "done")] += 1
            report = facts.observation(st.report.index) if st.report else None
            extra = report.attributes.model_extra if report is not None else None
            if extra and extra.get("access") == "denied":
                counts[(p, party, "denied")] += 1
        elif st.status == "overdue":
            counts[(p, party, "overdue")] += 1
    return [
        count_row(p, party, "inspections", key, n)
        for (p, party, key), n in sorted(
            counts.items(), key=lambda kv: (kv[0][0].start, kv[0][1], kv[0][2])
        )
    ]


def case_rows(facts: Facts, spans: list[Period]) -> list[Row]:
    counts: Counter[tuple[Period, str, str]] = Counter()
    for cs in facts.cases:
        p = _bucket(spans, cs.case.opened_at)
        if p is not None:
            counts[(p, cs.case.accused, cs.status.value)] += 1
    return [
        count_row(p, party, "penalty_cases", key, n)
        for (p, party, key), n in sorted(
            counts.items(), key=lambda kv: (kv[0][0].start, kv[0][1], kv[0][2])
        )
    ]


def sensor_rows(facts: Facts, spans: list[Period]) -> list[Row]:
    observing = {sid: st for sid, st in facts.sensors.items() if st.kind in OBSERVING_KINDS}
    reported: dict[Period, set[str]] = defaultdict(set)
    for _, o in facts.observations:
        if o.sensor in observing:
            p = _bucket(spans, o.observed_at)
            if p is not None:
                reported[p].add(o.sensor)
    line = facts.agreement.geography.contact_line
    from shapely.geometry import shape

    geom = shape(line)
    centre = geom.centroid
    frame = Frame(centre.x, centre.y)
    line_m = project(geom, frame)
    reach = {
        sid: project(shapely.Point(st.sensor.location), frame).buffer(
            st.sensor.coverage.range_km * 1000.0
        )
        for sid, st in observing.items()
        if st.sensor.location is not None and st.sensor.coverage.range_km
    }
    out: list[Row] = []
    for p in spans:
        live = [
            sid
            for sid, st in sorted(observing.items())
            if st.registered_at < p.end and (st.revoked_at is None or st.revoked_at > p.start)
        ]
        by_operator: dict[str, list[str]] = defaultdict(list)
        for sid in live:
            by_operator[observing[sid].operator].append(sid)
        seen = reported[p]
        out.append(
            share_row(p, ALL, "sensors_reporting", ALL, sum(s in seen for s in live), len(live))
        )
        for operator, sids in sorted(by_operator.items()):
            out.append(
                share_row(
                    p, operator, "sensors_reporting", ALL, sum(s in seen for s in sids), len(sids)
                )
            )
        areas = [reach[s] for s in sorted(seen) if s in reach]
        covered = line_m.intersection(shapely.union_all(areas)).length if areas else 0.0
        share = covered / line_m.length if line_m.length else 0.0
        out.append(Row(p, ALL, "line_coverage", ALL, share, None, None, None, None))
    return out


def metrics(facts: Facts, start: datetime, end: datetime, by: By) -> dict[str, Any]:
    """The metrics document: a pure function of the facts (so of the log) and the range."""
    spans = periods(start, end, by)
    rows: list[Row] = []
    for part in (breach_rows, harm_rows, fire_rows, inspection_rows, case_rows, sensor_rows):
        rows.extend(part(facts, spans))
    rows.sort(key=lambda r: (r.period.start, r.metric, r.party or "", r.key))
    return {
        "schema": SCHEMA,
        "agreement": {"id": facts.agreement.id, "version": facts.agreement.version},
        "log": {"size": facts.log_size, "root": facts.log_root},
        "from": format_time(start),
        "to": format_time(end),
        "by": by.value,
        "periods": [format_time(p.start) for p in spans],
        "parties": sorted(_parties(facts)),
        "confidence": stats.LEVEL,
        "metrics": METRICS,
        "methods": {
            "count": "exact Poisson (Garwood) interval; bursts make it too narrow",
            "share": "Clopper-Pearson interval of n of `of`",
            "ratio": "exact conditional interval of the rate ratio (Clopper-Pearson on n/(n+of))",
            "quantile": "distribution-free interval between two order statistics (binomial)",
        },
        "rows": [r.to_json() for r in rows],
    }


def columns() -> list[str]:
    return ["period", "period_end", "party", "metric", "key", "value", "low", "high", "n", "of"]


def select(rows: Iterable[dict[str, Any]], **where: Any) -> list[dict[str, Any]]:
    """The rows whose fields equal `where` (for the report and the tests)."""
    return [r for r in rows if all(r.get(k) == v for k, v in where.items())]
