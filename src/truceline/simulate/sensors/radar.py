"""Weapon-locating (counter-battery) radar: origin and impact of indirect fire.

A radar tracks shells, rockets and mortar bombs whose launch point lies in
its sector and within the range for the weapon class (AN/TPQ-36-class
figures by default, see docs/simulator.md); it misses some (detection
probability) and its point-of-origin CEP grows linearly with range. It also
reports clutter tracks (birds, weather) that match no round.
"""

from __future__ import annotations

import numpy as np

from truceline.observation import Kind, WeaponClass
from truceline.simulate import events as ev
from truceline.simulate.config import Scenario
from truceline.simulate.sensors.base import (
    K,
    Obs,
    Sensor,
    angle_diff,
    bearing_deg,
    circular_error,
    confuse,
    make,
)
from truceline.simulate.world import World


def observe(
    rng: np.random.Generator,
    scenario: Scenario,
    world: World,
    events: ev.Events,
    sensors: list[tuple[int, Sensor]],
) -> Obs:
    cfg = scenario.sensors.radar
    reach = ev.table({w: km * 1000 for w, km in cfg.range_km.items()}, 0.0)
    fire = np.flatnonzero((events.kind == ev.K_IMPACT) & (reach[np.maximum(events.weapon, 0)] > 0))
    ox, oy, w = events.ox[fire], events.oy[fire], events.weapon[fire]
    from scipy.spatial import cKDTree

    tree = cKDTree(np.column_stack([ox, oy]) if len(fire) else np.zeros((0, 2)))
    max_reach = float(reach.max()) if len(reach) else 0.0
    parts = []
    for idx, s in sensors:
        cand = np.asarray(
            tree.query_ball_point([s.x, s.y], max_reach) if len(fire) else [], dtype=np.int64
        )
        cand.sort()
        if not len(cand):
            continue
        d = np.hypot(ox[cand] - s.x, oy[cand] - s.y)
        sector = float(s.params.get("sector_deg", cfg.sector_deg))
        ok = d <= reach[w[cand]]
        if sector < 360 and s.facing_deg is not None:
            ok &= angle_diff(bearing_deg(s.x, s.y, ox[cand], oy[cand]), s.facing_deg) <= sector / 2
        ok &= rng.random(len(cand)) < cfg.p_detect
        hit, d = cand[ok], d[ok]
        e = fire[hit]
        n = len(e)
        cep_o = np.maximum(cfg.cep_min_m, cfg.cep_fraction * d)
        di = np.hypot(events.ix[e] - s.x, events.iy[e] - s.y)
        cep_i = np.maximum(cfg.cep_min_m, cfg.impact_cep_fraction * di)
        dox, doy = circular_error(rng, cep_o)
        dix, diy = circular_error(rng, cep_i)
        weapon = confuse(rng, events.weapon[e], cfg.p_class_correct)
        parts.append(
            make(
                n,
                sensor=idx,
                t=events.t[e] + np.abs(rng.normal(0, 0.5, n)),
                event=e,
                kind=K[Kind.projectile],
                x=events.ix[e] + dix,
                y=events.iy[e] + diy,
                unc=cep_i,
                weapon=weapon,
                calibre=np.where(weapon == events.weapon[e], events.calibre[e], np.nan),
                conf=np.clip(0.95 - 0.4 * d / reach[events.weapon[e]], 0.3, 0.95),
                ox=events.ox[e] + dox,
                oy=events.oy[e] + doy,
                ocep=cep_o,
            )
        )
        parts.append(_clutter(rng, scenario, s, idx, sector))
    return Obs.concat(parts)


def _clutter(
    rng: np.random.Generator, scenario: Scenario, s: Sensor, idx: int, sector: float
) -> Obs:
    cfg = scenario.sensors.radar
    n = int(rng.poisson(cfg.false_per_day * scenario.days))
    facing = s.facing_deg if s.facing_deg is not None else 0.0
    brg = np.radians(facing + rng.uniform(-sector / 2, sector / 2, n))
    r = rng.uniform(2000, 15000, n)
    ox, oy = s.x + r * np.sin(brg), s.y + r * np.cos(brg)
    back = rng.uniform(0.2, 0.8, n)
    ix, iy = ox + (s.x - ox) * back, oy + (s.y - oy) * back
    cep = np.maximum(cfg.cep_min_m, cfg.cep_fraction * r)
    weapon = np.where(rng.random(n) < 0.5, ev.W[WeaponClass.mortar], ev.W[WeaponClass.artillery])
    return make(
        n,
        sensor=idx,
        t=rng.uniform(0, scenario.days * 86400, n),
        kind=K[Kind.projectile],
        x=ix,
        y=iy,
        unc=np.maximum(cfg.cep_min_m, cfg.impact_cep_fraction * r * (1 - back)),
        weapon=weapon,
        conf=rng.uniform(0.3, 0.6, n),
        ox=ox,
        oy=oy,
        ocep=cep,
    )
