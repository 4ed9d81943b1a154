"""Incidents as GeoJSON or CSV: the latest logged transition of each incident."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from truceline.adjudication.verdict import IncidentTransition

CSV_FIELDS = (
    "incident",
    "state",
    "grade",
    "kind",
    "weapon_class",
    "window_start",
    "window_end",
    "lon",
    "lat",
    "uncertainty_m",
    "origin_lon",
    "origin_lat",
    "accused",
    "attribution_confidence",
    "rules",
    "evidence",
    "agreement_version",
    "reason",
)


def latest(transitions: list[IncidentTransition]) -> list[IncidentTransition]:
    last: dict[str, IncidentTransition] = {}
    for rec in transitions:
        last[rec.incident] = rec
    return list(last.values())


def _row(rec: IncidentTransition) -> dict[str, Any]:
    data = rec.model_dump(mode="json")
    return {
        "incident": rec.incident,
        "state": rec.state.value,
        "grade": rec.grade.value,
        "kind": rec.kind,
        "weapon_class": data["weapon_class"] or "",
        "window_start": data["window"][0],
        "window_end": data["window"][1],
        "lon": rec.location[0],
        "lat": rec.location[1],
        "uncertainty_m": rec.uncertainty_m,
        "origin_lon": rec.origin[0] if rec.origin else "",
        "origin_lat": rec.origin[1] if rec.origin else "",
        "accused": rec.accused or "",
        "attribution_confidence": rec.attribution_confidence,
        "rules": " ".join(rec.rules),
        "evidence": " ".join(str(i) for i in rec.evidence),
        "agreement_version": rec.agreement.version,
        "reason": rec.reason,
    }


def to_csv(transitions: list[IncidentTransition]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    for rec in latest(transitions):
        writer.writerow(_row(rec))
    return buf.getvalue()


def to_geojson(transitions: list[IncidentTransition]) -> str:
    features = []
    for rec in latest(transitions):
        props = rec.model_dump(mode="json")
        props.pop("location")
        features.append(
            {
                "type": "Feature",
                "id": rec.incident,
                "geometry": {"type": "Point", "coordinates": list(rec.location)},
                "properties": props,
            }
        )
    return json.dumps({"type": "FeatureCollection", "features": features}, indent=1)
