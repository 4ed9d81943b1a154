"""What bears on a corridor's risk at a moment, read from the facts of the log.

For a corridor and a time t, all as of the log: incidents judged breaches (verified, or
reported on weak evidence or the press alone; never contested or dismissed, nor a lone
unclassified explosion) that affected it (within half its width plus their uncertainty up
to 2 km), recent ones near its path by each party, each party's breach rate along the
whole front, the penalty cases pending or in force against each party, inspections near
the path, and the detection probability of the registered neutral sensors along it (their
location, coverage.range_km, error_model.detection_probability).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import shapely
import shapely.geometry
from shapely.geometry import LineString
from shapely.geometry.base import BaseGeometry

from truceline.adjudication.verdict import IncidentTransition, State
from truceline.agreement.enforcement import Rung
from truceline.agreement.rules import Grade
from truceline.corridors.spec import CorridorSpec
from truceline.enforcement.incidents import BREACH_STATES, IncidentHistory
from truceline.enforcement.penalties import Status
from truceline.fusion.attribute import project
from truceline.fusion.base import Frame
from truceline.metrics.facts import Breach, Facts
from truceline.observation import Kind

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
    front_share: float = 0.0  # share of the path within NEAR_M of the contact line
    line_reach: float = 1.0  # mean over the path of exp(-distance to the line / NEAR_M)

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
        if not self.sensors:
            return 0.0
        live = np.array([a <= t and (z is None or z > t) for *_, a, z in self.sensors])
        key = live.tobytes()
        if key not in self._coverage:
            self._coverage[key] = float(
                1.0 - np.exp(self._reach[:, live] @ self._log_miss[live]).mean()
            )
        return self._coverage[key]

    def __post_init__(self) -> None:
        pts = [self.path.interpolate(f, normalized=True) for f in np.linspace(0, 1, PATH_POINTS)]
        px = np.array([p.x for p in pts])
        py = np.array([p.y for p in pts])
        sx = np.array([s[0] for s in self.sensors])
        sy = np.array([s[1] for s in self.sensors])
        r = np.array([s[2] for s in self.sensors])
        p = np.clip(np.array([s[3] for s in self.sensors]), 0.0, 1.0 - 1e-12)
        # which sensor reaches which point of the path, and log(1 - p) per sensor
        self._reach = (np.hypot(px[:, None] - sx, py[:, None] - sy) <= r).astype(float)
        self._log_miss = np.log1p(-p)
        self._coverage: dict[bytes, float] = {}


def breach_time(b: Breach) -> datetime:
    return b.verdict.window[0]


def _latest(history: IncidentHistory, until: datetime) -> IncidentTransition | None:
    """The verdict by event time `until` (as `metrics.facts.breaches_of` reads it): a
    batch fused after the fact still says what the evidence up to then showed."""
    seen = [t for _, t in history.transitions if t.at <= until]
    return seen[-1] if seen else None


def _counts(t: IncidentTransition) -> bool:
    """A breach by its latest verdict, not dismissed, not contested. A `discounted` one
    (the press alone) counts: on a road the mission does not watch the press and the
    parties are most of what the log holds (docs/corridors.md, "What counts")."""
    return bool(t.rules) and t.state is not State.dismissed and t.grade is not Grade.contested


def _names_fire(t: IncidentTransition, facts: Facts) -> bool:
    """False for an incident resting on one `explosion` observation that names no weapon: a
    lone array's unclassified explosion, which it cannot tell from a demolition or a false
    alarm. Near a road the mission lines with arrays these were most of what the log
    showed there (simulator seeds 1 and 102: every such incident on a watched corridor
    had no true strike within 1.5 km and 30 min; every one with a weapon had)."""
    if len(t.evidence) != 1 or t.weapon_class is not None:
        return True
    obs = facts.observation(t.evidence[0])
    return obs is None or obs.kind is not Kind.explosion or obs.attributes.weapon_class is not None


@dataclass
class Scene:
    """What every corridor of one forecast shares, projected once into one frame centred on
    the corridors (aeqd: distances within a few hundred km good to well under 1 %)."""

    frame: Frame
    judged: list[IncidentTransition]
    jx: np.ndarray
    jy: np.ndarray
    sensors: list[tuple[float, float, float, float, datetime, datetime | None]]
    inspections: list[tuple[float, float, datetime, str]]
    line: BaseGeometry  # the contact line, in the frame


def scene(corridors: list[CorridorSpec], facts: Facts) -> Scene:
    mids = [c.line.interpolate(0.5, normalized=True) for c in corridors]
    frame = Frame(float(np.mean([m.x for m in mids])), float(np.mean([m.y for m in mids])))
    parties = {p.id for p in facts.agreement.parties}
    judged = [
        t
        for h in facts.incidents.values()
        if (t := _latest(h, facts.until)) and _counts(t) and _names_fire(t, facts)
    ]
    jx, jy = frame.to_xy([t.location[0] for t in judged], [t.location[1] for t in judged])
    sensors = []
    for st in facts.sensors.values():
        s = st.sensor
        if s.location is None or not s.coverage.range_km or s.operator in parties:
            continue
        sx, sy = frame.to_xy(s.location[0], s.location[1])
        reach = min(float(s.coverage.range_km), COVER_KM) * 1000.0
        p = float(s.error_model.detection_probability)
        sensors.append((float(sx), float(sy), reach, p, st.registered_at, st.revoked_at))
    inspections = []
    for ins in facts.inspections:
        ix, iy = frame.to_xy(ins.inspection.location[0], ins.inspection.location[1])
        inspections.append((float(ix), float(iy), ins.inspection.opened_at, ins.status))
    line = project(shapely.geometry.shape(facts.agreement.geography.contact_line), frame)
    return Scene(frame, judged, np.atleast_1d(jx), np.atleast_1d(jy), sensors, inspections, line)


def place(spec: CorridorSpec, facts: Facts, shared: Scene | None = None) -> Place:
    sc = shared if shared is not None else scene([spec], facts)
    mid = spec.line.interpolate(0.5, normalized=True)
    path = project(spec.line, sc.frame)
    parties = [p.id for p in facts.agreement.parties]
    host = next(
        (t.party for t in facts.agreement.geography.territories if t.shape.contains(mid)), None
    )
    others = [p for p in parties if p != host]
    firer = others[0] if host is not None and len(others) == 1 else None
    points = []
    if sc.judged:
        d = np.asarray(shapely.distance(path, shapely.points(sc.jx, sc.jy)))
        for t, dist in zip(sc.judged, d, strict=True):
            if dist <= NEAR_M:
                reach = min(t.uncertainty_m, MAX_REACH_M)
                verified = t.state in BREACH_STATES and t.accused is not None
                points.append(Point(t.window[0], t.accused or "", verified, float(dist), reach))
    inspections = [
        (at, status)
        for x, y, at, status in sc.inspections
        if path.distance(shapely.Point(x, y)) <= NEAR_M
    ]
    along = [path.interpolate(f, normalized=True) for f in np.linspace(0, 1, PATH_POINTS)]
    # how much of the road artillery from across the line reaches (NEAR_M): a road from a
    # frontline town is shelled at its near end, one that starts far behind rarely
    near = np.asarray(shapely.distance(sc.line, shapely.points([(p.x, p.y) for p in along])))
    front_share = float((near <= NEAR_M).mean())
    # the same reach as a smooth fall-off: a road 5 km behind the line is shelled far more
    # than one 14 km behind, which front_share counts alike
    line_reach = float(np.exp(-near / NEAR_M).mean())
    return Place(spec, path, host, firer, points, sc.sensors, inspections, front_share, line_reach)


def penalty_state(facts: Facts, party: str | None, t: datetime) -> str:
    """`in_force`, `pending` (a case opened, not yet in force, not blocked) or `none`."""
    if party is None:
        return "none"
    state = "none"
    for cs in facts.cases:
        if cs.case.accused != party or cs.case.opened_at > t:
            continue
        if not deters(cs.case.rung):
            continue
        tl = cs.timeline
        if cs.status in (Status.in_force, Status.lapsed) and tl.effective_at <= t:
            if tl.lapses_at is None or tl.lapses_at > t:
                return "in_force"
        elif cs.status not in (Status.void, Status.blocked) and tl.effective_at > t:
            state = "pending"
    return state


def deters(rung: Rung) -> bool:
    """A rung whose penalty is decided: invoked by a signatory with standing, or open to a
    block vote, or after a consultation or countdown. An automatic rung with none of these
    (the formal warning on every confirmed breach) is in force against each party from its
    first confirmed breach on, and would only say that the log has begun."""
    return bool(rung.standing or rung.block_rule or rung.consultation_days or rung.countdown_days)


def party_rates(facts: Facts, t: datetime) -> dict[str, float]:
    """Verified breaches per day by each accused party over the week before t."""
    counts = {p.id: 0 for p in facts.agreement.parties}
    for b in facts.breaches:
        if t - RATE_SPAN <= breach_time(b) < t and b.verdict.accused in counts:
            counts[b.verdict.accused] += 1
    days = RATE_SPAN / timedelta(days=1)
    return {p: n / days for p, n in counts.items()}
