"""Attribution: the firing party is the one holding the point of origin.

Confidence is the probability that the true origin lies on the same side of
the contact line as the estimate: Phi(d / sigma), d the distance from the
estimate to the line and sigma the origin ellipse's 1-sigma towards the line.
An origin 3 km behind the line fixed to 100 m is certain; one 200 m from the
line fixed to 400 m is a coin flip with a bias.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import shapely
from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry
from shapely.ops import nearest_points

from truceline.agreement.geography import Geography
from truceline.fusion.base import Frame, Fuser
from truceline.fusion.locate import Fix


def project(geom: BaseGeometry, frame: Frame) -> BaseGeometry:
    """A shapely geometry in the frame's metres."""

    def fwd(coords: Any) -> Any:
        x, y = frame.to_xy(coords[:, 0], coords[:, 1])
        return np.column_stack((x, y))

    return shapely.transform(geom, fwd)


def normal_cdf(z: float) -> float:
    return 0.5 * (1.0 + math.erf(z / math.sqrt(2.0)))


class Attributor(Fuser):
    def __init__(self, geography: Geography, frame: Frame) -> None:
        super().__init__(frame)
        self.line = project(shape(geography.contact_line), frame)
        self.territories = [(t.party, project(t.shape, frame)) for t in geography.territories]
        for _, geom in self.territories:
            shapely.prepare(geom)
        shapely.prepare(self.line)

    def party_at(self, x: float, y: float) -> str | None:
        """The party whose territory holds (x, y); the first listed wins on overlaps."""
        for party, geom in self.territories:
            if shapely.contains_xy(geom, x, y):
                return party
        return None

    def distance_to_line(self, x: float, y: float) -> float:
        return float(self.line.distance(Point(x, y)))

    def attribute(self, origin: Fix) -> tuple[str | None, float]:
        party = self.party_at(origin.x, origin.y)
        if party is None:
            return None, 0.0
        p = Point(origin.x, origin.y)
        nearest = nearest_points(self.line, p)[0]
        dx, dy = origin.x - nearest.x, origin.y - nearest.y
        d = math.hypot(dx, dy)
        if d == 0.0:
            return party, 0.5
        sigma = max(origin.sigma_towards(dx / d, dy / d), 1.0)
        return party, round(normal_cdf(d / sigma), 6)
