"""What bears on a corridor's risk at a moment, read from the facts of the log.

For a corridor and a time t, all as of the log: incidents judged breaches (verified, or
reported on weak evidence; never discounted, contested or dismissed) that affected it
(within half its width plus their uncertainty up to 2 km), recent ones near its path by
each party, each
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

from truceline.adjudication.verdict import IncidentTransition, State
from truceline.agreement.rules import Grade
from truceline.corridors.spec import CorridorSpec
from truceline.enforcement.incidents import BREACH_STATES, IncidentHistory
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
# locates well enough to verify only within ~15 km (the simulated arrays' artillery reach).
COVER_KM = 15.0
# An incident whose uncertainty circle touches the corridor affected it, up to this radius:
# a strike located 5 km out may well have hit it, but a claim placed only to the nearest
# town says little about a 2 km wide road.
MAX_REACH_M = 2000.0


@dataclass(frozen=True)
class Point:
    """An incident judged a breach (by its latest verdict), placed in the corridor's frame."""

    at: datetime
    accused: str  # "" when not attributed
    verified: bool  # verified or confirmed; else reported or corroborated with weak evidence
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

    def affected(self, a: datetime, z: datetime, verified: bool = False) -> int:
        """Breaches inside the corridor's width between a and z (only verified ones, or
        every breach incident)."""
        half = self.spec.width_m / 2
        return sum(
            1
            for b in self.breaches
            if a <= b.at < z and b.d_m <= half + b.reach_m and (b.verified or not verified)
        )

    def near(self, a: datetime, z: datetime, party: str | None, verified: bool = False) -> int:
        return sum(
            1
            for b in self.breaches
            if a <= b.at < z
            and b.d_m <= NEAR_M
            and (party is None or b.accused == party)
            and (b.verified or not verified)
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


def _latest(history: IncidentHistory, until: datetime) -> IncidentTransition | None:
    """The verdict by event time `until` (as `metrics.facts.breaches_of` reads it): a
    batch fused after the fact still says what the evidence up to then showed."""
    seen = [t for _, t in history.transitions if t.at <= until]
    return seen[-1] if seen else None


def _counts(t: IncidentTransition) -> bool:
    """A breach by its latest verdict, on evidence better than discounted or contested."""
    return (
        bool(t.rules)
        and t.state is not State.dismissed
        and t.grade not in (Grade.discounted, Grade.contested)
    )


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
    judged = [t for h in facts.incidents.values() if (t := _latest(h, facts.until)) and _counts(t)]
    points = []
    if judged:
        x, y = frame.to_xy([t.location[0] for t in judged], [t.location[1] for t in judged])
        d = np.asarray(shapely.distance(path, shapely.points(x, y)))
        for t, dist in zip(judged, d, strict=True):
            if dist <= NEAR_M:
                reach = min(t.uncertainty_m, MAX_REACH_M)
                verified = t.state in BREACH_STATES and t.accused is not None
                points.append(Point(t.window[0], t.accused or "", verified, float(dist), reach))
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
