"""Imaging satellites: optical and SAR passes that see heavy weapons and troops on the ground.

Each satellite passes once or twice a day at fixed local solar hours (±15
minutes from day to day) and images a swath: a random stretch of the front,
`swath_share` of its length, to the territories' depth. What stands there at
the pass is detected with `p_detect`; an optical image also needs the sky
clear (a cloud fraction drawn per pass), a SAR image does not. Analysts name
the weapon class right with `p_class`, else leave it unknown; SAR sees troops
poorly (`p_troops`). Positions are geolocated to `sigma_m`.

This is the commercial and national imagery that verified the 2015 Minsk
withdrawals and the OSCE SMM's "weapons seen in violation of the withdrawal
lines" (SMM spot reports, 2015-2021); pass rates and accuracy are assumptions
of the order of WorldView/Pleiades (optical) and Sentinel-1/ICEYE (SAR).
"""

from __future__ import annotations

import numpy as np

from truceline.observation import Kind, Perception
from truceline.simulate import events as ev
from truceline.simulate.config import ImagerySatellite, Scenario
from truceline.simulate.sensors import satellite
from truceline.simulate.sensors.base import CEP_PER_SIGMA, K, Obs, P, Sensor, circular_error, make
from truceline.simulate.world import World

FAMILIES = ("optical", "sar")


def observe(
    rng: np.random.Generator,
    scenario: Scenario,
    world: World,
    events: ev.Events,
    sensors: list[tuple[int, Sensor]],
) -> Obs:
    cfg = scenario.sensors.imagery
    # Weapons and troops standing, and weapons missing from a holding site (the site
    # imaged against its declaration).
    present = np.flatnonzero(np.isin(events.kind, (ev.K_HEAVY, ev.K_TROOP, ev.K_MISSING)))
    pu, _ = world.xy_to_uv(events.ox[present], events.oy[present])
    lo, hi = world.u_range
    parts = []
    for idx, s in sensors:
        sat: ImagerySatellite = cfg.satellites[s.params["satellite"]]
        for tp in satellite.passes(rng, scenario, 0.0, sat.hours):
            # The swath: `swath_share` of the front from a random start, wrapping around
            # its end, so each place is imaged with probability `swath_share`.
            a = rng.uniform(lo, hi)
            in_swath = np.mod(pu - a, hi - lo) < sat.swath_share * (hi - lo)
            there = (events.t[present] <= tp) & (tp < events.t[present] + events.dwell[present])
            e = present[there & in_swath]
            heavy = events.kind[e] != ev.K_TROOP
            p = np.where(heavy, sat.p_detect, sat.p_troops)
            if sat.mode == "optical":
                p = p * (1.0 - rng.beta(2.0, 2.0 * (1 - cfg.cloud_mean) / cfg.cloud_mean))
            keep = rng.random(len(e)) < p
            e, heavy = e[keep], heavy[keep]
            missing = events.kind[e] == ev.K_MISSING
            n = len(e)
            cep = np.full(n, sat.sigma_m * CEP_PER_SIGMA)
            dx, dy = circular_error(rng, cep)
            named = rng.random(n) < sat.p_class
            parts.append(
                make(
                    n,
                    sensor=idx,
                    t=tp + rng.uniform(0, 60, n),
                    event=e,
                    kind=np.select(
                        [missing, heavy],
                        [K[Kind.weapons_missing], K[Kind.heavy_weapon_sighting]],
                        K[Kind.troop_movement],
                    ),
                    x=events.ox[e] + dx,
                    y=events.oy[e] + dy,
                    unc=cep,
                    perception=P[Perception.recorded],
                    weapon=np.where(heavy & (named | missing), events.weapon[e], -1),
                    count=np.where(heavy, 1, rng.integers(3, 30, n)),
                )
            )
    return Obs.concat(parts)
