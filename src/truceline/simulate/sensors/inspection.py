"""Mission inspection teams: holding-site inspections and the checkpoints that turn them back.

One team per party. It inspects each of that party's holding sites every
`inspection.every_h` hours (by day, from a random first visit) and reports each
removal still open as `weapons_missing` (class and count, at the site). Turned back
at a checkpoint, it reports `access_denied` where it was stopped; with
`p_uav_followup` a mission UAV is sent over the checkpoint and records it too
(the OSCE SMM sent its UAVs where patrols were refused).
"""

from __future__ import annotations

import numpy as np

from truceline.observation import Kind, Perception
from truceline.simulate import events as ev
from truceline.simulate.config import Scenario
from truceline.simulate.sensors.base import K, Obs, P, Sensor, make
from truceline.simulate.world import World


def observe(
    rng: np.random.Generator,
    scenario: Scenario,
    world: World,
    events: ev.Events,
    teams: list[tuple[int, Sensor]],
    uavs: list[tuple[int, Sensor]],
) -> Obs:
    cfg = scenario.sensors.inspection
    every = cfg.every_h * 3600.0
    end = scenario.days * 86400.0
    mission_uavs = [i for i, s in uavs if s.operator == "mission"]
    parts = []
    for idx, team in teams:
        party = team.params["party"]
        for site in (h for h in world.holding_sites if h.party == party):
            removed = np.flatnonzero(
                (events.kind == ev.K_MISSING) & (events.ox == site.x) & (events.oy == site.y)
            )
            start_h = scenario.start.hour - scenario.world.utc_offset_h
            first = (rng.uniform(8, 16) - start_h) % 24 * 3600.0
            for tk in np.arange(first, end, every):
                e = removed[
                    (events.t[removed] <= tk) & (tk < events.t[removed] + events.dwell[removed])
                ]
                n = len(e)
                parts.append(
                    make(
                        n,
                        sensor=idx,
                        t=tk + rng.uniform(0, 1800, n),
                        event=e,
                        kind=K[Kind.weapons_missing],
                        x=site.x + rng.normal(0, 20, n),
                        y=site.y + rng.normal(0, 20, n),
                        unc=50.0,
                        perception=P[Perception.seen],
                        weapon=events.weapon[e],
                        count=1,
                    )
                )
        e = np.flatnonzero((events.kind == ev.K_DENIED) & (events.party == party))
        n = len(e)
        parts.append(
            make(
                n,
                sensor=idx,
                t=events.t[e] + rng.uniform(0, 600, n),
                event=e,
                kind=K[Kind.access_denied],
                x=events.ox[e] + rng.normal(0, 50, n),
                y=events.oy[e] + rng.normal(0, 50, n),
                unc=200.0,
                perception=P[Perception.seen],
            )
        )
        if mission_uavs:
            e = e[rng.random(n) < cfg.p_uav_followup]
            m = len(e)
            lo, hi = cfg.uav_delay_h
            parts.append(
                make(
                    m,
                    sensor=np.asarray(mission_uavs)[rng.integers(0, len(mission_uavs), m)],
                    t=events.t[e] + rng.uniform(lo, hi, m) * 3600,
                    event=e,
                    kind=K[Kind.access_denied],
                    x=events.ox[e] + rng.normal(0, 25, m),
                    y=events.oy[e] + rng.normal(0, 25, m),
                    unc=30.0,
                    perception=P[Perception.recorded],
                )
            )
    return Obs.concat(parts)
