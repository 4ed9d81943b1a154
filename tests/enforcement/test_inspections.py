"""Inspections: routine and on-demand schedules, reports, coverage, and team routing."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from truceline.agreement.enforcement import ObserverTeam
from truceline.enforcement import routing
from truceline.enforcement.engine import derive
from truceline.enforcement.records import INSPECTION_REQUEST_TYPE
from truceline.observation import OBSERVATION_TYPE, format_time

from ._world import T0, Log, agreement

TEAMS = [
    ObserverTeam(id="team-west", base=(35.05, 47.40), speed_kmh=40),
    ObserverTeam(id="team-east", base=(35.95, 47.40), speed_kmh=40),
]


def report(
    log: Log, sensor: str, subject: str, finding: str, at: datetime, where=(35.15, 47.5)
) -> int:
    obs = {
        "sensor": sensor,
        "seq": len(log.entries),
        "observed_at": format_time(at),
        "kind": "inspection_report",
        "geometry": {"type": "Point", "coordinates": list(where)},
        "uncertainty_m": 10,
        "attributes": {"perception": "seen", "incident": subject, "finding": finding},
    }
    return log.add(OBSERVATION_TYPE, obs)


def test_routine_visits_every_zone_n_times_a_month_and_coverage() -> None:
    a = agreement(teams=TEAMS, routine=2)
    log = Log()
    state = derive(log.records, a, T0)
    routine = [s for s in state.inspections if s.inspection.origin.value == "routine"]
    assert sorted(s.inspection.id for s in routine) == [
        "routine:z1:2026-03:0",
        "routine:z1:2026-03:1",
        "routine:z2:2026-03:0",
        "routine:z2:2026-03:1",
    ]
    first = next(s for s in routine if s.inspection.id == "routine:z1:2026-03:0")
    assert first.inspection.due_by == datetime(2026, 3, 16, 12, tzinfo=UTC)  # half of 31 days
    assert {s.team for s in routine} <= {"team-west", "team-east"}
    report(log, "team-west", "routine:z1:2026-03:0", "inconclusive", T0 + timedelta(hours=3))
    report(log, "not-a-team", "routine:z2:2026-03:0", "inconclusive", T0 + timedelta(hours=3))
    state = derive(log.records, a, T0 + timedelta(days=1))
    assert state.coverage == {
        "z1": {"required": 2, "reported": 1, "share": 0.5},
        "z2": {"required": 2, "reported": 0, "share": 0.0},
    }
    late = derive(log.records, a, datetime(2026, 3, 20, tzinfo=UTC))
    assert {s.inspection.id: s.status for s in late.inspections}[
        "routine:z2:2026-03:0"
    ] == "overdue"


def test_on_demand_within_48h_and_automatic_for_weak_or_disputed() -> None:
    a = agreement(teams=TEAMS, routine=0)
    log = Log()
    req = {
        "requester": "party-b",
        "at": format_time(T0),
        "location": [35.5, 47.6],
        "reason": "shelling",
    }
    idx = log.add(INSPECTION_REQUEST_TYPE, req, "party-b")
    log.add(INSPECTION_REQUEST_TYPE, req | {"requester": "g1"}, "party-b")  # forged requester
    log.incident("w1", "corroborated", T0 + timedelta(hours=1), grade="weak")
    log.incident("d1", "verified", T0, grade="confirmed")
    log.incident("d1", "disputed", T0 + timedelta(hours=2), grade="contested")
    log.incident("c1", "verified", T0, grade="confirmed")
    state = derive(log.records, a, T0 + timedelta(hours=3))
    items = {s.inspection.id: s for s in state.inspections}
    assert set(items) == {f"request:{idx}", "incident:w1", "incident:d1"}
    assert items[f"request:{idx}"].inspection.due_by == T0 + timedelta(hours=48)
    assert items["incident:d1"].inspection.due_by == T0 + timedelta(hours=50)
    assert any("refused" in i.reason for i in state.ignored)
    report(log, "team-east", "d1", "confirmed", T0 + timedelta(hours=20))
    state = derive(log.records, a, T0 + timedelta(hours=49))
    status = {s.inspection.id: s.status for s in state.inspections}
    assert status == {
        f"request:{idx}": "overdue",
        "incident:w1": "scheduled",
        "incident:d1": "reported",
    }


def _instance(rng: random.Random, n: int) -> tuple[list[ObserverTeam], list[routing.Site]]:
    teams = [
        ObserverTeam(
            id=f"t{k}",
            base=(rng.uniform(34, 37), rng.uniform(47, 48)),
            speed_kmh=rng.choice([30, 40, 60]),
        )
        for k in range(3)
    ]
    sites = [routing.Site(f"s{i}", (rng.uniform(34, 37), rng.uniform(47, 48))) for i in range(n)]
    return teams, sites


def test_planner_beats_nearest_first_on_total_travel_time() -> None:
    rng = random.Random(7)
    ours, baseline = 0.0, 0.0
    for _ in range(15):
        teams, sites = _instance(rng, rng.randint(6, 14))
        base = routing.total_hours(teams, sites, routing.nearest_first(teams, sites))
        p = routing.plan(teams, sites)
        assert p.hours <= base + 1e-9
        assert sorted(s for r in p.routes.values() for s in r) == sorted(s.id for s in sites)
        ours += p.hours
        baseline += base
    assert ours < 0.9 * baseline, (ours, baseline)


def test_two_opt_untangles_a_crossing_route() -> None:
    team = [ObserverTeam(id="t", base=(35.0, 47.0))]
    # Visiting in this order crosses itself; the planner must not.
    sites = [
        routing.Site(str(i), p)
        for i, p in enumerate([(35.0, 47.5), (35.5, 47.0), (35.5, 47.5), (35.0, 47.0001)])
    ]
    p = routing.plan(team, sites)
    assert p.hours < routing.total_hours(team, sites, [[0, 1, 2, 3]])
