"""Seismic stations: heavy explosions felt through the ground, located coarsely.

After the Malyn array (IMS PS45), which catalogued large explosions within
about 200 km (Dando et al., Nature 2023): only heavy impacts are detected,
with a location error of kilometres and an origin-time error of seconds.
"""

from __future__ import annotations

import numpy as np

from truceline.observation import Kind
from truceline.simulate import events as ev
from truceline.simulate.config import Scenario
from truceline.simulate.sensors.base import K, Obs, Phenomena, Sensor, circular_error, make
from truceline.simulate.world import World


def observe(
    rng: np.random.Generator,
    scenario: Scenario,
    world: World,
    events: ev.Events,
    phen: Phenomena,
    sensors: list[tuple[int, Sensor]],
) -> Obs:
    cfg = scenario.sensors.seismic
    reach = ev.table({w: km * 1000 for w, km in cfg.reach_km.items()}, 0.0)
    parts = []
    for idx, s in sensors:
        cand = phen.near(s.x, s.y, float(reach.max()))
        cand = cand[~phen.launch[cand]]
        if not len(cand):
            continue
        d = np.hypot(phen.x[cand] - s.x, phen.y[cand] - s.y)
        ok = (d <= reach[np.maximum(phen.weapon[cand], 0)]) & (rng.random(len(cand)) < cfg.p_detect)
        c = cand[ok]
        n = len(c)
        cep = np.full(n, cfg.sigma_m)
        dx, dy = circular_error(rng, cep)
        parts.append(
            make(
                n,
                sensor=idx,
                t=phen.t[c] + rng.normal(0, cfg.time_sigma_s, n),
                event=phen.event[c],
                kind=K[Kind.explosion],
                x=phen.x[c] + dx,
                y=phen.y[c] + dy,
                unc=cep,
                conf=rng.uniform(0.5, 0.9, n),
            )
        )
    return Obs.concat(parts)
