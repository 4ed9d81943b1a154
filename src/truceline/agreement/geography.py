"""The agreement's map: contact line, territories, zones, corridors, protected sites."""

from __future__ import annotations

from enum import StrEnum
from functools import cached_property
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity

from truceline.observation import Real, UtcTime, WeaponClass

GeoJSON = dict[str, Any]


def _valid_geojson(value: GeoJSON) -> GeoJSON:
    try:
        geom = shape(value)
    except Exception as exc:  # shapely raises several types for bad GeoJSON
        raise ValueError(f"not a GeoJSON geometry: {exc}") from exc
    if geom.is_empty:
        raise ValueError("geometry is empty")
    minx, miny, maxx, maxy = geom.bounds
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise ValueError("coordinates must be WGS84 longitude, latitude within range")
    if not geom.is_valid:
        # e.g. a self-intersecting polygon: its area and containment are ill-defined
        raise ValueError(f"not a valid geometry: {explain_validity(geom)}")
    return value


class _Shaped(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, ignored_types=(cached_property,))
    geometry: GeoJSON

    _check = field_validator("geometry")(classmethod(lambda cls, v: _valid_geojson(v)))

    @cached_property
    def shape(self) -> BaseGeometry:
        return shape(self.geometry)


class ZoneKind(StrEnum):
    buffer = "buffer"  # no entry by armed forces
    withdrawal = "withdrawal"  # heavy weapons barred (see withdrawal distances)
    security = "security"
    named = "named"


class Zone(_Shaped):
    id: str
    kind: ZoneKind
    name: str = ""


class TimeWindow(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    start: UtcTime
    end: UtcTime

    def contains(self, t: Any) -> bool:
        return bool(self.start <= t < self.end)


class Corridor(_Shaped):
    """A humanitarian corridor: attacks on it during a window are prohibited."""

    id: str
    name: str = ""
    width_m: Real = Field(default=2000, gt=0, le=100_000, allow_inf_nan=False)
    windows: list[TimeWindow] = Field(min_length=1)


class ProtectedSite(_Shaped):
    id: str
    name: str = ""
    category: str = Field(default="other", description="nuclear_plant, hospital, school, dam, ...")
    radius_m: Real = Field(
        default=1000,
        ge=0,
        le=100_000,
        allow_inf_nan=False,
        description="protection radius around the geometry, [0, 100,000] m",
    )


class WithdrawalDistance(BaseModel):
    """Heavy weapons of this class must stay at least `distance_km` from the contact line."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    weapon_class: WeaponClass
    distance_km: Real = Field(gt=0, le=1000, allow_inf_nan=False, description="(0, 1,000] km")


class Territory(_Shaped):
    """The area a party holds; the point of origin's territory attributes fire."""

    party: str


class Geography(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    contact_line: GeoJSON = Field(description="LineString or MultiLineString, WGS84")
    territories: list[Territory] = Field(min_length=2)
    zones: list[Zone] = Field(default_factory=list)
    corridors: list[Corridor] = Field(default_factory=list)
    protected_sites: list[ProtectedSite] = Field(default_factory=list)
    withdrawal: list[WithdrawalDistance] = Field(default_factory=list)

    _check = field_validator("contact_line")(classmethod(lambda cls, v: _valid_geojson(v)))
