"""The agreement's map: contact line, territories, zones, corridors, protected sites.

Geometry follows RFC 7946 (GeoJSON, section 3.1.1): positions are WGS84
longitude, latitude, and an edge between two positions is a straight line in
longitude/latitude. A projection maps that line to a curve, so projecting only
the vertices turns a long edge into the chord between its ends: on a
1,000 km edge the chord lies kilometres off the true edge. Every consumer that
projects agreement geometry therefore densifies it in lon/lat first
(`densified`), which bounds the error to centimetres.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from functools import cached_property
from typing import Any

import shapely
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity

from truceline.observation import Count, Real, UtcTime, WeaponClass

GeoJSON = dict[str, Any]

# Longest edge, in degrees, left in a geometry before it is projected: about 1.1 km of
# latitude. Measured in an azimuthal equidistant frame, the projected densified edge
# stays within 2 cm of the true one up to 1,000 km from the centre; undensified, a
# 1,000 km edge along 49 N was 20.6 km off, and the example agreement's 3-degree
# northern edge 1.07 km.
MAX_EDGE_DEG = 0.01


def densified(geom: BaseGeometry, max_edge_deg: float = MAX_EDGE_DEG) -> BaseGeometry:
    """`geom` with vertices inserted along each edge longer than `max_edge_deg` (lon/lat).

    Insertion is linear in lon/lat, i.e. on the RFC 7946 edge itself, so the geometry
    is unchanged as a lon/lat set; projected, it follows the true edges."""
    return shapely.segmentize(geom, max_edge_deg)


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
        # A self-intersecting ring or a hole outside its shell has no well-defined inside:
        # point-in-polygon answers on it depend on the library.
        why = explain_validity(geom)  # "Self-intersection[35.35 47.55]"
        raise ValueError(f"invalid {geom.geom_type}: {why.replace('[', ' at [', 1)} (lon lat)")
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
    weapon_classes: list[WeaponClass] = Field(
        default_factory=list,
        description="withdrawal zones: the weapon classes barred inside; empty = every class",
    )


# A repeated window may stand for at most this many occurrences: a corridor open daily
# for 50 years, and a bound on what expanding it (the forecast does) can cost.
MAX_OCCURRENCES = 20_000


class Repeat(BaseModel):
    """The window recurs every `every_hours` until `until`: a corridor open daily from
    06:00 to 18:00 for a year is one window, not 365 (an agreement version is one ledger
    entry, at most 64 KiB)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    every_hours: Count = Field(ge=1, le=24 * 366, description="period, whole hours")
    until: UtcTime = Field(description="no occurrence starts at or after this time")


class TimeWindow(BaseModel):
    """[start, end), and, with `repeat`, the same span shifted by each whole period that
    starts before `repeat.until`."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    start: UtcTime
    end: UtcTime
    repeat: Repeat | None = None

    @model_validator(mode="after")
    def _bounded(self) -> TimeWindow:
        # Only a repeated window is checked here: a plain one that ends before it starts
        # contains nothing, and the published JSON Schema (which cannot compare two
        # fields) accepts exactly what the model accepts for the windows it can express.
        if self.repeat is not None:
            period = timedelta(hours=self.repeat.every_hours)
            if self.end - self.start > period:
                raise ValueError(
                    "repeat.every_hours: occurrences would overlap (the window is longer "
                    "than its period)"
                )
            if self.repeat.until < self.start:
                raise ValueError(f"repeat.until ({self.repeat.until}) is before start")
            if (self.repeat.until - self.start) / period > MAX_OCCURRENCES:
                raise ValueError(f"repeat: more than {MAX_OCCURRENCES} occurrences")
        return self

    def contains(self, t: Any) -> bool:
        if self.repeat is None:
            return bool(self.start <= t < self.end)
        if not self.start <= t < self.repeat.until + (self.end - self.start):
            return False
        period = timedelta(hours=self.repeat.every_hours)
        k = (t - self.start) // period
        begin = self.start + k * period
        return bool(begin < self.repeat.until and t < begin + (self.end - self.start))

    def occurrences(self) -> list[tuple[datetime, datetime]]:
        """Every [start, end) the window stands for, in order."""
        if self.repeat is None:
            return [(self.start, self.end)]
        period, span = timedelta(hours=self.repeat.every_hours), self.end - self.start
        out, begin = [], self.start
        while begin < self.repeat.until:
            out.append((begin, begin + span))
            begin += period
        return out


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


class DeclaredWeapons(BaseModel):
    """So many weapons of one class a party declared stored at a holding site."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    weapon_class: WeaponClass
    count: Count = Field(ge=1, le=100_000, description="[1, 100,000]")


class HoldingSite(_Shaped):
    """A declared holding site for withdrawn heavy weapons: the party keeps `weapons`
    there, and monitors inspect it; a weapon missing from it is a breach."""

    id: str
    party: str
    name: str = ""
    radius_m: Real = Field(
        default=500, ge=0, le=10_000, allow_inf_nan=False, description="[0, 10,000] m"
    )
    weapons: list[DeclaredWeapons] = Field(default_factory=list)


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
    holding_sites: list[HoldingSite] = Field(default_factory=list)

    _check = field_validator("contact_line")(classmethod(lambda cls, v: _valid_geojson(v)))
