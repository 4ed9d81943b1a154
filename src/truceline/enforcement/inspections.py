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
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from truceline.adjudication.verdict import IncidentTransition
from truceline.agreement.model import Agreement
from truceline.enforcement.incidents import DISPUTE_STATES, IncidentHistory
from truceline.enforcement.playbooks import StepState
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
    items: list[Inspection] = []
    for index, req in requests:
        if req.at > now:
            continue
        items.append(
            Inspection(
                request_id(index, req),
                Origin.requested,
                req.location,
                req.at,
                req.at + within,
                incident=req.incident,
                requester=req.requester,
            )
        )
    by_id = earliest([*items, *automatic])
    return sorted(by_id.values(), key=lambda i: (i.due_by, i.id))


def request_id(index: int, req: InspectionRequest) -> str:
    return f"incident:{req.incident}" if req.incident else f"request:{index}"


def earliest(items: Iterable[Inspection]) -> dict[str, Inspection]:
    """One inspection per id, the earliest opened (the first given, on a tie), in the
    order each id first appears."""
    by_id: dict[str, Inspection] = {}
    for item in items:
        old = by_id.get(item.id)
        if old is None or item.opened_at < old.opened_at:
            by_id[item.id] = item
    return by_id


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


def opened_by_step(step: StepState, history: IncidentHistory, now: datetime) -> Inspection | None:
    """The inspection a playbook step opens (action `open_inspection`), where the
    incident was last placed by `now`."""
    if step.step.action.value != "open_inspection":
        return None
    latest = history.latest(now)
    if latest is None:
        return None
    return Inspection(
        f"incident:{step.incident}",
        Origin.automatic,
        latest.location,
        step.issued_at,
        step.due_by,
        incident=step.incident,
    )


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
    by_subject = reports_by_subject(agreement, reports, now)
    states = [inspection_state(item, by_subject, now) for item in inspections]
    return routed(agreement, states) if plan_routes else states


def reports_by_subject(
    agreement: Agreement, reports: Iterable[Report], now: datetime
) -> dict[str, list[Report]]:
    """The reports made by `now` by registered observer teams (their ids are in the
    regime; any sensor if it names none), per subject."""
    teams = {t.id for t in agreement.inspections.teams}
    by_subject: dict[str, list[Report]] = {}
    for r in reports:
        if r.at <= now and (not teams or r.sensor in teams):
            by_subject.setdefault(r.subject, []).append(r)
    return by_subject


def inspection_state(
    item: Inspection, by_subject: Mapping[str, list[Report]], now: datetime
) -> InspectionState:
    """The inspection's first report on or after its opening, if any; else whether
    it is overdue. No team (see `routed`)."""
    rep: Report | None = None
    # Most inspections have no report yet: ruled out without building anything.
    if item.id in by_subject or (item.incident and item.incident in by_subject):
        keys = [item.id] + ([item.incident] if item.incident else [])
        found = sorted(
            (r for k in keys for r in by_subject.get(k, []) if r.at >= item.opened_at),
            key=lambda r: (r.at, r.index),
        )
        rep = found[0] if found else None
    state = "reported" if rep else ("overdue" if now > item.due_by else "scheduled")
    return InspectionState(item, state, rep, None)


def routed(agreement: Agreement, states: list[InspectionState]) -> list[InspectionState]:
    """The states with the open inspections assigned to teams (`route`)."""
    routes = route(agreement, [s.inspection for s in states if s.report is None])
    team_of = {site: team for team, sites in routes.routes.items() for site in sites}
    return [replace(s, team=team_of.get(s.inspection.id)) for s in states]


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
