"""Observer-team routing: who visits which site, in what order, for the least travel time.

Baseline (what a duty officer does by hand): take sites in due order and send the
team whose current position is nearest. The planner improves on it by local
search over the total travel time (every route leaves the team's base and returns
to it): it starts from both the baseline and an assignment of sites to team slots
(scipy's linear_sum_assignment on base-to-site time), orders each route by
nearest neighbour, then repeats 2-opt within routes and relocation of one site to
another route until neither improves. Only improving moves are taken, so the plan
is never worse than the baseline it started from.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment

from truceline.agreement.enforcement import ObserverTeam

EARTH_KM = 6371.0088


def haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    lon1, lat1, lon2, lat2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_KM * math.asin(min(1.0, math.sqrt(h)))


@dataclass(frozen=True)
class Site:
    id: str
    lonlat: tuple[float, float]


Routes = list[list[int]]  # per team, indices into the site list in visiting order


@dataclass(frozen=True)
class Plan:
    routes: dict[str, list[str]]  # team id -> site ids in visiting order
    hours: float  # total travel time, all teams, back to base


class _Cost:
    def __init__(self, teams: Sequence[ObserverTeam], sites: Sequence[Site]) -> None:
        self.teams = teams
        pts = [s.lonlat for s in sites]
        self.site_km = np.array([[haversine_km(p, q) for q in pts] for p in pts]).reshape(
            len(pts), len(pts)
        )
        self.base_km = np.array([[haversine_km(t.base, p) for p in pts] for t in teams]).reshape(
            len(teams), len(pts)
        )

    def route(self, team: int, route: list[int]) -> float:
        if not route:
            return 0.0
        km = self.base_km[team, route[0]] + self.base_km[team, route[-1]]
        km += sum(self.site_km[a, b] for a, b in zip(route, route[1:], strict=False))
        return float(km) / self.teams[team].speed_kmh

    def total(self, routes: Routes) -> float:
        return sum(self.route(t, r) for t, r in enumerate(routes))


def nearest_first(teams: Sequence[ObserverTeam], sites: Sequence[Site]) -> Routes:
    cost = _Cost(teams, sites)
    return _nearest_first(cost, len(sites))


def _nearest_first(cost: _Cost, n: int) -> Routes:
    routes: Routes = [[] for _ in cost.teams]
    for s in range(n):

        def from_here(t: int, s: int = s) -> float:
            r = routes[t]
            km = cost.base_km[t, s] if not r else cost.site_km[r[-1], s]
            return float(km) / cost.teams[t].speed_kmh

        routes[min(range(len(cost.teams)), key=from_here)].append(s)
    return routes


def _assignment(cost: _Cost, n: int) -> Routes:
    m = len(cost.teams)
    slots = math.ceil(n / m)
    speeds = np.array([t.speed_kmh for t in cost.teams])
    matrix = np.repeat(cost.base_km / speeds[:, None], slots, axis=0)  # rows: team slots
    rows, cols = linear_sum_assignment(matrix)
    routes: Routes = [[] for _ in cost.teams]
    for r, c in zip(rows, cols, strict=True):
        routes[r // slots].append(int(c))
    return [_nearest_neighbour(cost, t, r) for t, r in enumerate(routes)]


def _nearest_neighbour(cost: _Cost, team: int, sites: list[int]) -> list[int]:
    left = set(sites)
    order: list[int] = []
    while left:
        if order:
            nxt = min(left, key=lambda s: (cost.site_km[order[-1], s], s))
        else:
            nxt = min(left, key=lambda s: (cost.base_km[team, s], s))
        order.append(nxt)
        left.remove(nxt)
    return order


def _two_opt(cost: _Cost, team: int, route: list[int]) -> list[int]:
    best, best_cost = route, cost.route(team, route)
    improved = True
    while improved:
        improved = False
        for i in range(len(best) - 1):
            for j in range(i + 1, len(best)):
                cand = best[:i] + best[i : j + 1][::-1] + best[j + 1 :]
                c = cost.route(team, cand)
                if c < best_cost - 1e-12:
                    best, best_cost, improved = cand, c, True
    return best


def _relocate(cost: _Cost, routes: Routes) -> bool:
    """Move one site to its best position in any route, if that lowers the total."""
    for t, r in enumerate(routes):
        for i, s in enumerate(r):
            without = r[:i] + r[i + 1 :]
            saving = cost.route(t, r) - cost.route(t, without)
            for u, other in enumerate(routes):
                target = without if u == t else other
                for k in range(len(target) + 1):
                    cand = target[:k] + [s] + target[k:]
                    added = cost.route(u, cand) - cost.route(u, target)
                    if u != t and added < saving - 1e-12:
                        routes[t], routes[u] = without, cand
                        return True
                    if u == t and cost.route(t, cand) < cost.route(t, r) - 1e-12:
                        routes[t] = cand
                        return True
    return False


RELOCATE_MAX_SITES = 40  # relocation is O(n^4) per round; beyond this, 2-opt within routes only
MAX_ROUNDS = 50


def _improve(cost: _Cost, routes: Routes) -> Routes:
    routes = [list(r) for r in routes]
    n = sum(len(r) for r in routes)
    for _ in range(MAX_ROUNDS):
        routes = [_two_opt(cost, t, r) for t, r in enumerate(routes)]
        if n > RELOCATE_MAX_SITES or not _relocate(cost, routes):
            break
    return routes


def plan(teams: Sequence[ObserverTeam], sites: Sequence[Site]) -> Plan:
    """Routes for `sites` (in due order) over `teams`, never worse than nearest-first."""
    if not teams or not sites:
        return Plan({t.id: [] for t in teams}, 0.0)
    cost = _Cost(teams, sites)
    candidates = [
        _improve(cost, _nearest_first(cost, len(sites))),
        _improve(cost, _assignment(cost, len(sites))),
    ]
    best = min(candidates, key=cost.total)
    return Plan(
        {t.id: [sites[i].id for i in best[k]] for k, t in enumerate(teams)}, cost.total(best)
    )


def total_hours(teams: Sequence[ObserverTeam], sites: Sequence[Site], routes: Routes) -> float:
    return _Cost(teams, sites).total(routes)
