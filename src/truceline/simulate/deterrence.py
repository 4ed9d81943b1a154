"""Deterrence: a party's propensity to breach answers to what it faces.

Set by `behaviour.deterrence` (off in the older presets, whose output is unchanged).
Corridor attacks become a self-exciting hazard per corridor, stepped every 10 minutes
while the corridor is open:

    lambda(t) = base x exp(-detection_beta x p_detect(corridor))
                     x penalty factor of the firer at t (pending / in force)
                     x diurnal(local hour)
                     x (1 + per_breach x sum exp(-(t - s) / decay))

where the sum runs over recent breaches by the corridor's host (the other side): its
ordinary fire from within `radius_km` of the corridor and its attacks on the firer's
corridors. p_detect is the chance that at least one mission or guarantor fixed sensor
(radar, acoustic array, camera) within reach hears or sees fire there, averaged along the
path. Ordinary engagements elsewhere are thinned by exp(-elsewhere_beta x p_detect) at the
firing place and by the firer's penalty factor. The integral of lambda over each open
window is the corridor's true hazard, written to truth.jsonl.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import shapely

from truceline.observation import WeaponClass
from truceline.simulate import events as ev
from truceline.simulate.config import DeterrenceConfig, Scenario
from truceline.simulate.sensors.base import Sensor
from truceline.simulate.world import World

DAY = 86400.0
STEP_S = 600.0
WATCHERS = ("mission", "guarantor-a", "guarantor-b")
NEAR_LINE_M = 3000.0  # where an ordinary engagement's firing place is assessed


@dataclass
class Hazard:
    """One corridor window: the firer, the integrated hazard and what it was made of."""

    corridor: int
    start: float
    end: float
    firer: int
    expected: float  # integral of lambda over the window: expected attack engagements
    p_detect: float
    penalty_factor: float  # at the window's opening

    @property
    def p_breach(self) -> float:
        return float(1.0 - np.exp(-self.expected))


@dataclass
class Deterrence:
    cfg: DeterrenceConfig
    scenario: Scenario
    world: World
    reach: list[tuple[float, float, float, float]]  # x, y, reach m, p_detect
    corridor_p: list[float] = field(default_factory=list)
    corridor_reach: list[float] = field(default_factory=list)  # 1 without cfg.reach_km
    hazards: list[Hazard] = field(default_factory=list)

    def p_detect(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Chance that at least one watching sensor within reach detects fire at (x, y)."""
        miss = np.ones(len(x))
        for sx, sy, r, p in self.reach:
            miss *= np.where(np.hypot(x - sx, y - sy) <= r, 1.0 - p, 1.0)
        return 1.0 - miss

    def penalty_factor(self, party: np.ndarray, t: np.ndarray) -> np.ndarray:
        ids = [p.id for p in self.scenario.parties]
        out = np.ones(len(t))
        for pen in self.cfg.penalties:
            mine = party == ids.index(pen.party)
            lapse = np.inf if pen.lapses_day is None else pen.lapses_day * DAY
            in_force = mine & (t >= pen.in_force_from_day * DAY) & (t < lapse)
            pending = (
                mine & (t >= pen.pending_from_day * DAY) & (t < pen.in_force_from_day * DAY)
                if pen.pending_from_day is not None
                else np.zeros(len(t), bool)
            )
            out = np.where(in_force, out * self.cfg.in_force_factor, out)
            out = np.where(pending, out * self.cfg.pending_factor, out)
        return out

    def diurnal(self, t: np.ndarray) -> np.ndarray:
        hour = self.world.local_hour(t, self.scenario.start)
        a = self.cfg.diurnal_amplitude
        return 1.0 + a * np.cos(2 * np.pi * (hour - self.cfg.peak_hour_local) / 24)

    def keep_engagements(
        self, rng: np.random.Generator, t: np.ndarray, u: np.ndarray, party: np.ndarray
    ) -> np.ndarray:
        """Which ordinary engagements a deterred party still fires (a mask)."""
        x, y = self.world.place(u, np.full(len(u), NEAR_LINE_M), party)
        p = np.exp(-self.cfg.elsewhere_beta * self.p_detect(x, y))
        p *= self.penalty_factor(party, t)
        return rng.random(len(t)) < p

    def effect(self, corridor: int) -> float:
        """The corridor's hazard multiplier from detection alone (1 = unwatched)."""
        return float(np.exp(-self.cfg.detection_beta * self.corridor_p[corridor]))

    def distance_factor(self, corridor: int) -> float:
        """The corridor's hazard multiplier from its distance to the line (1 = at it)."""
        return self.corridor_reach[corridor] if self.corridor_reach else 1.0


def build(scenario: Scenario, world: World, sensors: list[Sensor]) -> Deterrence | None:
    cfg = scenario.behaviour.deterrence
    if cfg is None:
        return None
    s = scenario.sensors
    art = WeaponClass.artillery
    family = {
        "radar": (s.radar.range_km.get(art, 14.5), s.radar.p_detect),
        "acoustic": (s.acoustic.reach_km.get(art, 10.0), s.acoustic.p_detect),
        "camera": (s.camera.reach_day_km, s.camera.p_detect),
    }
    reach = [
        (x.x, x.y, family[x.family][0] * 1000.0, family[x.family][1])
        for x in sensors
        if x.family in family and x.operator in WATCHERS and np.isfinite(x.x)
    ]
    det = Deterrence(cfg, scenario, world, reach)
    for cor in world.corridors:
        pts = [cor.geom_m.interpolate(f, normalized=True) for f in np.linspace(0, 1, 25)]
        px = np.array([p.x for p in pts])
        py = np.array([p.y for p in pts])
        det.corridor_p.append(float(det.p_detect(px, py).mean()))
        if cfg.reach_km is not None:
            d = np.asarray(shapely.distance(world.line_m, shapely.points(px, py)))
            det.corridor_reach.append(float(np.exp(-d / (cfg.reach_km * 1000.0)).mean()))
    return det


