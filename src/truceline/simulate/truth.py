"""The ground truth: which prohibited acts each true event breaks, and the truth lines.

Rules are evaluated against the agreement the simulator writes, with the
geometry exactly as written there (WGS84, 5 decimals) and distances in the
world's local metric frame:

- fire_across_line: the origin lies in one party's territory, the impact in another's;
- impact_in_zone: the impact lies inside one of the act's zones (all zones if none listed);
- weapon_in_withdrawal_zone: a heavy weapon (its position, or the origin of its fire)
  lies closer to the contact line than its class's withdrawal distance, or inside a
  withdrawal area that bars its class;
- buffer_entry: an armed group or heavy weapon stands inside one of the act's zones;
- corridor_attack: an impact within half the corridor's width of it, while a window is open;
- protected_site_attack: an impact within the site's radius;
- weapon_missing_from_site: weapons taken out of a declared holding site;
- access_denial: monitors turned back (inside the act's zones, if it lists any).

Acts limited to weapon classes apply only to events of those classes.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime

import numpy as np
import shapely

from truceline.agreement.geography import ZoneKind
from truceline.agreement.model import Agreement
from truceline.agreement.rules import Act
from truceline.observation import format_time
from truceline.simulate import events as ev
from truceline.simulate.deterrence import Deterrence
from truceline.simulate.world import World

FIRE = (ev.K_IMPACT, ev.K_SMALL)


def evaluate(agreement: Agreement, world: World, events: ev.Events) -> list[tuple[str, ...]]:
    n = len(events)
    hits: dict[str, np.ndarray] = {}
    olon, olat = world.lonlat(events.ox, events.oy)
    ilon, ilat = world.lonlat(events.ix, events.iy)
    fire = np.isin(events.kind, FIRE)
    landing = fire & np.isfinite(events.ix)
    standing = np.isin(events.kind, (ev.K_HEAVY, ev.K_TROOP))
    zones = {z.id: z for z in agreement.geography.zones}
    impact_t = events.impact_t
    start = agreement.effective_from
    for act in agreement.prohibited_acts:
        if act.weapon_classes:
            codes = [ev.W[w] for w in act.weapon_classes]
            applies = np.isin(events.weapon, codes)
        else:
            applies = np.ones(n, bool)
        mask = np.zeros(n, bool)
        if act.act is Act.fire_across_line:
            o = world.territory_of(olon, olat)
            i = world.territory_of(ilon, ilat)
            mask = landing & (o >= 0) & (i >= 0) & (o != i)
        elif act.act in (Act.impact_in_zone, Act.buffer_entry):
            chosen = [zones[z] for z in act.zones] if act.zones else list(zones.values())
            who = landing if act.act is Act.impact_in_zone else standing
            lon, lat = (ilon, ilat) if act.act is Act.impact_in_zone else (olon, olat)
            for zone in chosen:
                inside = np.zeros(n, bool)
                inside[who] = shapely.contains_xy(zone.shape, lon[who], lat[who])
                mask |= inside
        elif act.act is Act.weapon_in_withdrawal_zone:
            limit = np.full(len(ev.WEAPONS), -np.inf)
            for w in agreement.geography.withdrawal:
                limit[ev.W[w.weapon_class]] = w.distance_km * 1000
            armed = (fire | (events.kind == ev.K_HEAVY)) & (events.weapon >= 0)
            lim = limit[np.maximum(events.weapon, 0)]
            who = armed & np.isfinite(lim)
            mask = who & (_line_distance(world, events.ox, events.oy, who, lim) < lim)
            # Withdrawal areas bar their classes anywhere inside (all classes if none listed).
            for zone in zones.values():
                if zone.kind is not ZoneKind.withdrawal or (act.zones and zone.id not in act.zones):
                    continue
                barred = armed.copy()
                if zone.weapon_classes:
                    barred &= np.isin(events.weapon, [ev.W[w] for w in zone.weapon_classes])
                mask[barred] |= shapely.contains_xy(zone.shape, olon[barred], olat[barred])
        elif act.act is Act.weapon_missing_from_site:
            # Removals stand at their site, of a class it declares (`simulate.presence`).
            mask = events.kind == ev.K_MISSING
        elif act.act is Act.access_denial:
            mask = events.kind == ev.K_DENIED
            if act.zones:
                inside = np.zeros(n, bool)
                for zid in act.zones:
                    inside[mask] |= shapely.contains_xy(zones[zid].shape, olon[mask], olat[mask])
                mask &= inside
        elif act.act is Act.corridor_attack:
            for cor in agreement.geography.corridors:
                near = _near_line(
                    world.xy_shape(cor.shape), events.ix, events.iy, landing, cor.width_m / 2
                )
                open_ = np.zeros(n, bool)
                for win in cor.windows:
                    for wa, wb in win.occurrences():
                        a, b = (wa - start).total_seconds(), (wb - start).total_seconds()
                        open_ |= (impact_t >= a) & (impact_t < b)
                mask |= near & open_
        elif act.act is Act.protected_site_attack:
            for site in agreement.geography.protected_sites:
                geom = world.xy_shape(site.shape)
                mask |= _near_line(geom, events.ix, events.iy, landing, site.radius_m)
        hits[act.id] = mask & applies
    ids = [a.id for a in agreement.prohibited_acts]
    if not ids or n == 0:
        return [()] * n
    # rows as bit masks: a handful of distinct combinations, each turned into a tuple once
    bits = np.zeros(n, np.int64)
    for j, act_id in enumerate(ids):
        bits |= hits[act_id].astype(np.int64) << j
    combos, inverse = np.unique(bits, return_inverse=True)
    tuples = [tuple(ids[j] for j in range(len(ids)) if int(c) >> j & 1) for c in combos]
    return [tuples[k] for k in inverse.tolist()]


def _line_distance(
    world: World, x: np.ndarray, y: np.ndarray, who: np.ndarray, limit: np.ndarray
) -> np.ndarray:
    """Distance to the contact line for `who` (inf elsewhere), exact where it matters.

    The point on the line at the same u is |dv| away, so |dv| < limit already
    settles "closer than the limit"; only the rest need the exact distance.
    """
    d = np.full(len(x), np.inf)
    idx = np.flatnonzero(who)
    u, v = world.xy_to_uv(x[idx], y[idx])
    dv = np.abs(v - world.line_v_at(u))
    inside = dv < limit[idx]
    d[idx[inside]] = dv[inside]  # an upper bound, below the limit: enough to decide
    rest = idx[~inside]
    if len(rest):
        d[rest] = world.distance_to_line(x[rest], y[rest])
    return d


def _near_line(
    geom: shapely.Geometry, x: np.ndarray, y: np.ndarray, who: np.ndarray, radius: float
) -> np.ndarray:
    """Points of `who` within `radius` metres of `geom` (bounding box first, then exact)."""
    out = np.zeros(len(x), bool)
    minx, miny, maxx, maxy = geom.bounds
    box = (
        who
        & (x >= minx - radius)
        & (x <= maxx + radius)
        & (y >= miny - radius)
        & (y <= maxy + radius)
    )
    idx = np.flatnonzero(box)
    if len(idx):
        out[idx] = np.asarray(shapely.distance(geom, shapely.points(x[idx], y[idx]))) <= radius
    return out


def event_id(i: int) -> str:
    return f"ev-{i + 1:06d}"


def _point(lon: float, lat: float) -> list[float] | None:
    if not (np.isfinite(lon) and np.isfinite(lat)):
        return None
    return [round(float(lon), 6), round(float(lat), 6)]


def event_lines(
    events: ev.Events, world: World, start: datetime, party_ids: list[str]
) -> Iterator[str]:
    assert events.rules is not None
    olon, olat = world.lonlat(events.ox, events.oy)
    ilon, ilat = world.lonlat(events.ix, events.iy)
    for i in range(len(events)):
        w = int(events.weapon[i])
        p = int(events.party[i])
        rules = list(events.rules[i])
        line = {
            "type": "event",
            "id": event_id(i),
            "time": format_time(_at(start, float(events.t[i]))),
            "kind": ev.KINDS[int(events.kind[i])],
            "party": party_ids[p] if p >= 0 else None,
            "weapon_class": str(ev.WEAPONS[w]) if w >= 0 else None,
            "origin": _point(olon[i], olat[i]),
            "impact": _point(ilon[i], ilat[i]),
            "breach": bool(rules),
            "rules": rules,
        }
        yield json.dumps(line, separators=(",", ":"))


def hazard_lines(det: Deterrence, start: datetime, party_ids: list[str]) -> Iterator[str]:
    """One line per corridor and open window: the true hazard the forecast is scored on."""
    for h in sorted(det.hazards, key=lambda h: (h.start, h.corridor)):
        line = {
            "type": "corridor_hazard",
            "corridor": det.world.corridors[h.corridor].id,
            "window": [format_time(_at(start, h.start)), format_time(_at(start, h.end))],
            "firer": party_ids[h.firer],
            "expected": round(h.expected, 6),
            "p_breach": round(h.p_breach, 6),
            "p_detect": round(h.p_detect, 4),
            "penalty_factor": h.penalty_factor,
        }
        yield json.dumps(line, separators=(",", ":"))


def penalty_lines(det: Deterrence, start: datetime) -> Iterator[str]:
    """One line per scripted penalty: when it was pending and in force, and the hazard
    multipliers it applied to the party's fire (the true deterrent effect)."""
    for pen in det.cfg.penalties:

        def day(d: float | None) -> str | None:
            return None if d is None else format_time(_at(start, d * 86400.0))

        line = {
            "type": "penalty",
            "party": pen.party,
            "pending_from": day(pen.pending_from_day),
            "in_force_from": day(pen.in_force_from_day),
            "lapses": day(pen.lapses_day),
            "pending_factor": det.cfg.pending_factor,
            "in_force_factor": det.cfg.in_force_factor,
        }
        yield json.dumps(line, separators=(",", ":"))


def _at(start: datetime, seconds: float) -> datetime:
    from datetime import timedelta

    return start + timedelta(milliseconds=round(seconds * 1000))
