"""Observer patrols (OSCE SMM style): daylight stops near the line, reporting what they see and hear.

Each team drives out from its base every morning and stops at a few
observation points 1-4 km from the line. At a stop it hears fire within a
class-dependent distance and sees it within a couple of kilometres; it
reports its own position, the direction on the 16-point compass and a
distance band, assessing the weapon (often wrongly when only heard) and
calling a share of what it hears an undetermined explosion. Heavy weapons
and groups near the stop are seen and geolocated. Times are to the minute,
heard ones late by the sound's travel time.
"""

from __future__ import annotations

import numpy as np

from truceline.observation import Kind, Perception, WeaponClass
from truceline.simulate import events as ev
from truceline.simulate.config import Scenario
from truceline.simulate.sensors.base import (
    K,
    Obs,
    P,
    Phenomena,
    Sensor,
    band,
    bearing_deg,
    confuse,
    make,
)
from truceline.simulate.world import World

SOUND_MS = 343.0


def stops(
    rng: np.random.Generator, scenario: Scenario, world: World, s: Sensor
) -> list[tuple[float, float, float, float]]:
    """(x, y, t_from, t_to) of each daylight stop of one team over the scenario."""
    cfg = scenario.sensors.patrol
    out = []
    start_h = scenario.start.hour + scenario.start.minute / 60
    for day in range(int(np.ceil(scenario.days))):
        t = day * 86400 + (8 - scenario.world.utc_offset_h - start_h) * 3600
        for _ in range(cfg.stops):
            t += 0.5 * 3600  # driving
            a, b = t, t + cfg.stop_hours * 3600
            t = b
            if not (world.daylight(np.array([a, b]), scenario.start).all() and a >= 0):
                continue
            if b > scenario.days * 86400:
                continue
            u = s.params["u"] + rng.uniform(-15000, 15000)
            x, y = world.place(np.array([u]), np.array([rng.uniform(1000, 4000)]), s.params["side"])
            out.append((float(x[0]), float(y[0]), a, b))
    return out


def observe(
    rng: np.random.Generator,
    scenario: Scenario,
    world: World,
    events: ev.Events,
    phen: Phenomena,
    sensors: list[tuple[int, Sensor]],
) -> Obs:
    cfg = scenario.sensors.patrol
    hear = ev.table({w: km * 1000 for w, km in cfg.hear_km.items()}, 0.0)
    present = np.flatnonzero((events.kind == ev.K_HEAVY) | (events.kind == ev.K_TROOP))
    parts = []
    for idx, s in sensors:
        for x, y, a, b in stops(rng, scenario, world, s):
            cand = phen.near(x, y, float(hear.max()))
            cand = cand[(phen.t[cand] >= a) & (phen.t[cand] < b)]
            d = np.hypot(phen.x[cand] - x, phen.y[cand] - y)
            r = hear[np.maximum(phen.weapon[cand], 0)]
            ok = (d <= r) & (rng.random(len(cand)) < cfg.p_hear * (1 - 0.5 * d / np.maximum(r, 1)))
            c, d = cand[ok], d[ok]
            n = len(c)
            seen = d <= cfg.see_km * 1000
            small = phen.weapon[c] == ev.W[WeaponClass.small_arms]
            typed = np.where(phen.launch[c], K[Kind.launch], K[Kind.impact])
            kind = np.where(seen | (rng.random(n) < 0.5), typed, K[Kind.explosion])
            kind = np.where(small, K[Kind.small_arms], kind)
            lo, hi = band(rng, d)
            compass = np.mod(np.round(bearing_deg(x, y, phen.x[c], phen.y[c]) / 22.5) * 22.5, 360)
            heard_at = phen.t[c] + np.where(seen, 0.0, d / SOUND_MS)
            weapon = np.where(
                seen, confuse(rng, phen.weapon[c], 0.85), confuse(rng, phen.weapon[c], 0.6)
            )
            parts.append(
                make(
                    n,
                    sensor=idx,
                    t=np.floor(heard_at / 60) * 60,
                    event=phen.event[c],
                    kind=kind,
                    x=x,
                    y=y,
                    unc=hi,
                    perception=np.where(seen, P[Perception.seen], P[Perception.heard]),
                    weapon=np.where(kind == K[Kind.explosion], -1, weapon),
                    bearing=compass,
                    band_lo=lo,
                    band_hi=hi,
                )
            )
            if len(present):
                dd = np.hypot(events.ox[present] - x, events.oy[present] - y)
                there = (events.t[present] <= b) & (events.t[present] + events.dwell[present] > a)
                e = present[(dd <= cfg.see_km * 1000) & there]
                m = len(e)
                heavy = events.kind[e] == ev.K_HEAVY
                parts.append(
                    make(
                        m,
                        sensor=idx,
                        t=np.floor(np.maximum(a, events.t[e]) / 60) * 60 + 60,
                        event=e,
                        kind=np.where(heavy, K[Kind.heavy_weapon_sighting], K[Kind.troop_movement]),
                        x=events.ox[e] + rng.normal(0, 50, m),
                        y=events.oy[e] + rng.normal(0, 50, m),
                        unc=150.0,
                        perception=P[Perception.seen],
                        weapon=np.where(heavy, events.weapon[e], -1),
                        count=np.where(heavy, 1, rng.integers(3, 30, m)),
                    )
                )
    return Obs.concat(parts)
