"""Reports: a public (OSINT) feed of poor accuracy, and each party's press office.

The public feed picks up a small share of heavy impacts, kilometres off and
with times rounded to ten minutes, and a quarter of what it carries never
happened. A party's press office reports shelling of its own side by the
other party, with a claimed point of origin; in scenarios with false
accusations it also reports shelling that did not happen, and after a false
flag it blames the other side for the rounds its own forces fired.
"""

from __future__ import annotations

import numpy as np

from truceline.observation import Kind, Perception, WeaponClass
from truceline.simulate import events as ev
from truceline.simulate.config import Scenario
from truceline.simulate.sensors.base import K, Obs, P, Sensor, circular_error, confuse, make
from truceline.simulate.world import World


def observe(
    rng: np.random.Generator,
    scenario: Scenario,
    world: World,
    events: ev.Events,
    sensors: list[tuple[int, Sensor]],
) -> Obs:
    parts = []
    for idx, s in sensors:
        if s.params["feed"] == "osint":
            parts.append(_osint(rng, scenario, world, events, idx))
        else:
            parts.append(_press(rng, scenario, world, events, idx, int(s.params["party"])))
    return Obs.concat(parts)


def _osint(
    rng: np.random.Generator, scenario: Scenario, world: World, events: ev.Events, idx: int
) -> Obs:
    cfg = scenario.sensors.report
    heavy = (events.kind == ev.K_IMPACT) & (events.weapon != ev.W[WeaponClass.mortar])
    e = np.flatnonzero(heavy & (rng.random(len(events)) < cfg.osint_share))
    n = len(e)
    cep = np.full(n, cfg.osint_error_km * 1000)
    dx, dy = circular_error(rng, cep)
    t = events.impact_t[e] + rng.normal(0, cfg.osint_time_error_min * 60, n)
    true = make(
        n,
        sensor=idx,
        t=np.maximum(np.round(t / 600) * 600, 0),
        event=e,
        kind=K[Kind.third_party_report],
        x=events.ix[e] + dx,
        y=events.iy[e] + dy,
        unc=2 * cep,
        perception=P[Perception.reported],
        weapon=confuse(rng, events.weapon[e], 0.5),
        conf=0.3,
    )
    m = int(rng.poisson(n * cfg.osint_false_share / (1 - cfg.osint_false_share)))
    lo, hi = world.u_range
    u = rng.uniform(lo, hi, m)
    x, y = world.uv_to_xy(u, world.line_v_at(u) + rng.uniform(-15000, 15000, m))
    false = make(
        m,
        sensor=idx,
        t=np.round(rng.uniform(0, scenario.days * 86400 - 600, m) / 600) * 600,
        kind=K[Kind.third_party_report],
        x=x,
        y=y,
        unc=2 * cfg.osint_error_km * 1000,
        perception=P[Perception.reported],
        weapon=ev.W[WeaponClass.artillery],
        conf=0.3,
    )
    return Obs.concat([true, false])


def _press(
    rng: np.random.Generator,
    scenario: Scenario,
    world: World,
    events: ev.Events,
    idx: int,
    party: int,
) -> Obs:
    cfg = scenario.sensors.report
    parts = []
    fire = events.kind == ev.K_IMPACT
    on_us = fire & (events.party == 1 - party) & (world.side(events.ix, events.iy) == party)
    e = np.flatnonzero(on_us & (rng.random(len(events)) < cfg.party_share))
    parts.append(
        _claim(
            rng, events, idx, e, events.ox[e], events.oy[e], cfg.party_error_km * 1000, lie=False
        )
    )
    # after a false flag, the rounds its own forces fired are blamed on the other side
    ff = np.flatnonzero(fire & (events.tag == ev.TAG_FALSE_FLAG) & (events.party == party))
    ff = ff[rng.random(len(ff)) < 0.5]
    mx, my = world.mirror(events.ox[ff], events.oy[ff])
    parts.append(_claim(rng, events, idx, ff, mx, my, cfg.party_error_km * 1000, lie=True))
    parts.append(
        fabricate(
            rng,
            scenario,
            world,
            idx,
            party,
            scenario.faults.false_accusations_per_day,
            K[Kind.impact],
            P[Perception.reported],
        )
    )
    return Obs.concat(parts)


def _claim(
    rng: np.random.Generator,
    events: ev.Events,
    idx: int,
    e: np.ndarray,
    ox: np.ndarray,
    oy: np.ndarray,
    err_m: float,
    *,
    lie: bool,
) -> Obs:
    n = len(e)
    cep = np.full(n, max(err_m, 1.0))
    dx, dy = circular_error(rng, cep)
    ex, ey = circular_error(rng, cep * 2)
    return make(
        n,
        sensor=idx,
        t=np.floor((events.impact_t[e] + rng.exponential(300, n)) / 60) * 60,
        event=e,
        lie=lie,
        kind=K[Kind.impact],
        x=events.ix[e] + dx,
        y=events.iy[e] + dy,
        unc=cep,
        perception=P[Perception.reported],
        weapon=confuse(rng, events.weapon[e], 0.8),
        ox=ox + ex,
        oy=oy + ey,
        ocep=cep * 2,
    )


def fabricate(
    rng: np.random.Generator,
    scenario: Scenario,
    world: World,
    idx: int,
    party: int,
    per_day: float,
    kind: int,
    perception: int,
    near: tuple[float, float, float] | None = None,
) -> Obs:
    """Shelling that never happened: an impact on `party`'s side, fired from the other side.

    `near` = (x, y, radius) keeps the invented rounds where the sensor could plausibly see.
    """
    n = int(rng.poisson(per_day * scenario.days))
    if near is None:
        lo, hi = world.u_range
        u = rng.uniform(lo, hi, n)
    else:
        u0, _ = world.xy_to_uv(np.array([near[0]]), np.array([near[1]]))
        u = u0[0] + rng.uniform(-near[2] / 2, near[2] / 2, n)
    ix, iy = world.place(u, rng.uniform(1000, 10000, n), party)
    ox, oy = world.place(u + rng.normal(0, 2000, n), rng.uniform(3000, 12000, n), 1 - party)
    return make(
        n,
        sensor=idx,
        t=rng.uniform(0, scenario.days * 86400, n),
        lie=True,
        kind=kind,
        x=ix,
        y=iy,
        unc=rng.uniform(50, 300, n),
        perception=perception,
        weapon=np.where(rng.random(n) < 0.5, ev.W[WeaponClass.artillery], ev.W[WeaponClass.mortar]),
        conf=rng.uniform(0.6, 0.95, n),
        ox=ox,
        oy=oy,
        ocep=rng.uniform(50, 300, n),
    )
