"""UAV sorties: an aircraft wandering over its stretch of front, seeing what is below.

Each sortie flies random legs over its sector (up to 25 km either side of
the line) at cruise speed; what passes within its look radius is spotted:
heavy weapons and groups present at that moment, and rounds launched or
landing within half a minute of the overflight. Positions are accurate to
tens of metres (geolocated imagery).
"""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree

from truceline.observation import Kind, Perception, WeaponClass
from truceline.simulate import events as ev
from truceline.simulate.config import Scenario
from truceline.simulate.sensors.base import (
    CEP_PER_SIGMA,
    K,
    Obs,
    P,
    Phenomena,
    Sensor,
    circular_error,
    make,
)
from truceline.simulate.world import World

STEP_S = 30.0


def _track(
    rng: np.random.Generator, scenario: Scenario, world: World, s: Sensor
) -> tuple[np.ndarray, ...]:
    """Sample points (x, y, t) of all sorties of one UAV, every STEP_S seconds."""
    cfg = scenario.sensors.uav
    ua, ub = s.params["u_range"]
    speed = cfg.speed_kmh / 3.6
    xs, ys, ts = [], [], []
    for day in range(int(np.ceil(scenario.days))):
        for _ in range(int(rng.poisson(cfg.sorties_per_day))):
            t0 = day * 86400 + rng.uniform(0, 86400 - cfg.sortie_hours * 3600)
            n_legs = max(2, int(cfg.sortie_hours * 3600 * speed / 15000) + 1)
            wu = rng.uniform(ua, ub, n_legs + 1)
            wv = world.line_v_at(wu) + rng.uniform(-25000, 25000, n_legs + 1)
            wx, wy = world.uv_to_xy(wu, wv)
            seg = np.hypot(np.diff(wx), np.diff(wy))
            dist = np.concatenate([[0], np.cumsum(seg)])
            tt = np.arange(0, min(cfg.sortie_hours * 3600, dist[-1] / speed), STEP_S)
            xs.append(np.interp(tt * speed, dist, wx))
            ys.append(np.interp(tt * speed, dist, wy))
            ts.append(t0 + tt)
    if not ts:
        return np.empty(0), np.empty(0), np.empty(0)
    return np.concatenate(xs), np.concatenate(ys), np.concatenate(ts)


def observe(
    rng: np.random.Generator,
    scenario: Scenario,
    world: World,
    events: ev.Events,
    phen: Phenomena,
    sensors: list[tuple[int, Sensor]],
) -> Obs:
    cfg = scenario.sensors.uav
    look = cfg.look_km * 1000
    present = np.flatnonzero((events.kind == ev.K_HEAVY) | (events.kind == ev.K_TROOP))
    ptree = cKDTree(
        np.column_stack([events.ox[present], events.oy[present]])
        if len(present)
        else np.zeros((0, 2))
    )
    parts = []
    for idx, s in sensors:
        x, y, t = _track(rng, scenario, world, s)
        if not len(t):
            continue
        # rounds: nearest track sample in (x, y, scaled time) within the look radius
        scale = look / STEP_S
        track = cKDTree(np.column_stack([x, y, t * scale]))
        if len(phen.t):
            pts = np.column_stack([phen.x, phen.y, phen.t * scale])
            dist, _ = track.query(pts, distance_upper_bound=look * 1.2)
            c = np.flatnonzero(np.isfinite(dist))
            c = c[rng.random(len(c)) < cfg.p_detect]
            n = len(c)
            cep = np.full(n, cfg.sigma_m * CEP_PER_SIGMA)
            dx, dy = circular_error(rng, cep)
            small = phen.weapon[c] == ev.W[WeaponClass.small_arms]
            kind = np.where(
                small, K[Kind.small_arms], np.where(phen.launch[c], K[Kind.launch], K[Kind.impact])
            )
            parts.append(
                make(
                    n,
                    sensor=idx,
                    t=phen.t[c] + rng.normal(0, 1, n),
                    event=phen.event[c],
                    kind=kind,
                    x=phen.x[c] + dx,
                    y=phen.y[c] + dy,
                    unc=cep,
                    perception=P[Perception.recorded],
                    weapon=phen.weapon[c],
                )
            )
        # weapons and groups on the ground: the first overflight while they are there
        if len(present):
            seen_at: dict[int, float] = {}
            hits = ptree.query_ball_point(np.column_stack([x, y]), look)
            for k, near in enumerate(hits):
                for j in near:
                    e = present[j]
                    if events.t[e] <= t[k] < events.t[e] + events.dwell[e] and e not in seen_at:
                        seen_at[e] = t[k]
            e = np.array(sorted(seen_at), dtype=np.int64)
            e = e[rng.random(len(e)) < cfg.p_detect]
            n = len(e)
            cep = np.full(n, cfg.sigma_m * CEP_PER_SIGMA)
            dx, dy = circular_error(rng, cep)
            heavy = events.kind[e] == ev.K_HEAVY
            parts.append(
                make(
                    n,
                    sensor=idx,
                    t=np.array([seen_at[i] for i in e]),
                    event=e,
                    kind=np.where(heavy, K[Kind.heavy_weapon_sighting], K[Kind.troop_movement]),
                    x=events.ox[e] + dx,
                    y=events.oy[e] + dy,
                    unc=cep,
                    weapon=np.where(heavy, events.weapon[e], -1),
                    count=np.where(heavy, 1, rng.integers(3, 30, n)),
                )
            )
    return Obs.concat(parts)
