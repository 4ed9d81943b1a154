"""What bears on a corridor's risk at a moment, read from the facts of the log.

For a corridor and a time t, all as of the log: verified breaches that affected it (within
half its width, while open), recent verified incidents near its path by each party, each
party's breach rate along the whole front, the penalty cases pending or in force against
each party, inspections near the path, and the detection probability of the registered
neutral sensors along it (their location, coverage.range_km, error_model.detection_probability).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import shapely
from shapely.geometry import LineString

from truceline.corridors.spec import CorridorSpec
from truceline.enforcement.penalties import Status
from truceline.fusion.attribute import project
from truceline.fusion.base import Frame
from truceline.metrics.facts import Breach, Facts

NEAR_M = 15_000.0  # "near the path": the reach of most tube artillery fired at it
RECENT = timedelta(hours=24)
RATE_SPAN = timedelta(days=7)
INSPECTION_SPAN = timedelta(days=30)
PATH_POINTS = 25
# A sensor is credited with covering the path up to this range, whatever longer range it
# lists: its range is for the loudest weapon (a seismic station hears a missile 200 km
# away), while strikes on a road are mostly mortar and tube artillery, which a listener
# locates well enough to verify only within ~10 km.
COVER_KM = 10.0
# An incident whose uncertainty circle touches the corridor affected it, up to this radius:
# a strike located 5 km out may well have hit it, but a claim placed only to the nearest
# town says little about a 2 km wide road.
MAX_REACH_M = 2000.0


@dataclass(frozen=True)
class Point:
    """A verified breach, placed in the corridor's frame."""

    at: datetime
    accused: str
    d_m: float  # distance to the path
    reach_m: float  # how far from its location the incident may be (its uncertainty, capped)


@dataclass
class Place:
    """A corridor projected once: its frame, path, host and the breaches around it."""

    spec: CorridorSpec
    path: LineString  # metres
    host: str | None  # the party whose territory holds the path's middle
    firer: str | None  # the other party (None when it is not one)
    breaches: list[Point]
    sensors: list[tuple[float, float, float, float, datetime, datetime | None]]
    inspections: list[tuple[datetime, str]]

    def affected(self, a: datetime, z: datetime) -> int:
        """Verified breaches inside the corridor's width between a and z."""
        half = self.spec.width_m / 2
        return sum(1 for b in self.breaches if a <= b.at < z and b.d_m <= half + b.reach_m)

    def near(self, a: datetime, z: datetime, party: str | None) -> int:
        return sum(
            1
            for b in self.breaches
            if a <= b.at < z and b.d_m <= NEAR_M and (party is None or b.accused == party)
        )

    def coverage(self, t: datetime) -> float:
        """Mean over the path of the chance that a live neutral sensor in range detects."""
        pts = [self.path.interpolate(f, normalized=True) for f in np.linspace(0, 1, PATH_POINTS)]
        px = np.array([p.x for p in pts])
        py = np.array([p.y for p in pts])
        miss = np.ones(len(px))
        for x, y, r, p, since, until in self.sensors:
            if since <= t and (until is None or until > t):
                miss *= np.where(np.hypot(px - x, py - y) <= r, 1.0 - p, 1.0)
        return float(1.0 - miss.mean())


def breach_time(b: Breach) -> datetime:
    return b.verdict.window[0]


def place(spec: CorridorSpec, facts: Facts) -> Place:
    mid = spec.line.interpolate(0.5, normalized=True)
    frame = Frame(mid.x, mid.y)
    path = project(spec.line, frame)
    parties = [p.id for p in facts.agreement.parties]
    host = next(
        (t.party for t in facts.agreement.geography.territories if t.shape.contains(mid)), None
    )
    others = [p for p in parties if p != host]
    firer = others[0] if host is not None and len(others) == 1 else None
    points = []
    if facts.breaches:
        lon = np.array([b.verdict.location[0] for b in facts.breaches])
        lat = np.array([b.verdict.location[1] for b in facts.breaches])
        x, y = frame.to_xy(lon, lat)
        d = np.asarray(shapely.distance(path, shapely.points(x, y)))
        for b, dist in zip(facts.breaches, d, strict=True):
            if b.verdict.accused and dist <= NEAR_M:
                reach = min(b.verdict.uncertainty_m, MAX_REACH_M)
                points.append(Point(breach_time(b), b.verdict.accused, float(dist), reach))
    sensors = []
    for st in facts.sensors.values():
        s = st.sensor
        if s.location is None or not s.coverage.range_km or s.operator in parties:
            continue
        sx, sy = frame.to_xy(s.location[0], s.location[1])
        sensors.append(
            (
                float(sx),
                float(sy),
                min(float(s.coverage.range_km), COVER_KM) * 1000.0,
                float(s.error_model.detection_probability),
                st.registered_at,
                st.revoked_at,
            )
        )
    inspections = []
    for ins in facts.inspections:
        ix, iy = frame.to_xy(ins.inspection.location[0], ins.inspection.location[1])
        if path.distance(shapely.Point(float(ix), float(iy))) <= NEAR_M:
            inspections.append((ins.inspection.opened_at, ins.status))
    return Place(spec, path, host, firer, points, sensors, inspections)


def penalty_state(facts: Facts, party: str | None, t: datetime) -> str:
    """`in_force`, `pending` (a case opened, not yet in force, not blocked) or `none`."""
    if party is None:
        return "none"
    state = "none"
    for cs in facts.cases:
        if cs.case.accused != party or cs.case.opened_at > t:
            continue
        tl = cs.timeline
        if cs.status in (Status.in_force, Status.lapsed) and tl.effective_at <= t:
            if tl.lapses_at is None or tl.lapses_at > t:
                return "in_force"
        elif cs.status not in (Status.void, Status.blocked) and tl.effective_at > t:
            state = "pending"
    return state


def party_rates(facts: Facts, t: datetime) -> dict[str, float]:
    """Verified breaches per day by each accused party over the week before t."""
    counts = {p.id: 0 for p in facts.agreement.parties}
    for b in facts.breaches:
        if t - RATE_SPAN <= breach_time(b) < t and b.verdict.accused in counts:
            counts[b.verdict.accused] += 1
    days = RATE_SPAN / timedelta(days=1)
    return {p: n / days for p, n in counts.items()}
