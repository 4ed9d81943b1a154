"""The world as one GeoJSON FeatureCollection, for maps and eyeballing a scenario.

The agreement carries the withdrawal rule as a distance per weapon class (so
it stays one ledger entry); here each class's withdrawal line is drawn on
both sides, with everything else the agreement names and the sensors' sites.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from truceline.simulate.config import Scenario
from truceline.simulate.sensors.base import Sensor
from truceline.simulate.world import ROUND, World


def _coords(world: World, xs: np.ndarray, ys: np.ndarray) -> list[list[float]]:
    lon, lat = world.lonlat(xs, ys)
    return [[round(float(a), ROUND), round(float(b), ROUND)] for a, b in zip(lon, lat, strict=True)]


def _feature(geometry: dict[str, Any], **properties: Any) -> dict[str, Any]:
    return {"type": "Feature", "geometry": geometry, "properties": properties}


def collection(scenario: Scenario, world: World, sensors: list[Sensor]) -> dict[str, Any]:
    ids = [p.id for p in scenario.parties]
    features = [
        _feature(
            {"type": "LineString", "coordinates": world.line_ll.tolist()}, layer="contact_line"
        )
    ]
    for i, ring in enumerate(world.territories_ll):
        features.append(
            _feature(
                {"type": "Polygon", "coordinates": [[list(p) for p in ring]]},
                layer="territory",
                party=ids[i],
            )
        )
    for z in world.zones:
        features.append(
            _feature(
                {"type": "Polygon", "coordinates": [[list(p) for p in z.ring_ll]]},
                layer="zone",
                id=z.id,
                kind=z.kind,
            )
        )
    for weapon, km in scenario.world.withdrawal_km.items():
        for party in (0, 1):
            # the line `km` away on the party's side: the line's offset, drawn across the front
            u = np.linspace(*world.u_range, 400)
            v = world.line_v_at(u) + world.sign(party) * km * 1000
            x, y = world.uv_to_xy(u, v)
            keep = world.distance_to_line(x, y) >= km * 1000 * 0.98  # drop kinks nearer the line
            features.append(
                _feature(
                    {"type": "LineString", "coordinates": _coords(world, x[keep], y[keep])},
                    layer="withdrawal_line",
                    weapon_class=str(weapon),
                    distance_km=km,
                    party=ids[party],
                )
            )
    for c in world.corridors:
        features.append(
            _feature(
                {"type": "LineString", "coordinates": [list(p) for p in c.line_ll]},
                layer="corridor",
                id=c.id,
                width_m=c.width_m,
            )
        )
    for site in world.sites:
        features.append(
            _feature(
                {"type": "Point", "coordinates": list(site.lonlat)},
                layer="protected_site",
                id=site.id,
                category=site.category,
                radius_m=site.radius_m,
            )
        )
    for s in sensors:
        if np.isfinite(s.x):
            (point,) = _coords(world, np.array([s.x]), np.array([s.y]))
            features.append(
                _feature(
                    {"type": "Point", "coordinates": point},
                    layer="sensor",
                    id=s.id,
                    family=s.family,
                    operator=s.operator,
                )
            )
    return {"type": "FeatureCollection", "features": features}