def watch_sensors(scenario: Scenario, world: World) -> list[Sensor]:
    """Mission acoustic arrays spaced along each watched corridor (placed, not drawn)."""
    cfg = scenario.behaviour.deterrence
    out: list[Sensor] = []
    if cfg is None:
        return out
    for c in cfg.watched_corridors:
        cor = world.corridors[c - 1]
        for k in range(cfg.watch_sensors):
            p = cor.geom_m.interpolate((k + 0.5) / cfg.watch_sensors, normalized=True)
            sensor = Sensor(f"acoustic-mission-c{c}-{k + 1:02d}", "acoustic", "mission", p.x, p.y)
            sensor.params["side"] = cor.host
            out.append(sensor)
    return out


Attack = Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray], None]


def corridor_attacks(
    det: Deterrence, rng: np.random.Generator, ordinary: ev.Events, attack: Attack
) -> None:
    """Step the corridors' hazards through the scenario; `attack` fires what they draw."""
    cfg, world = det.cfg, det.world
    end = det.scenario.days * DAY
    scale = det.scenario.scale
    open_h = det.scenario.world.corridor_hours
    base = cfg.corridor_attacks_per_open_day / ((open_h[1] - open_h[0]) * 3600.0) * scale
    decay = cfg.retaliation.decay_h * 3600.0
    radius = cfg.retaliation.radius_km * 1000.0
    fire = np.isin(ordinary.kind, (ev.K_IMPACT, ev.K_SMALL)) & (ordinary.tag == ev.TAG_NONE)
    # breaches by each host near each corridor: its ordinary fire, one source per burst
    sources: list[list[float]] = []
    for cor in world.corridors:
        near = fire & (ordinary.party == cor.host)
        idx = np.flatnonzero(near)
        d = np.asarray(
            shapely.distance(cor.geom_m, shapely.points(ordinary.ox[idx], ordinary.oy[idx]))
        )
        times = np.sort(ordinary.t[idx[d <= radius]]) if len(idx) else np.empty(0)
        bursts = times[np.concatenate([[True], np.diff(times) > 600])] if len(times) else times
        sources.append(bursts.tolist())
    windows = [
        [(max(a, 0.0), min(z, end)) for a, z in cor.windows if a < end and z > 0]
        for cor in world.corridors
    ]
    for step0 in np.arange(0.0, end, STEP_S):
        step1 = min(step0 + STEP_S, end)
        mid = np.array([(step0 + step1) / 2])
        for c, cor in enumerate(world.corridors):
            win = next((w for w in windows[c] if w[0] <= mid[0] < w[1]), None)
            if win is None:
                continue
            firer = 1 - cor.host
            src = np.asarray(sources[c])
            past = src[src < step0]
            excite = float(np.exp(-(step0 - past) / decay).sum()) if len(past) else 0.0
            lam = (
                base
                * det.effect(c)
                * det.distance_factor(c)
                * float(det.penalty_factor(np.array([firer]), mid)[0])
                * float(det.diurnal(mid)[0])
                * (1.0 + cfg.retaliation.per_breach * excite)
            )
            _add(det, c, win, firer, lam * (step1 - step0))
            n = int(rng.poisson(lam * (step1 - step0)))
            if n == 0:
                continue
            t = np.sort(rng.uniform(step0, step1, n))
            f = rng.uniform(0, 1, n)
            pts = [cor.geom_m.interpolate(v, normalized=True) for v in f]
            tx = np.array([p.x for p in pts]) + rng.normal(0, cor.width_m / 8, n)
            ty = np.array([p.y for p in pts]) + rng.normal(0, cor.width_m / 8, n)
            attack(tx, ty, t, np.full(n, firer, np.int64))
            # an attack on this corridor is a breach by `firer`: it excites the hazard
            # of the corridors `firer` hosts
            for k, other in enumerate(world.corridors):
                if other.host == firer:
                    sources[k] = sorted([*sources[k], *t.tolist()])


def _add(det: Deterrence, c: int, win: tuple[float, float], firer: int, amount: float) -> None:
    for h in reversed(det.hazards):
        if h.corridor == c and h.start == win[0]:
            h.expected += amount
            return
    pen = float(det.penalty_factor(np.array([firer]), np.array([win[0]]))[0])
    det.hazards.append(Hazard(c, win[0], win[1], firer, amount, det.corridor_p[c], pen))


def summary(det: Deterrence, party_ids: list[str]) -> dict[str, object]:
    """Per corridor: detection, its multiplier, the hazard summed over the scenario."""
    rows = {}
    for c, cor in enumerate(det.world.corridors):
        mine = [h for h in det.hazards if h.corridor == c]
        rows[cor.id] = {
            "host": party_ids[cor.host],
            "firer": party_ids[1 - cor.host],
            "p_detect": round(det.corridor_p[c], 4),
            "detection_factor": round(det.effect(c), 4),
            "expected_attacks": round(sum(h.expected for h in mine), 3),
            "windows": len(mine),
        }
        if det.corridor_reach:
            rows[cor.id]["reach_factor"] = round(det.distance_factor(c), 4)
    return {"corridors": rows, "penalties": [p.model_dump() for p in det.cfg.penalties]}
