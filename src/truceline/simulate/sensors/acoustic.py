"""Acoustic arrays (time difference of arrival): locate launches and impacts.

Each array hears fire within a class-dependent reach; its location error
has a floor (clock sync, array geometry) plus a share of the range, and a
daily weather factor (wind, temperature gradients) that both shortens the
reach and widens the error. It classifies launch against impact most of the
time and calls the rest an explosion; thunder and demolitions give false
alarms.
"""

from __future__ import annotations

import numpy as np

from truceline.observation import Kind, WeaponClass
from truceline.simulate import events as ev
from truceline.simulate.config import Scenario
from truceline.simulate.sensors.base import (
    CEP_PER_SIGMA,
    K,
    Obs,
    Phenomena,
    Sensor,
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
    phen: Phenomena,
    sensors: list[tuple[int, Sensor]],
) -> Obs:
    cfg = scenario.sensors.acoustic
    reach = ev.table({w: km * 1000 for w, km in cfg.reach_km.items()}, 0.0)
    days = int(np.ceil(scenario.days)) + 1
    parts = []
    for idx, s in sensors:
        weather = rng.lognormal(0, cfg.weather_sd, days)
        cand = phen.near(s.x, s.y, float(reach.max()) * 1.5)
        if len(cand):
            w = phen.weapon[cand]
            f = weather[np.clip((phen.t[cand] // 86400).astype(int), 0, days - 1)]
            d = np.hypot(phen.x[cand] - s.x, phen.y[cand] - s.y)
            ok = (d <= reach[np.maximum(w, 0)] / np.sqrt(f)) & (
                rng.random(len(cand)) < cfg.p_detect
            )
            c, d, f = cand[ok], d[ok], f[ok]
            n = len(c)
            cep = (cfg.sigma_m + cfg.sigma_fraction * d) * f * CEP_PER_SIGMA
            dx, dy = circular_error(rng, cep)
            small = phen.weapon[c] == ev.W[WeaponClass.small_arms]
            typed = np.where(phen.launch[c], K[Kind.launch], K[Kind.impact])
            kind = np.where(
                small, K[Kind.small_arms], np.where(rng.random(n) < 0.85, typed, K[Kind.explosion])
            )
            parts.append(
                make(
                    n,
                    sensor=idx,
                    t=phen.t[c] + rng.normal(0, 0.05, n),
                    event=phen.event[c],
                    kind=kind,
                    x=phen.x[c] + dx,
                    y=phen.y[c] + dy,
                    unc=cep,
                    weapon=confuse(rng, phen.weapon[c], 0.7),
                    conf=np.clip(0.9 - d / 40000, 0.3, 0.9),
                )
            )
        m = int(rng.poisson(cfg.false_per_day * scenario.days))
        r, a = rng.uniform(500, 10000, m), rng.uniform(0, 2 * np.pi, m)
        parts.append(
            make(
                m,
                sensor=idx,
                t=rng.uniform(0, scenario.days * 86400, m),
                kind=K[Kind.explosion],
                x=s.x + r * np.sin(a),
                y=s.y + r * np.cos(a),
                unc=(cfg.sigma_m + cfg.sigma_fraction * r) * CEP_PER_SIGMA,
                conf=rng.uniform(0.3, 0.5, m),
            )
        )
    return Obs.concat(parts)
