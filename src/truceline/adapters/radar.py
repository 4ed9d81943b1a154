"""Weapon-locating (counter-battery) radar detections -> kind projectile.

CSV, or JSON Lines for .jsonl/.ndjson. Fields:
  radar          required  the radar's id, e.g. "TPQ-50-A"
  time           required  RFC 3339 with offset: the detection time
  origin_lat, origin_lon   required  estimated point of origin
  impact_lat, impact_lon   required  estimated point of impact
  cep_m          required  circular error probable of the origin estimate (m)
  impact_cep_m   optional  of the impact estimate; defaults to cep_m
  weapon_class   optional  mortar | artillery | mlrs | ... (default unknown)
  calibre        optional  "120mm" or 120
  track_id       optional  the radar's own track number

geometry = the impact point, uncertainty_m = impact_cep_m (or cep_m, recorded as a
repair), attributes.origin = {coordinates, cep_m}, perception recorded.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from truceline.adapters.base import Adapter, Record, RowContext, RowError
from truceline.adapters.fields import calibre, enum_value, lonlat, need, number, rfc3339, text
from truceline.adapters.tabular import rows
from truceline.observation import (
    Attributes,
    Kind,
    Observation,
    Origin,
    Perception,
    Point,
    WeaponClass,
)

MAX_CEP_M = 1_000_000.0


class RadarAdapter(Adapter):
    format = "radar"

    def records(self, path: Path) -> Iterator[Record | RowError]:
        return rows(path)

    def convert(self, value: dict[str, Any], ctx: RowContext) -> Observation:
        radar = text(value, "radar")
        observed_at = rfc3339(text(value, "time") or "", "time")
        origin = lonlat(value, "origin_lat", "origin_lon")
        impact = lonlat(value, "impact_lat", "impact_lon")
        cep = need(number(value, "cep_m", low=0.0, high=MAX_CEP_M), "cep_m")
        impact_cep = number(value, "impact_cep_m", required=False, low=0.0, high=MAX_CEP_M)
        if impact_cep is None:
            impact_cep = cep
            ctx.repair("impact_cep_m: absent; the origin's cep_m used for the impact")
        raw_weapon = text(value, "weapon_class", required=False)
        weapon = (
            enum_value(WeaponClass, raw_weapon, "weapon_class")
            if raw_weapon is not None
            else WeaponClass.unknown
        )
        attrs: dict[str, Any] = {
            "perception": Perception.recorded,
            "weapon_class": weapon,
            "origin": Origin(coordinates=origin, cep_m=cep),
            "radar": radar,
            "track_id": text(value, "track_id", required=False),
        }
        raw_cal = text(value, "calibre", required=False)
        if raw_cal is not None:
            attrs["calibre_mm"] = calibre(raw_cal, "calibre")
        attrs["provenance"] = ctx.provenance()
        return Observation(
            sensor="import",
            seq=ctx.row,
            observed_at=observed_at,
            kind=Kind.projectile,
            geometry=Point(coordinates=impact),
            uncertainty_m=impact_cep,
            attributes=Attributes(**{k: v for k, v in attrs.items() if v is not None}),
        )
