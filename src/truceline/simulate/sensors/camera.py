"""Fixed cameras (OSCE SMM style): a flash in a direction, at a guessed distance.

A camera records launches and impacts of anything heavier than small arms,
further at night (flashes) than by day; it reports its own position, the
bearing (good to a few degrees) and a distance band, so the event lies
somewhere along a short arc.
"""

from __future__ import annotations

import numpy as np

from truceline.observation import Kind, WeaponClass
from truceline.simulate import events as ev
from truceline.simulate.config import Scenario
from truceline.simulate.sensors.base import K, Obs, Phenomena, Sensor, band, bearing_deg, make
from truceline.simulate.world import World


def observe(
    rng: np.random.Generator,
    scenario: Scenario,
    world: World,
    events: ev.Events,
    phen: Phenomena,
    sensors: list[tuple[int, Sensor]],
) -> Obs:
    cfg = scenario.sensors.camera
    parts = []
    for idx, s in sensors:
        cand = phen.near(s.x, s.y, cfg.reach_night_km * 1000)
        cand = cand[phen.weapon[cand] != ev.W[WeaponClass.small_arms]]
        if not len(cand):
            continue
        d = np.hypot(phen.x[cand] - s.x, phen.y[cand] - s.y)
        day = world.daylight(phen.t[cand], scenario.start)
        reach = np.where(day, cfg.reach_day_km, cfg.reach_night_km) * 1000
        ok = (d <= reach) & (rng.random(len(cand)) < cfg.p_detect)
        c, d = cand[ok], d[ok]
        n = len(c)
        lo, hi = band(rng, d)
        brg = np.mod(
            bearing_deg(s.x, s.y, phen.x[c], phen.y[c]) + rng.normal(0, cfg.bearing_sd_deg, n), 360
        )
        parts.append(
            make(
                n,
                sensor=idx,
                t=phen.t[c] + rng.normal(0, 0.5, n),
                event=phen.event[c],
                kind=np.where(phen.launch[c], K[Kind.launch], K[Kind.impact]),
                x=s.x,
                y=s.y,
                unc=hi,
                bearing=brg,
                band_lo=lo,
                band_hi=hi,
            )
        )
    return Obs.concat(parts)
