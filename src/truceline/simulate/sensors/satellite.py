"""A FIRMS-like polar-orbiting fire sensor (VIIRS 375 m).

Each satellite passes about 13:30 and 01:30 local solar time (S-NPP and
NOAA-20 about 50 minutes apart; the time wanders by tens of minutes from day
to day). A fire burning at a pass is detected unless clouds hide it (a cloud
fraction drawn per pass); the reported point is the centre of the 375 m
pixel it falls in. Most fires it sees are the crop and forest baseline, not
strikes: exactly the confusion a verification engine must handle.
"""

from __future__ import annotations

import math

import numpy as np

from truceline.observation import Kind
from truceline.simulate import events as ev
from truceline.simulate.config import Scenario
from truceline.simulate.sensors.base import K, Obs, Sensor, make
from truceline.simulate.world import World


def passes(
    rng: np.random.Generator,
    scenario: Scenario,
    offset_min: float,
    hours: tuple[float, ...] | list[float] = (1.5, 13.5),
) -> np.ndarray:
    """Overpass times (s since start) of one satellite: at these local solar hours (VIIRS:
    01:30 and 13:30) plus `offset_min`, wandering ±15 minutes from day to day."""
    lon = scenario.world.centre[0]
    s = scenario.start
    start_h = s.hour + s.minute / 60 + s.second / 3600
    out = []
    for day in range(-1, math.ceil(scenario.days) + 1):
        for solar in hours:
            utc_h = solar - lon / 15.0
            t = day * 86400 + (utc_h - start_h) * 3600 + offset_min * 60 + rng.normal(0, 15 * 60)
            if 0 <= t < scenario.days * 86400:
                out.append(t)
    return np.array(sorted(out))


def observe(
    rng: np.random.Generator,
    scenario: Scenario,
    world: World,
    events: ev.Events,
    sensors: list[tuple[int, Sensor]],
) -> Obs:
    cfg = scenario.sensors.satellite
    burning = np.flatnonzero(np.isfinite(events.fire_t))
    fx = np.where(np.isfinite(events.ix[burning]), events.ix[burning], events.ox[burning])
    fy = np.where(np.isfinite(events.iy[burning]), events.iy[burning], events.oy[burning])
    a = 2.0
    b = a * (1 - cfg.cloud_mean) / max(cfg.cloud_mean, 1e-6)
    parts = []
    for idx, s in sensors:
        for tp in passes(rng, scenario, cfg.satellites[s.params["satellite"]]):
            f0, f1 = events.fire_t[burning], events.fire_t[burning] + events.fire_dur[burning]
            active = np.flatnonzero((f0 <= tp) & (tp < f1))
            cloud = rng.beta(a, b) if cfg.cloud_mean > 0 else 0.0
            frp = events.frp[burning][active] * rng.lognormal(0, 0.3, len(active))
            p = cfg.p_detect_clear * (1 - cloud) * np.minimum(1.0, frp)  # < 1 MW: often missed
            mask = rng.random(len(active)) < p
            seen, frp = active[mask], frp[mask]
            n = len(seen)
            pix = cfg.pixel_m
            off = rng.uniform(0, pix, 2)  # the pixel grid falls differently each pass
            px = (np.floor((fx[seen] - off[0]) / pix) + 0.5) * pix + off[0]
            py = (np.floor((fy[seen] - off[1]) / pix) + 0.5) * pix + off[1]
            conf = np.where(frp < 2, 0.3, np.where(frp < 10, 0.6, 0.9))
            parts.append(
                make(
                    n,
                    sensor=idx,
                    t=tp + rng.uniform(0, 300, n),  # along-track scan time within the granule
                    event=burning[seen],
                    kind=K[Kind.thermal_anomaly],
                    x=px,
                    y=py,
                    unc=pix / math.sqrt(2),
                    frp=frp,
                    conf=conf,
                )
            )
    return Obs.concat(parts)
