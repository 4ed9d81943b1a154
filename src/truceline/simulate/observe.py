"""All sensors look at the events; faults and lies are applied; the result is put in order.

Order is the one the sensors would deliver in: by reported time (to the
millisecond), then sensor, so each sensor's `seq` rises with its time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from truceline.simulate import availability, faults
from truceline.simulate import events as ev
from truceline.simulate.config import Scenario
from truceline.simulate.sensors import (
    acoustic,
    camera,
    imagery,
    inspection,
    patrol,
    radar,
    report,
    satellite,
    seismic,
    uav,
)
from truceline.simulate.sensors.base import Obs, Phenomena, Sensor, sensor_rng
from truceline.simulate.world import World


@dataclass
class Observed:
    obs: Obs  # sorted
    seq: np.ndarray  # per-sensor sequence number, from 1
    malfunctioning: int | None
    liar: int | None


def observe_all(
    scenario: Scenario, world: World, events: ev.Events, sensors: list[Sensor], seed: int
) -> Observed:
    phen = Phenomena.of(events)
    by_family: dict[str, list[tuple[int, Sensor]]] = {}
    for i, s in enumerate(sensors):
        by_family.setdefault(s.family, []).append((i, s))

    def group(name: str) -> list[tuple[int, Sensor]]:
        return by_family.get(name, [])

    parts = [
        radar.observe(sensor_rng(seed, "radar"), scenario, world, events, group("radar")),
        satellite.observe(
            sensor_rng(seed, "satellite"), scenario, world, events, group("satellite")
        ),
        report.observe(sensor_rng(seed, "report"), scenario, world, events, group("report")),
        imagery.observe(
            sensor_rng(seed, "imagery"),
            scenario,
            world,
            events,
            group("optical") + group("sar"),
        ),
        inspection.observe(
            sensor_rng(seed, "inspection"),
            scenario,
            world,
            events,
            group("inspector"),
            group("uav"),
        ),
    ]
    for name, module in (
        ("acoustic", acoustic),
        ("seismic", seismic),
        ("camera", camera),
        ("uav", uav),
        ("patrol", patrol),
    ):
        parts.append(
            module.observe(sensor_rng(seed, name), scenario, world, events, phen, group(name))
        )
    obs = Obs.concat(parts)
    obs = obs.take(
        np.flatnonzero(availability.up(sensor_rng(seed, "outages"), scenario, sensors, obs))
    )

    broken = faults.pick_malfunctioning(scenario, sensors)
    if broken is not None:
        faults.malfunction(sensor_rng(seed, "malfunction"), scenario, obs, broken)
    liar = faults.pick_liar(scenario, sensors)
    if liar is not None:
        obs = faults.lie(sensor_rng(seed, "liar"), scenario, world, events, obs, sensors, liar)

    obs.t = np.round(obs.t * 1000.0) / 1000.0
    keep = np.flatnonzero(obs.t >= 0)
    obs = obs.take(keep)
    order = np.lexsort((obs.y, obs.x, obs.event, obs.sensor, obs.t))
    obs = obs.take(order)
    seq = np.zeros(len(obs), np.int64)
    if len(obs):
        by_sensor = np.argsort(obs.sensor, kind="stable")
        counts = np.bincount(obs.sensor, minlength=len(sensors))
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
        ranks = np.arange(len(obs)) - np.repeat(starts, counts)
        seq[by_sensor] = ranks + 1
    return Observed(obs, seq, broken, liar)
