"""The inspection regime: routine visits, on-demand and automatic inspections, reports, coverage.

- Routine: every zone `routine_per_zone_per_month` times a calendar month (UTC),
  slot k of N due at month start + (k+1)/N of the month (MFO Sinai: at least twice a month).
- On demand: within `on_demand_within_hours` of a signatory's request (MFO: 48 h),
  and automatically for an incident that is disputed or graded in `auto_for_grades`.
- A report is an observation of kind inspection_report whose `attributes.incident`
  names the inspection id (routine visits) or the incident id; its `finding`
  confirms or dismisses the incident (adjudication turns it into the transition).
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from truceline.adjudication.verdict import IncidentTransition
from truceline.agreement.model import Agreement
from truceline.enforcement.incidents import DISPUTE_STATES, IncidentHistory
from truceline.enforcement.records import InspectionRequest
from truceline.enforcement.routing import Plan, Site, plan
from truceline.observation import Observation


class Origin(StrEnum):
    routine = "routine"
    requested = "requested"
    automatic = "automatic"


@dataclass(frozen=True)
class Inspection:
    id: str
    origin: Origin
    location: tuple[float, float]
    opened_at: datetime
    due_by: datetime
    zone: str | None = None
    incident: str | None = None
    requester: str | None = None


@dataclass(frozen=True)
class Report:
    index: int
    sensor: str
    at: datetime
    subject: str  # attributes.incident: an inspection id or an incident id
    finding: str
    location: tuple[float, float]


@dataclass(frozen=True)
class InspectionState:
    inspection: Inspection
    status: str  # scheduled | reported | overdue
    report: Report | None
    team: str | None


def month_bounds(now: datetime) -> tuple[datetime, datetime]:
    start = datetime(now.year, now.month, 1, tzinfo=UTC)
    length = calendar.monthrange(now.year, now.month)[1]
    return start, start + timedelta(days=length)


def routine(agreement: Agreement, now: datetime) -> list[Inspection]:
    n = agreement.inspections.routine_per_zone_per_month
    start, end = month_bounds(now)
    out: list[Inspection] = []
    for zone in agreement.geography.zones:
        p = zone.shape.representative_point()
        for k in range(n):
            opened = start + (end - start) * k / n
            due = start + (end - start) * (k + 1) / n
            out.append(
                Inspection(
                    f"routine:{zone.id}:{start:%Y-%m}:{k}",
                    Origin.routine,
                    (p.x, p.y),
                    opened,
                    due,
                    zone.id,
                )
            )
    return out


def on_demand(
    agreement: Agreement,
    requests: Iterable[tuple[int, InspectionRequest]],
    automatic: Iterable[Inspection],
    now: datetime,
) -> list[Inspection]:
    """The requested inspections by `now`, and `automatic` (each incident's
    `automatic_of` at `now`), the earliest opened for each id."""
    regime = agreement.inspections
    within = timedelta(hours=regime.on_demand_within_hours)
    by_id: dict[str, Inspection] = {}

    def add(item: Inspection) -> None:
        old = by_id.get(item.id)
        if old is None or item.opened_at < old.opened_at:
            by_id[item.id] = item

    for index, req in requests:
        if req.at > now:
            continue
        ident = f"incident:{req.incident}" if req.incident else f"request:{index}"
        add(
            Inspection(
                ident,
                Origin.requested,
                req.location,
                req.at,
                req.at + within,
                incident=req.incident,
                requester=req.requester,
            )
        )
    for item in automatic:
        add(item)
    return sorted(by_id.values(), key=lambda i: (i.due_by, i.id))


def automatic_of(
    agreement: Agreement, history: IncidentHistory, now: datetime
) -> Inspection | None:
    """The inspection the incident opens on its own by `now`: at its first transition
    that is disputed, or graded in `auto_for_grades` and not dismissed."""
    regime = agreement.inspections
    grades = frozenset(regime.auto_for_grades)

    def automatic(t: IncidentTransition) -> bool:
        return t.state in DISPUTE_STATES or (t.grade in grades and t.state.value != "dismissed")

    for t in history.where(now, ("automatic inspection", grades), automatic):
        return Inspection(
            f"incident:{t.incident}",
            Origin.automatic,
            t.location,
            t.opens_at,
            t.opens_at + timedelta(hours=regime.on_demand_within_hours),
            incident=t.incident,
        )
    return None


def report_of(index: int, obs: Observation) -> Report | None:
    a = obs.attributes
    if a.incident is None or a.finding is None:
        return None
    return Report(index, obs.sensor, obs.observed_at, a.incident, a.finding, obs.lonlat)


def status(
    agreement: Agreement,
    inspections: list[Inspection],
    reports: Iterable[Report],
    now: datetime,
    plan_routes: bool = True,
) -> list[InspectionState]:
    """Match reports to inspections; route the open ones over the observer teams (if asked)."""
    teams = {t.id for t in agreement.inspections.teams}
    by_subject: dict[str, list[Report]] = {}
    for r in reports:
        # Only registered observer teams inspect (their ids are in the regime).
        if r.at <= now and (not teams or r.sensor in teams):
            by_subject.setdefault(r.subject, []).append(r)
    done: dict[str, Report] = {}
    for item in inspections:
        # Most inspections have no report yet: ruled out without building anything.
        if item.id not in by_subject and (not item.incident or item.incident not in by_subject):
            continue
        keys = [item.id] + ([item.incident] if item.incident else [])
        found = sorted(
            (r for k in keys for r in by_subject.get(k, []) if r.at >= item.opened_at),
            key=lambda r: (r.at, r.index),
        )
        if found:
            done[item.id] = found[0]
    open_items = [i for i in inspections if i.id not in done]
    routes = route(agreement, open_items) if plan_routes else Plan({}, 0.0)
    team_of = {site: team for team, sites in routes.routes.items() for site in sites}
    out = []
    for item in inspections:
        rep = done.get(item.id)
        state = "reported" if rep else ("overdue" if now > item.due_by else "scheduled")
        out.append(InspectionState(item, state, rep, team_of.get(item.id)))
    return out


def route(agreement: Agreement, open_items: list[Inspection]) -> Plan:
    sites = [Site(i.id, i.location) for i in sorted(open_items, key=lambda i: (i.due_by, i.id))]
    return plan(agreement.inspections.teams, sites)


def coverage(agreement: Agreement, states: list[InspectionState]) -> dict[str, dict[str, float]]:
    """Per zone: routine visits required this month, visits reported, and the share done."""
    out: dict[str, dict[str, float]] = {}
    routine = [s for s in states if s.inspection.origin is Origin.routine]  # a few per zone
    for zone in agreement.geography.zones:
        mine = [s for s in routine if s.inspection.zone == zone.id]
        done = sum(1 for s in mine if s.status == "reported")
        out[zone.id] = {
            "required": len(mine),
            "reported": done,
            "share": (done / len(mine)) if mine else 1.0,
        }
    return out
