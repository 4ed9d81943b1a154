"""GeoJSON (RFC 7946) export of incidents: the latest transition of each, as a Feature."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from truceline.adjudication.verdict import IncidentTransition


def feature(t: IncidentTransition) -> dict[str, Any]:
    props = t.model_dump(mode="json", exclude={"location", "origin"})
    geometry: dict[str, Any] = {"type": "Point", "coordinates": list(t.location)}
    if t.origin is not None:
        # Origin and impact together: the line of fire, as a GeometryCollection.
        geometry = {
            "type": "GeometryCollection",
            "geometries": [geometry, {"type": "Point", "coordinates": list(t.origin)}],
        }
        props["origin"] = list(t.origin)
    return {"type": "Feature", "id": t.incident, "geometry": geometry, "properties": props}


def collection(latest: Iterable[IncidentTransition]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": [feature(t) for t in latest]}
