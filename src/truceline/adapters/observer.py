"""Observer-team reports in the OSCE SMM style (CSV, or JSON Lines for .jsonl/.ndjson).

Fields (CSV header names or JSON keys):
  team          required  the patrol or post, e.g. "SMM-DON-3"
  team_lat, team_lon  required  where the team stood (WGS84)
  time          required  RFC 3339 with offset, e.g. 2021-06-21T18:05:00Z
  perception    required  seen | heard | recorded | reported
  kind          required  an observation kind: explosion, impact, launch, projectile,
                          small_arms, heavy_weapon_sighting, ...
  direction     optional  16-point compass (N, NNE, ..., NNW, or south-south-east)
  distance      optional  band from the team: "1-4 km", "500 m", "less than 1 km"
  weapon        optional  weapon class assessed: mortar, artillery, mlrs, ...
  calibre       optional  assessed calibre, "82mm" or 82
  count         optional  how many (>= 1); default 1 is not written
  uncertainty_m optional  overrides the default below
  notes         optional  free text

The observation stands at the team's position (that is what the team knows for sure)
with attributes.bearing_deg and attributes.distance_band_m; uncertainty_m is the far end
of the distance band, so the event lies inside the circle. Without a distance band,
uncertainty_m must be given.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from truceline.adapters.base import Adapter, FieldError, Record, RowContext, RowError
from truceline.adapters.fields import (
    calibre,
    compass,
    distance_band,
    enum_value,
    integer,
    lonlat,
    number,
    rfc3339,
    text,
)
from truceline.adapters.tabular import rows
from truceline.observation import Attributes, Kind, Observation, Perception, Point, WeaponClass


class ObserverAdapter(Adapter):
    format = "observer"

    def records(self, path: Path) -> Iterator[Record | RowError]:
        return rows(path)

    def convert(self, value: dict[str, Any], ctx: RowContext) -> Observation:
        team = text(value, "team")
        coords = lonlat(value, "team_lat", "team_lon")
        observed_at = rfc3339(text(value, "time") or "", "time")
        perception = enum_value(Perception, text(value, "perception") or "", "perception")
        kind = enum_value(Kind, text(value, "kind") or "", "kind")
        attrs: dict[str, Any] = {"perception": perception, "team": team}
        raw_dir = text(value, "direction", required=False)
        if raw_dir is not None:
            attrs["bearing_deg"] = compass(raw_dir, "direction")
        raw_band = text(value, "distance", required=False)
        band = distance_band(raw_band, "distance") if raw_band is not None else None
        if band is not None:
            attrs["distance_band_m"] = band
        raw_weapon = text(value, "weapon", required=False)
        if raw_weapon is not None:
            attrs["weapon_class"] = enum_value(WeaponClass, raw_weapon, "weapon")
        raw_cal = text(value, "calibre", required=False)
        if raw_cal is not None:
            attrs["calibre_mm"] = calibre(raw_cal, "calibre")
        attrs["count"] = integer(value, "count", required=False, low=1)
        attrs["notes"] = text(value, "notes", required=False)
        uncertainty = number(value, "uncertainty_m", required=False, low=0.0, high=1_000_000.0)
        if uncertainty is None:
            if band is None:
                raise FieldError(
                    "distance", "missing, and no uncertainty_m: the location is unbounded"
                )
            uncertainty = band[1]
        attrs["provenance"] = ctx.provenance()
        return Observation(
            sensor="import",
            seq=ctx.row,
            observed_at=observed_at,
            kind=kind,
            geometry=Point(coordinates=coords),
            uncertainty_m=uncertainty,
            attributes=Attributes(**{k: v for k, v in attrs.items() if v is not None}),
        )
