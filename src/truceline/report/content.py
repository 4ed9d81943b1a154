"""What the daily report says, as plain data: a function of the log and the day.

The figures come from the metrics (`truceline.metrics`): the day and the seven days
before it, by day, so the key figures compare the day with the week before (an exact
rate ratio with its 95 % interval).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from truceline.enforcement.inspections import InspectionState
from truceline.enforcement.penalties import CaseState, Status
from truceline.home import Home
from truceline.metrics import stats
from truceline.metrics.compute import metrics, select
from truceline.metrics.facts import Breach, Facts, read_facts
from truceline.metrics.periods import By
from truceline.observation import format_time
from truceline.publication.cap import containment_radius_m
from truceline.report.i18n import N_

WEEK = 7
OPEN_CASES = (Status.consultation, Status.countdown, Status.suspended, Status.in_force)


@dataclass(frozen=True)
class Figure:
    """One key figure: the day against the mean day of the week before."""

    name: str  # a msgid
    party: str | None
    day: float | None
    week_mean: float | None
    ratio: float | None = None
    low: float | None = None
    high: float | None = None
    share: bool = False  # a share (0..1), not a count


@dataclass(frozen=True)
class Content:
    day: date
    start: datetime
    end: datetime
    facts: Facts
    doc: dict[str, Any]  # the metrics of the week before and the day
    breaches: list[Breach]  # verified on the day
    figures: list[Figure]
    cases: list[CaseState]  # open, or decided on the day
    inspections: list[InspectionState]  # due within two days of the day's end, or overdue

    @property
    def parties(self) -> list[str]:
        return [p.id for p in self.facts.agreement.parties]

    def evidence(self, b: Breach) -> int:
        return len(b.verdict.evidence)

    def radius_m(self, b: Breach) -> float:
        return containment_radius_m(b.verdict.uncertainty_m)

    def daily(self, metric: str, key: str, party: str) -> list[tuple[str, float, float, float]]:
        """(period, value, low, high) of one series over the eight days."""
        out = []
        for period in self.doc["periods"]:
            row = select(self.doc["rows"], metric=metric, key=key, party=party, period=period)
            if row:
                r = row[0]
                out.append((period, r["value"] or 0, r["low"] or 0, r["high"] or 0))
            else:
                lo, hi = stats.poisson_ci(0)
                out.append((period, 0, lo, hi))
        return out


def _sum(rows: list[dict[str, Any]]) -> int:
    return sum(int(r["n"] or 0) for r in rows)


def _count_figure(
    name: str, party: str | None, day_rows: list[Any], week_rows: list[Any]
) -> Figure:
    today, week = _sum(day_rows), _sum(week_rows)
    ratio, low, high = stats.rate_ratio(today, 1.0, week, float(WEEK))
    return Figure(name, party, today, week / WEEK, ratio, low, high)


def figures(doc: dict[str, Any], day_label: str, parties: list[str]) -> list[Figure]:
    rows = doc["rows"]
    today = [r for r in rows if r["period"] == day_label]
    week = [r for r in rows if r["period"] != day_label]

    def pick(src: list[Any], **where: Any) -> list[Any]:
        return select(src, **where)

    out = []
    for party in parties:
        out.append(
            _count_figure(
                N_("Verified breaches"),
                party,
                pick(today, metric="verified_breaches", key="all", party=party),
                pick(week, metric="verified_breaches", key="all", party=party),
            )
        )
    out.append(
        _count_figure(
            N_("Strikes on protected sites and corridors"),
            None,
            pick(today, metric="protected_strikes"),
            pick(week, metric="protected_strikes"),
        )
    )
    out.append(
        _count_figure(
            N_("Explosions and impacts reported"),
            None,
            [
                r
                for r in pick(today, metric="observed_fire")
                if r["key"].split(":")[0] in ("explosion", "impact")
            ],
            [
                r
                for r in pick(week, metric="observed_fire")
                if r["key"].split(":")[0] in ("explosion", "impact")
            ],
        )
    )
    out.append(
        _count_figure(
            N_("Inspections opened"),
            None,
            [
                r
                for r in pick(today, metric="inspections")
                if r["key"] in ("routine", "requested", "automatic")
            ],
            [
                r
                for r in pick(week, metric="inspections")
                if r["key"] in ("routine", "requested", "automatic")
            ],
        )
    )
    day_s = pick(today, metric="sensors_reporting", party="all")
    week_s = pick(week, metric="sensors_reporting", party="all")
    n, of = _sum(day_s), sum(int(r["of"] or 0) for r in day_s)
    wn, wof = _sum(week_s), sum(int(r["of"] or 0) for r in week_s)
    low, high = stats.proportion_ci(n, of)
    out.append(
        Figure(
            N_("Sensors reporting"),
            None,
            n / of if of else None,
            wn / wof if wof else None,
            None,
            low,
            high,
            share=True,
        )
    )
    return out


def build(home: Home, day: date) -> Content:
    start = datetime.combine(day, time(), UTC)
    end = start + timedelta(days=1)
    first = start - timedelta(days=WEEK)
    facts = read_facts(home, first - timedelta(days=1), end)
    doc = metrics(facts, first, end, By.day)
    label = format_time(start)
    breaches = [b for b in facts.breaches if start <= b.verified_at < end]
    cases = [
        cs
        for cs in facts.cases
        if cs.status in OPEN_CASES or start <= cs.timeline.effective_at < end
    ]
    soon = end + timedelta(days=2)
    due = [
        st
        for st in facts.inspections
        if st.inspection.opened_at < end
        and (st.status == "overdue" or (st.status == "scheduled" and st.inspection.due_by < soon))
    ]
    return Content(
        day=day,
        start=start,
        end=end,
        facts=facts,
        doc=doc,
        breaches=breaches,
        figures=figures(doc, label, [p.id for p in facts.agreement.parties]),
        cases=sorted(cases, key=lambda c: (c.timeline.effective_at, c.case.id)),
        inspections=sorted(due, key=lambda s: (s.inspection.due_by, s.inspection.id)),
    )
