"""Party behaviour: who fires what, where and when, phase by phase.

Fire comes in engagements (a burst of rounds from one firing position at
one aim point) that cluster at hotspots and peak in the evening, as OSCE SMM
daily reports describe; in a duel each engagement draws a reply. Heavy
weapons are parked forward (inside the withdrawal distance) or properly
behind it; groups enter the buffer zone when probing. Scripted acts:
attacks on corridors during their windows and on protected sites, and false
flags (a party shelling its own side to blame the other). The seasonal crop
and forest fire baseline is generated here too, since it is part of the
world a satellite sees.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np

from truceline.observation import WeaponClass
from truceline.simulate import events as ev
from truceline.simulate.config import Phase, Scenario
from truceline.simulate.deterrence import Deterrence, corridor_attacks
from truceline.simulate.world import World

DAY = 86400.0


def segments(scenario: Scenario) -> list[tuple[float, float, Phase]]:
    """The phases laid over [0, days): (start s, end s, phase); the last phase repeats."""
    out: list[tuple[float, float, Phase]] = []
    t, end = 0.0, scenario.days * DAY
    phases = scenario.behaviour.phases
    i = 0
    while t < end:
        phase = phases[min(i, len(phases) - 1)]
        t1 = min(end, t + phase.days * DAY)
        out.append((t, t1, phase))
        t, i = t1, i + 1
    return out


def _evening_times(
    rng: np.random.Generator, n: int, t0: float, t1: float, world: World
) -> np.ndarray:
    """n times in [t0, t1) with the evening-and-night peak of ceasefire violations."""
    out = np.empty(0)
    while len(out) < n:
        cand = rng.uniform(t0, t1, 2 * (n - len(out)) + 8)
        hour = world.local_hour(cand, world.scenario.start)
        weight = (1 + 0.6 * np.cos(2 * np.pi * (hour - 22) / 24)) / 1.6
        out = np.concatenate([out, cand[rng.random(len(cand)) < weight]])
    return out[:n]


def _party(rng: np.random.Generator, n: int, phase: Phase, scenario: Scenario) -> np.ndarray:
    if phase.aggressor is None:
        return rng.integers(0, 2, n)
    main = [p.id for p in scenario.parties].index(phase.aggressor)
    return np.where(rng.random(n) < 0.7, main, 1 - main)


def _along(rng: np.random.Generator, n: int, world: World, hotspots: np.ndarray) -> np.ndarray:
    lo, hi = world.u_range
    share = world.scenario.behaviour.hotspot_share
    hot = rng.random(n) < share
    u = rng.uniform(lo, hi, n)
    u[hot] = hotspots[rng.integers(0, len(hotspots), int(hot.sum()))] + rng.normal(
        0, 5000, int(hot.sum())
    )
    return np.clip(u, lo + 1000, hi - 1000)


def fire(
    rng: np.random.Generator,
    world: World,
    *,
    t0: np.ndarray,
    u: np.ndarray,
    party: np.ndarray,
    weapon: np.ndarray,
    rounds_mean: np.ndarray,
    target: tuple[np.ndarray, np.ndarray] | None = None,
    own_side: bool = False,
    tag: int = ev.TAG_NONE,
) -> ev.Events:
    """Engagements expanded into rounds. `target` fixes aim points; `own_side` lands them at home."""
    n = len(t0)
    if n == 0:
        return ev.Events.empty()
    rng_km = ev.table(ev.RANGE_KM)[weapon]
    depth_o = rng_km * 1000 * rng.uniform(0.15, 0.5, n)
    small = weapon == ev.W[WeaponClass.small_arms]
    depth_o[small] = rng.uniform(50, 600, int(small.sum()))
    bx, by = world.place(u + rng.normal(0, 500, n), depth_o, party)
    if target is None:
        reach = np.maximum(rng_km * 1000 - depth_o, 200.0)
        depth_t = np.minimum(rng_km * 1000 * rng.uniform(0.03, 0.35, n), reach)
        side = party if own_side else 1 - party
        tx, ty = world.place(u + rng.normal(0, 0.25 * rng_km * 1000), depth_t, side)
    else:
        tx, ty = target
    count = 1 + rng.poisson(np.maximum(rounds_mean - 1, 0))
    idx = np.repeat(np.arange(n), count)
    m = len(idx)
    gaps = rng.exponential(ev.table(ev.GAP_S)[weapon[idx]])
    starts = np.concatenate([[0], np.cumsum(count)[:-1]])
    gaps[starts] = 0.0
    csum = np.cumsum(gaps)
    t = t0[idx] + csum - csum[starts][np.repeat(np.arange(n), count)]
    spread = ev.table(ev.SPREAD_M)[weapon[idx]]
    cal_a = ev.table({w: c[0] for w, c in ev.CALIBRES_MM.items()})[weapon]
    cal_b = ev.table({w: c[-1] for w, c in ev.CALIBRES_MM.items()})[weapon]
    calibre = np.where(rng.random(n) < 0.5, cal_a, cal_b)
    kind = np.where(weapon[idx] == ev.W[WeaponClass.small_arms], ev.K_SMALL, ev.K_IMPACT)
    return ev.make(
        m,
        t=t,
        kind=kind,
        party=party[idx],
        weapon=weapon[idx],
        ox=bx[idx] + rng.normal(0, 30, m),
        oy=by[idx] + rng.normal(0, 30, m),
        ix=tx[idx] + rng.normal(0, 1, m) * spread,
        iy=ty[idx] + rng.normal(0, 1, m) * spread,
        calibre=calibre[idx],
        tag=tag,
    )


def _pick(rng: np.random.Generator, n: int, mix: dict[WeaponClass, float]) -> np.ndarray:
    keys = list(mix)
    p = np.array([mix[k] for k in keys], float)
    if n == 0 or p.sum() <= 0:
        return np.zeros(n, np.int64)
    codes = np.array([ev.W[k] for k in keys])
    return codes[rng.choice(len(keys), n, p=p / p.sum())]


def conflict(
    scenario: Scenario, world: World, seed: int, det: Deterrence | None = None
) -> ev.Events:
    rng = np.random.default_rng([seed, 2])
    det_rng = np.random.default_rng([seed, 9])
    b = scenario.behaviour
    km100 = scenario.world.front_km / 100.0
    lo, hi = world.u_range
    hotspots = rng.uniform(lo + 0.05 * (hi - lo), hi - 0.05 * (hi - lo), b.hotspots)
    rounds = ev.table({w: float(v) for w, v in b.rounds_per_engagement.items()}, 1.0)
    wd = scenario.world.withdrawal_km
    parts: list[ev.Events] = []
    for t0, t1, phase in segments(scenario):
        days = (t1 - t0) / DAY
        rate = phase.intensity * scenario.scale * km100 * days
        n = int(rng.poisson(b.engagements_per_100km_day[phase.mode] * rate))
        times = _evening_times(rng, n, t0, t1, world)
        party = _party(rng, n, phase, scenario)
        weapon = _pick(rng, n, b.weapon_mix.get(phase.mode, {}))
        u = _along(rng, n, world, hotspots)
        if det is not None:
            keep = det.keep_engagements(det_rng, times, u, party)
            times, party, weapon, u = times[keep], party[keep], weapon[keep], u[keep]
            n = len(times)
        parts.append(
            fire(rng, world, t0=times, u=u, party=party, weapon=weapon, rounds_mean=rounds[weapon])
        )
        if phase.mode in ("duel", "escalation") and n:
            reply = rng.random(n) < (0.5 if phase.mode == "duel" else 0.4)
            k = int(reply.sum())
            rt = times[reply] + rng.exponential(600, k)
            keep = rt < t1
            rw = weapon[reply][keep]
            parts.append(
                fire(
                    rng,
                    world,
                    t0=rt[keep],
                    u=u[reply][keep] + rng.normal(0, 3000, int(keep.sum())),
                    party=1 - party[reply][keep],
                    weapon=rw,
                    rounds_mean=rounds[rw],
                )
            )
        # heavy weapons parked forward of (or properly behind) their withdrawal line
        m = int(rng.poisson(b.heavy_moves_per_100km_day[phase.mode] * rate))
        if m:
            hw = _pick(
                rng, m, {WeaponClass.tank: 0.4, WeaponClass.artillery: 0.4, WeaponClass.mlrs: 0.2}
            )
            dist = ev.table({w: float(v) for w, v in wd.items()}, 10.0)[hw] * 1000
            forward = rng.random(m) < b.forward_share[phase.mode]
            depth = dist * np.where(forward, rng.uniform(0.2, 0.9, m), rng.uniform(1.1, 2.0, m))
            hp = _party(rng, m, phase, scenario)
            x, y = world.place(_along(rng, m, world, hotspots), depth, hp)
            parts.append(
                ev.make(
                    m,
                    t=rng.uniform(t0, t1, m),
                    kind=ev.K_HEAVY,
                    party=hp,
                    weapon=hw,
                    ox=x,
                    oy=y,
                    dwell=rng.lognormal(np.log(12 * 3600), 0.6, m),
                )
            )
        k = int(rng.poisson(b.buffer_entries_per_100km_day[phase.mode] * rate))
        if k:
            tp = _party(rng, k, phase, scenario)
            depth = rng.uniform(0.1, 0.8, k) * scenario.world.buffer_km * 1000
            x, y = world.place(_along(rng, k, world, hotspots), depth, tp)
            parts.append(
                ev.make(
                    k,
                    t=rng.uniform(t0, t1, k),
                    kind=ev.K_TROOP,
                    party=tp,
                    weapon=ev.W[WeaponClass.small_arms],
                    ox=x,
                    oy=y,
                    dwell=rng.lognormal(np.log(2 * 3600), 0.5, k),
                )
            )
    parts += _scripted(rng, scenario, world, det, ev.Events.concat(parts), det_rng)
    return ev.Events.concat(parts)


def _scripted(
    rng: np.random.Generator,
    scenario: Scenario,
    world: World,
    det: Deterrence | None,
    ordinary: ev.Events,
    det_rng: np.random.Generator,
) -> list[ev.Events]:
    """Attacks on corridors in their windows, on protected sites, and false flags."""
    b = scenario.behaviour
    days = scenario.days
    out: list[ev.Events] = []
    heavy = {WeaponClass.mortar: 0.2, WeaponClass.artillery: 0.6, WeaponClass.mlrs: 0.2}
    rounds = ev.table({w: float(v) for w, v in b.rounds_per_engagement.items()}, 1.0)

    def attack(tx: np.ndarray, ty: np.ndarray, t: np.ndarray, firer: np.ndarray, tag: int) -> None:
        n = len(t)
        if n == 0:
            return
        weapon = _pick(rng, n, heavy)
        tu, _ = world.xy_to_uv(tx, ty)
        out.append(
            fire(
                rng,
                world,
                t0=t,
                u=tu,
                party=firer,
                weapon=weapon,
                rounds_mean=np.minimum(rounds[weapon], 6),
                target=(tx, ty),
                tag=tag,
            )
        )

    if det is not None and world.corridors:
        corridor_attacks(
            det, det_rng, ordinary, lambda x, y, t, f: attack(x, y, t, f, ev.TAG_CORRIDOR)
        )
    elif world.corridors and b.corridor_attacks_per_day:
        n = int(rng.poisson(b.corridor_attacks_per_day * days * scenario.scale))
        which = rng.integers(0, len(world.corridors), n)
        cx: list[float] = []
        cy: list[float] = []
        ct: list[float] = []
        cf: list[int] = []
        for c in which:
            cor = world.corridors[c]
            inside = [(a, z) for a, z in cor.windows if a < days * DAY and z > 0]
            if not inside:
                continue  # the corridor is never open during this scenario
            p = cor.geom_m.interpolate(rng.uniform(0, 1), normalized=True)
            cx.append(p.x + rng.normal(0, cor.width_m / 8))
            cy.append(p.y + rng.normal(0, cor.width_m / 8))
            a, z = inside[rng.integers(0, len(inside))]
            a, z = max(a, 0.0), min(z, days * DAY)
            ct.append(rng.uniform(a + 600, max(a + 600, z - 3600)))
            cf.append(1 - cor.host)
        attack(np.array(cx), np.array(cy), np.array(ct), np.array(cf, np.int64), ev.TAG_CORRIDOR)
    if world.sites and b.site_attacks_per_day:
        n = int(rng.poisson(b.site_attacks_per_day * days * scenario.scale))
        which = rng.integers(0, len(world.sites), n)
        sites = [world.sites[i] for i in which]
        tx = np.array([s.geom_m.x for s in sites]) + rng.normal(0, 1, n) * [
            s.radius_m / 3 for s in sites
        ]
        ty = np.array([s.geom_m.y for s in sites]) + rng.normal(0, 1, n) * [
            s.radius_m / 3 for s in sites
        ]
        firer = np.array([1 - s.side for s in sites], np.int64)
        attack(tx, ty, rng.uniform(0, days * DAY, n), firer, ev.TAG_SITE)
    if b.false_flags_per_day:
        n = int(rng.poisson(b.false_flags_per_day * days * scenario.scale))
        liar = scenario.faults.liar
        ids = [p.id for p in scenario.parties]
        party = np.full(n, ids.index(liar.operator)) if liar else rng.integers(0, 2, n)
        weapon = _pick(rng, n, {WeaponClass.mortar: 0.7, WeaponClass.artillery: 0.3})
        u = _along(rng, n, world, np.array([float(np.mean(world.u_range))]))
        out.append(
            fire(
                rng,
                world,
                t0=rng.uniform(0, days * DAY, n),
                u=u,
                party=party,
                weapon=weapon,
                rounds_mean=np.full(n, 3.0),
                own_side=True,
                tag=ev.TAG_FALSE_FLAG,
            )
        )
    return out


def impact_fires(scenario: Scenario, events: ev.Events, seed: int) -> None:
    """Some impacts set fields, roofs or forests alight: a fire a satellite may see."""
    rng = np.random.default_rng([seed, 3])
    cfg = scenario.sensors.satellite
    p = ev.table({w: float(v) for w, v in cfg.fire_after_impact.items()}, 0.0)
    is_fire = (events.kind == ev.K_IMPACT) & (events.weapon >= 0)
    lit = is_fire & (rng.random(len(events)) < p[np.maximum(events.weapon, 0)])
    n = int(lit.sum())
    events.fire_t[lit] = events.impact_t[lit]
    events.fire_dur[lit] = rng.lognormal(np.log(cfg.fire_hours_median * 3600), 0.7, n)
    events.frp[lit] = rng.lognormal(np.log(8), 0.8, n)


def baseline_fires(scenario: Scenario, world: World, seed: int) -> ev.Events:
    """Crop and forest fires at the FIRMS 2021 seasonal rate: heat that is not a strike."""
    rng = np.random.default_rng([seed, 4])
    cfg = scenario.sensors.satellite
    area = world.area_km2()
    lo, hi = world.u_range
    depth = scenario.world.depth_km * 1000
    parts = []
    for day in range(int(np.ceil(scenario.days))):
        month = (scenario.start + timedelta(days=day)).month
        # The table counts detections; with ~2 looks a day, clouds and short fires,
        # about half the fires that burn are seen, hence the factor 2.
        n = int(rng.poisson(cfg.baseline_per_10k_km2_day[month - 1] * area / 1e4 * 2.0))
        if n == 0:
            continue
        u = rng.uniform(lo, hi, n)
        v = world.line_v_at(u) + rng.uniform(-depth, depth, n)
        x, y = world.uv_to_xy(u, v)
        forest = rng.random(n) < cfg.forest_share
        hour_local = np.where(forest, rng.uniform(0, 24, n), rng.normal(14, 3, n))
        t = day * DAY + (hour_local - scenario.world.utc_offset_h - _start_hour(scenario)) * 3600
        dur = np.where(
            forest,
            rng.lognormal(np.log(10 * 3600), 0.6, n),
            rng.lognormal(np.log(3 * 3600), 0.6, n),
        )
        keep = (t >= 0) & (t < scenario.days * DAY)
        parts.append(
            ev.make(
                int(keep.sum()),
                t=t[keep],
                kind=np.where(forest, ev.K_FOREST, ev.K_CROP)[keep],
                party=-1,
                ix=x[keep],
                iy=y[keep],
                dwell=dur[keep],
                fire_t=t[keep],
                fire_dur=dur[keep],
                frp=np.where(
                    forest, rng.lognormal(np.log(15), 0.9, n), rng.lognormal(np.log(4), 0.8, n)
                )[keep],
            )
        )
    return ev.Events.concat(parts)


def _start_hour(scenario: Scenario) -> float:
    s = scenario.start
    return s.hour + s.minute / 60 + s.second / 3600


def generate(
    scenario: Scenario, world: World, seed: int, det: Deterrence | None = None
) -> ev.Events:
    """Every true event of the scenario, sorted by time."""
    from truceline.simulate import presence  # it builds on this module's phases

    events = ev.Events.concat(
        [
            conflict(scenario, world, seed, det),
            baseline_fires(scenario, world, seed),
            presence.generate(scenario, world, seed),
        ]
    )
    inside = (events.t >= 0) & (events.t < scenario.days * DAY)
    events = events.take(np.flatnonzero(inside))
    events = events.take(np.lexsort((events.ix, events.ox, events.t)))
    impact_fires(scenario, events, seed)
    return events
