"""The agreement the simulated parties signed, as the YAML document `Agreement` validates.

Minsk-II-style: a contact line, each party's territory, a buffer zone and
disengagement areas, withdrawal distances per weapon class, humanitarian
corridors with daily windows, protected sites (a nuclear plant, hospitals),
six prohibited acts, a penalty ladder with a reverse-veto block rule,
playbooks, and an inspection regime whose teams are the observer patrols.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from truceline.agreement.model import Agreement
from truceline.agreement.timebounds import DAY_S, DEFAULT_MAX_AGE_S
from truceline.codec.jcs import canonicalize
from truceline.codec.keys import key_id, public_key_b64
from truceline.observation import format_time
from truceline.simulate.config import Scenario
from truceline.simulate.keys import derive
from truceline.simulate.sensors.base import Sensor
from truceline.simulate.sensors.layout import GUARANTORS, MISSION
from truceline.simulate.world import World

# A version is one DSSE envelope (base64 payload, x4/3) in a ledger entry of at most 64 KiB.
MAX_CANONICAL_BYTES = 42_000


def signatory_ids(scenario: Scenario) -> list[str]:
    return [p.id for p in scenario.parties] + list(GUARANTORS) + [MISSION]


def scripted_rungs(scenario: Scenario) -> list[dict[str, Any]]:
    """A rung per scripted deterrence penalty (`behaviour.deterrence.penalties`), so that
    the penalty can reach the log: a guarantor's notification at the pending day opens a
    case that takes effect at the in-force day (consultation 0, countdown the gap between
    them). The simulator does not run enforcement; `notification(...)` is the act."""
    cfg = scenario.behaviour.deterrence
    if cfg is None:
        return []
    out = []
    for k, pen in enumerate(cfg.penalties, 1):
        opened = pen.in_force_from_day if pen.pending_from_day is None else pen.pending_from_day
        rung: dict[str, Any] = {
            "id": f"scripted-{k}",
            "penalty": f"scripted_penalty_{k}",
            "standing": [GUARANTORS[0]],
            "countdown_days": pen.in_force_from_day - opened,
            "trigger": {"grades": ["confirmed", "fair"], "count": 1, "within_days": 30},
        }
        if pen.lapses_day is not None:
            rung["sunset_days"] = pen.lapses_day - pen.in_force_from_day
        out.append(rung)
    return out


def _poly(ring: list[tuple[float, float]]) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": [[list(p) for p in ring]]}


def build(scenario: Scenario, world: World, sensors: list[Sensor], seed: int) -> dict[str, Any]:
    roles = {p.id: ("party", p.name) for p in scenario.parties}
    roles.update({g: ("guarantor", f"Guarantor {g[-1].upper()}") for g in GUARANTORS})
    roles[MISSION] = ("mission", "Monitoring Mission")
    signatories = []
    for sid in signatory_ids(scenario):
        pub = derive(seed, f"signatory:{sid}").public_key()
        role, name = roles[sid]
        signatories.append(
            {
                "id": sid,
                "name": name,
                "role": role,
                "keys": [{"keyid": key_id(pub), "public_key": public_key_b64(pub)}],
            }
        )
    start = scenario.start
    from datetime import timedelta

    def at(seconds: float) -> str:
        return format_time(start + timedelta(seconds=seconds))

    party_ids = [p.id for p in scenario.parties]
    geography = {
        "contact_line": {"type": "LineString", "coordinates": world.line_ll.tolist()},
        "territories": [
            {"party": party_ids[i], "geometry": _poly(ring)}
            for i, ring in enumerate(world.territories_ll)
        ],
        "zones": [
            {"id": z.id, "kind": z.kind, "name": z.name, "geometry": _poly(z.ring_ll)}
            | ({"weapon_classes": list(z.weapon_classes)} if z.weapon_classes else {})
            for z in world.zones
        ],
        "corridors": [
            {
                "id": c.id,
                "name": c.name,
                "width_m": c.width_m,
                "windows": _windows(c.windows, at),
                "geometry": {"type": "LineString", "coordinates": [list(p) for p in c.line_ll]},
            }
            for c in world.corridors
        ],
        "protected_sites": [
            {
                "id": s.id,
                "name": s.name,
                "category": s.category,
                "radius_m": s.radius_m,
                "geometry": {"type": "Point", "coordinates": list(s.lonlat)},
            }
            for s in world.sites
        ],
        "withdrawal": [
            {"weapon_class": str(w), "distance_km": km}
            for w, km in scenario.world.withdrawal_km.items()
        ],
    }
    declared = [
        {"weapon_class": str(w), "count": n} for w, n in scenario.world.holding_site_weapons.items()
    ]
    if world.holding_sites:
        geography["holding_sites"] = [
            {
                "id": h.id,
                "party": party_ids[h.party],
                "radius_m": 500,
                "geometry": {"type": "Point", "coordinates": list(h.lonlat)},
                "weapons": declared,
            }
            for h in world.holding_sites
        ]
    disengagement = [z.id for z in world.zones if z.kind == "security"]
    buffer = [z.id for z in world.zones if z.kind == "buffer"]
    heavy = [str(w) for w in scenario.world.withdrawal_km]
    acts = [
        {
            "id": "art-1",
            "act": "fire_across_line",
            "severity": 3,
            "description": "Firing across the contact line",
        },
        {
            "id": "art-2",
            "act": "weapon_in_withdrawal_zone",
            "severity": 3,
            "weapon_classes": heavy,
            "description": "Heavy weapons closer to the line than the withdrawal distance",
        },
        {
            "id": "art-3",
            "act": "buffer_entry",
            "severity": 2,
            "zones": buffer,
            "description": "Armed forces inside the buffer zone",
        },
        {
            "id": "art-5",
            "act": "corridor_attack",
            "severity": 5,
            "description": "Attack on an open humanitarian corridor",
        },
        {
            "id": "art-6",
            "act": "protected_site_attack",
            "severity": 5,
            "description": "Attack on a protected site",
        },
    ]
    if disengagement:
        acts.insert(
            3,
            {
                "id": "art-4",
                "act": "impact_in_zone",
                "severity": 4,
                "zones": disengagement,
                "description": "Impacts inside a disengagement area",
            },
        )
    if world.holding_sites:
        acts.append(
            {
                "id": "art-7",
                "act": "weapon_missing_from_site",
                "severity": 3,
                "description": "Withdrawn weapons missing from their declared holding site",
            }
        )
    if any(scenario.behaviour.access_denials_per_100km_day.values()):
        acts.append(
            {
                "id": "art-8",
                "act": "access_denial",
                "severity": 2,
                "description": "Monitors denied access",
            }
        )
    voters = [{"id": g, "veto": True} for g in GUARANTORS] + [{"id": p} for p in party_ids]
    teams = [
        {"id": s.id, "base": _lonlat(world, s), "speed_kmh": 40}
        for s in sensors
        if s.family == "patrol"
    ]
    doc: dict[str, Any] = {
        "id": f"sim-{scenario.name}-{seed}".lower().replace("_", "-")[:120],
        "title": f"Simulated ceasefire agreement ({scenario.name}, seed {seed})",
        "version": 1,
        "effective_from": format_time(start),
        "signatories": signatories,
        "geography": geography,
        "prohibited_acts": acts,
        "evidence": {
            "confirmed_min_sources": 3,
            "fair_min_sources": 2,
            "association_window_s": 300,
            "association_radius_m": 2000,
        },
        "penalties": {
            "block_rules": [
                {
                    "id": "council",
                    "kind": "reverse_veto",
                    "voters": voters,
                    "window_days": 30,
                    "majority": 3,
                }
            ],
            "rungs": [
                {
                    "id": "warning",
                    "penalty": "formal_warning",
                    "trigger": {"grades": ["confirmed"], "count": 1, "within_days": 30},
                },
                {
                    "id": "sanctions",
                    "penalty": "sanctions_package_1",
                    "block_rule": "council",
                    "consultation_days": 15,
                    "countdown_days": 30,
                    "trigger": {"grades": ["confirmed"], "count": 5, "within_days": 30},
                },
                *scripted_rungs(scenario),
            ],
        },
        "playbooks": [
            {
                "id": "protect-civilians",
                "acts": ["corridor_attack", "protected_site_attack"],
                "steps": [
                    {
                        "id": "alert",
                        "action": "publish_alert",
                        "to": [MISSION],
                        "deadline_hours": 1,
                    },
                    {
                        "id": "air-defence",
                        "action": "request_air_defence",
                        "to": list(GUARANTORS),
                        "deadline_hours": 2,
                    },
                    {
                        "id": "inspect",
                        "action": "open_inspection",
                        "to": [MISSION],
                        "deadline_hours": 24,
                    },
                ],
            },
            {
                "id": "notify",
                "acts": [],
                "steps": [
                    {
                        "id": "notify-parties",
                        "action": "notify",
                        "to": party_ids,
                        "deadline_hours": 24,
                        "escalate_to": list(GUARANTORS),
                    },
                ],
            },
        ],
        "inspections": {
            "routine_per_zone_per_month": 2,
            "on_demand_within_hours": 48,
            "teams": teams,
        },
    }
    # The simulation is ingested with an event-time clock standing after its end (the demo):
    # a scenario longer than the default time.max_age_s (30 days) says so in its agreement,
    # so that its first day still counts then.
    span_s = scenario.days * DAY_S + DAY_S
    if span_s > DEFAULT_MAX_AGE_S:
        doc["time"] = {"max_age_s": span_s}
    Agreement.model_validate(
        doc
    )  # fail here, not in the consumer, if the world made something invalid
    size = len(canonicalize(doc))
    if size > MAX_CANONICAL_BYTES:
        raise ValueError(
            f"the agreement is {size} bytes of JSON, more than a ledger entry holds "
            f"({MAX_CANONICAL_BYTES}); raise world.vertex_km or shorten world.front_km or days"
        )
    return doc


def _windows(
    windows: list[tuple[float, float]], at: Callable[[float], str]
) -> list[dict[str, Any]]:
    """Daily windows as one repeated window (a year of them fits in a ledger entry)."""
    (a, b), rest = windows[0], windows[1:]
    daily = all(
        abs(x - a - DAY_S * k) < 1e-3 and abs(y - b - DAY_S * k) < 1e-3
        for k, (x, y) in enumerate(rest, 1)
    )
    if not rest or not daily:
        return [{"start": at(x), "end": at(y)} for x, y in windows]
    until = at(windows[-1][1])
    return [{"start": at(a), "end": at(b), "repeat": {"every_hours": 24, "until": until}}]


def _lonlat(world: World, s: Sensor) -> list[float]:
    lon, lat = world.lonlat(s.x, s.y)
    return [round(float(lon), 5), round(float(lat), 5)]
