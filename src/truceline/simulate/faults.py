"""Faults and lies, applied to what honest sensors would have reported.

Malfunction (one mission sensor of a family): extra noise the sensor does
not know about (its stated uncertainty stays), stuck spells in which it
repeats its last reading, and a drifting clock. These are not lies: the
truth still names the event that triggered each reading.

Liar (one sensor of a party): the operator mirrors the point of origin of its
own side's fire across the contact line, so its rounds look like the other
side's, and injects fabricated tracks of shelling that never happened. Every
such observation is marked lie in the truth.
"""

from __future__ import annotations

import numpy as np

from truceline.observation import Kind, Perception
from truceline.simulate import events as ev
from truceline.simulate.config import Scenario
from truceline.simulate.sensors import report
from truceline.simulate.sensors.base import CEP_PER_SIGMA, K, Obs, P, Sensor, circular_error, make
from truceline.simulate.world import World


def pick_malfunctioning(scenario: Scenario, sensors: list[Sensor]) -> int | None:
    m = scenario.faults.malfunction
    if m is None:
        return None
    for i, s in enumerate(sensors):
        if s.family == m.family and s.operator == "mission":
            return i
    for i, s in enumerate(sensors):
        if s.family == m.family:
            return i
    return None


def pick_liar(scenario: Scenario, sensors: list[Sensor]) -> int | None:
    liar = scenario.faults.liar
    if liar is None:
        return None
    for i, s in enumerate(sensors):
        if s.family == liar.family and s.operator == liar.operator:
            return i
    return None


def malfunction(rng: np.random.Generator, scenario: Scenario, obs: Obs, idx: int) -> None:
    m = scenario.faults.malfunction
    assert m is not None
    rows = np.flatnonzero(obs.sensor == idx)
    if not len(rows):
        return
    extra = obs.unc[rows] / CEP_PER_SIGMA * np.sqrt(m.noise_factor**2 - 1)
    obs.x[rows] += rng.normal(0, 1, len(rows)) * extra
    obs.y[rows] += rng.normal(0, 1, len(rows)) * extra
    # stuck spells: a few windows adding up to stuck_share of the time
    total = scenario.days * 86400
    spells = max(1, int(round(scenario.days * 2)))
    length = m.stuck_share * total / spells
    starts = np.sort(rng.uniform(0, max(total - length, 1), spells))
    order = rows[np.argsort(obs.t[rows], kind="stable")]
    for a in starts:
        inside = order[(obs.t[order] >= a) & (obs.t[order] < a + length)]
        if len(inside) > 1:
            first = inside[0]
            for col in ("x", "y", "ox", "oy", "bearing"):
                arr = getattr(obs, col)
                arr[inside] = arr[first]
    obs.t[rows] += m.drift_s_per_day * obs.t[rows] / 86400.0


def lie(
    rng: np.random.Generator,
    scenario: Scenario,
    world: World,
    events: ev.Events,
    obs: Obs,
    sensors: list[Sensor],
    idx: int,
) -> Obs:
    liar = scenario.faults.liar
    assert liar is not None
    party = [p.id for p in scenario.parties].index(liar.operator)
    rows = np.flatnonzero((obs.sensor == idx) & (obs.event >= 0))
    own = rows[(events.party[obs.event[rows]] == party) & np.isfinite(obs.ox[rows])]
    if liar.shift == "mirror" and len(own):
        obs.ox[own], obs.oy[own] = world.mirror(obs.ox[own], obs.oy[own])
        obs.lie[own] = True
    parts = [obs]
    if liar.shift == "mirror" and sensors[idx].family == "radar":
        parts.append(_turned_tracks(rng, scenario, world, events, sensors[idx], idx, party))
    s = sensors[idx]
    near = (s.x, s.y, 30000.0) if np.isfinite(s.x) else None
    kind = K[Kind.projectile] if s.family == "radar" else K[Kind.impact]
    perception = P[Perception.recorded] if s.family == "radar" else P[Perception.reported]
    parts.append(
        report.fabricate(
            rng, scenario, world, idx, party, liar.fabricated_per_day, kind, perception, near
        )
    )
    return Obs.concat(parts)


def _turned_tracks(
    rng: np.random.Generator,
    scenario: Scenario,
    world: World,
    events: ev.Events,
    s: Sensor,
    idx: int,
    party: int,
) -> Obs:
    """The operator's own rounds near its radar, reported as the other side's fire.

    A counter-battery radar faces the enemy and never tracks its own side's guns,
    but its operator knows where they fired. It reports those rounds as tracks
    with the origin mirrored across the line, and, where the round landed on
    the other side, the impact mirrored too: "they shelled us". A round that
    landed on its own side (a false flag) keeps its true impact.
    """
    cfg = scenario.sensors.radar
    reach = max(cfg.range_km.values()) * 1000
    fire = (events.kind == ev.K_IMPACT) & (events.party == party)
    near = np.hypot(events.ox - s.x, events.oy - s.y) <= reach
    e = np.flatnonzero(fire & near & (rng.random(len(events)) < cfg.p_detect))
    n = len(e)
    d = np.hypot(events.ox[e] - s.x, events.oy[e] - s.y)
    cep = np.maximum(cfg.cep_min_m, cfg.cep_fraction * d)
    ox, oy = world.mirror(events.ox[e], events.oy[e])
    across = world.side(events.ix[e], events.iy[e]) != party
    mx, my = world.mirror(events.ix[e], events.iy[e])
    ix, iy = np.where(across, mx, events.ix[e]), np.where(across, my, events.iy[e])
    ex, ey = circular_error(rng, cep)
    return make(
        n,
        sensor=idx,
        t=events.t[e] + np.abs(rng.normal(0, 0.5, n)),
        event=e,
        lie=True,
        kind=K[Kind.projectile],
        x=ix + ex,
        y=iy + ey,
        unc=cep,
        weapon=events.weapon[e],
        calibre=events.calibre[e],
        conf=rng.uniform(0.7, 0.95, n),
        ox=ox + ex,
        oy=oy + ey,
        ocep=cep,
    )
