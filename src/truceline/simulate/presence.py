"""Presence breaches beyond weapons and troops standing forward: weapons taken out of
declared holding sites, and monitors turned back at checkpoints.

- A removal: a weapon of a class the site declares leaves it for hours to days
  (log-normal, median 24 h); the event stands at the site, owned by its party.
  `behaviour.removals_per_site_day` per site and phase.
- A denial: a party's checkpoint 2-10 km behind the line turns a mission team back
  by day (08:00-17:00 local). `behaviour.access_denials_per_100km_day`, 70 % by the
  phase's aggressor when it has one (as for fire). The OSCE SMM reported such
  restrictions of its freedom of movement almost daily in 2015-2022.

A generator of its own, so scenarios without either are unchanged.
"""

from __future__ import annotations

import numpy as np

from truceline.simulate import events as ev
from truceline.simulate.behaviour import DAY, _party, segments
from truceline.simulate.config import Scenario
from truceline.simulate.world import World


def generate(scenario: Scenario, world: World, seed: int) -> ev.Events:
    rng = np.random.default_rng([seed, 9])
    b = scenario.behaviour
    declared = [ev.W[w] for w in scenario.world.holding_site_weapons]
    parts: list[ev.Events] = []
    for t0, t1, phase in segments(scenario):
        days = (t1 - t0) / DAY
        for site in world.holding_sites:
            n = (
                int(rng.poisson(b.removals_per_site_day.get(phase.mode, 0.0) * days))
                if declared
                else 0
            )
            if n:
                parts.append(
                    ev.make(
                        n,
                        t=rng.uniform(t0, t1, n),
                        kind=ev.K_MISSING,
                        party=site.party,
                        weapon=rng.choice(declared, n),
                        ox=site.x,
                        oy=site.y,
                        dwell=rng.lognormal(np.log(DAY), 0.5, n),
                    )
                )
        rate = b.access_denials_per_100km_day.get(phase.mode, 0.0) * scenario.world.front_km / 100
        n = int(rng.poisson(rate * days))
        if n:
            party = _party(rng, n, phase, scenario)
            u = rng.uniform(*world.u_range, n)
            x, y = world.place(u, rng.uniform(2_000.0, 10_000.0, n), party)
            start_h = scenario.start.hour + scenario.start.minute / 60
            hour = rng.uniform(8, 17, n) - scenario.world.utc_offset_h - start_h
            day = np.floor(rng.uniform(t0, t1, n) / DAY)
            parts.append(
                ev.make(n, t=day * DAY + hour * 3600, kind=ev.K_DENIED, party=party, ox=x, oy=y)
            )
    return ev.Events.concat(parts)
