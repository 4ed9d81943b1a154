"""Where the sensors stand and who runs them.

Parties run weapon-locating radars behind their own lines and a press
office; the mission runs radars, acoustic arrays, cameras, UAVs and patrols
on both sides and imports the satellite fire feed and a public (OSINT) feed;
a guarantor runs the seismic stations and some UAVs. Counts scale with the
front length.
"""

from __future__ import annotations

import math

import numpy as np

from truceline.simulate.config import Scenario
from truceline.simulate.sensors.base import Sensor
from truceline.simulate.world import World

MISSION = "mission"
GUARANTORS = ("guarantor-a", "guarantor-b")


def _count(per_100km: float, front_km: float) -> int:
    return int(math.floor(per_100km * front_km / 100.0 + 0.5))


def _spread(rng: np.random.Generator, world: World, n: int) -> np.ndarray:
    """n positions along the line, evenly spaced with jitter (metres of u)."""
    lo, hi = world.u_range
    slots = (np.arange(n) + 0.5 + rng.uniform(-0.3, 0.3, n)) / max(n, 1)
    return lo + (hi - lo) * slots


def _facing(world: World, x: float, y: float, toward: int) -> float:
    """Bearing across the line toward `toward`'s side, at the point's place on the line."""
    u, _ = world.xy_to_uv(np.array([x]), np.array([y]))
    du = 2000.0
    x0, y0 = world.uv_to_xy(u - du, world.line_v_at(u - du))
    x1, y1 = world.uv_to_xy(u + du, world.line_v_at(u + du))
    along = math.degrees(math.atan2(float(x1[0] - x0[0]), float(y1[0] - y0[0])))
    # +v is to the left of the line's direction, so party 0's side is along - 90
    return (along - 90.0 if toward == 0 else along + 90.0) % 360.0


def _fixed(
    rng: np.random.Generator,
    world: World,
    family: str,
    operator: str,
    n: int,
    depth_km: tuple[float, float],
    side: int | None,
) -> list[Sensor]:
    out = []
    us = _spread(rng, world, n)
    for i, u in enumerate(us):
        s = side if side is not None else i % 2
        x, y = world.place(np.array([u]), np.array([rng.uniform(*depth_km) * 1000]), s)
        sensor = Sensor(
            f"{family}-{operator}-{i + 1:03d}", family, operator, float(x[0]), float(y[0])
        )
        sensor.params["side"] = s
        sensor.facing_deg = _facing(world, sensor.x, sensor.y, 1 - s)
        out.append(sensor)
    return out


def layout(scenario: Scenario, world: World, seed: int) -> list[Sensor]:
    rng = np.random.default_rng([seed, 5])
    cfg = scenario.sensors
    km = scenario.world.front_km
    sensors: list[Sensor] = []
    for p, party in enumerate(scenario.parties):
        n = _count(cfg.radar.per_100km.get("party", 0), km)
        sensors += _fixed(rng, world, "radar", party.id, n, (8, 15), p)
    n = _count(cfg.radar.per_100km.get("mission", 0), km)
    for s in _fixed(rng, world, "radar", MISSION, n, (3, 6), None):
        s.params["sector_deg"] = 360.0  # AN/TPQ-53-like 360-degree mode
        sensors.append(s)
    for name in cfg.satellite.satellites:
        sensors.append(Sensor(f"firms-{name}", "satellite", MISSION, params={"satellite": name}))
    sensors += _fixed(
        rng, world, "acoustic", MISSION, _count(cfg.acoustic.per_100km, km), (1.5, 4), None
    )
    n = (
        max(1, int(math.floor(cfg.seismic.per_1000km * km / 1000 + 0.5)))
        if cfg.seismic.per_1000km
        else 0
    )
    sensors += _fixed(rng, world, "seismic", GUARANTORS[0], n, (10, 60), None)
    sensors += _fixed(rng, world, "camera", MISSION, _count(cfg.camera.per_100km, km), (1, 3), None)
    n_uav = max(1, _count(cfg.uav.per_100km, km)) if cfg.uav.per_100km else 0
    lo, hi = world.u_range
    for i in range(n_uav):
        operator = MISSION if i % 2 == 0 else GUARANTORS[1]
        sensor = Sensor(f"uav-{operator}-{i + 1:03d}", "uav", operator)
        sensor.params["u_range"] = (lo + (hi - lo) * i / n_uav, lo + (hi - lo) * (i + 1) / n_uav)
        sensors.append(sensor)
    for s in _fixed(
        rng, world, "patrol", MISSION, _count(cfg.patrol.per_100km, km), (10, 20), None
    ):
        s.params["u"] = float(world.xy_to_uv(np.array([s.x]), np.array([s.y]))[0][0])
        sensors.append(s)
    sensors.append(Sensor("osint-feed", "report", MISSION, params={"feed": "osint"}))
    if world.holding_sites or any(scenario.behaviour.access_denials_per_100km_day.values()):
        for p, party in enumerate(scenario.parties):
            sensors.append(
                Sensor(f"inspector-mission-{party.id}", "inspector", MISSION, params={"party": p})
            )
    for name, sat in cfg.imagery.satellites.items():
        sensors.append(
            Sensor(f"{sat.mode}-{name}", sat.mode, sat.operator, params={"satellite": name})
        )
    for p, party in enumerate(scenario.parties):
        sensors.append(
            Sensor(f"press-{party.id}", "report", party.id, params={"feed": "press", "party": p})
        )
    return sensors
