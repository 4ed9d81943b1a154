"""Sensors are not always up: outages of fixed sensors (power, maintenance, jamming).

Each fixed sensor of a family with an availability below 1 is down for
spells of exponentially distributed length (mean `outage_hours`) that add up
to the unavailable share of the scenario; whatever it would have reported
during a spell is lost. Outages are drawn before faults and lies, so a liar's
inventions are not limited by them.
"""

from __future__ import annotations

import numpy as np

from truceline.simulate.config import Scenario
from truceline.simulate.sensors.base import Obs, Sensor


def up(rng: np.random.Generator, scenario: Scenario, sensors: list[Sensor], obs: Obs) -> np.ndarray:
    """A mask of the observations made while their sensor was up."""
    keep = np.ones(len(obs), bool)
    total = scenario.days * 86400.0
    mean = scenario.sensors.outage_hours * 3600.0
    for i, s in enumerate(sensors):
        share = 1.0 - scenario.sensors.availability.get(s.family, 1.0)
        if share <= 0:
            continue
        spells = rng.poisson(share * total / mean)
        if spells == 0:
            continue
        starts = rng.uniform(0, total, spells)
        ends = starts + rng.exponential(mean, spells)
        rows = np.flatnonzero(obs.sensor == i)
        t = obs.t[rows]
        down = np.zeros(len(rows), bool)
        for a, b in zip(starts, ends, strict=True):
            down |= (t >= a) & (t < b)
        keep[rows[down]] = False
    return keep
