"""The observation: what one registered sensor or observer team reports.

It travels as the payload of a DSSE envelope (payloadType OBSERVATION_TYPE),
encoded as RFC 8785 canonical JSON, signed by the sensor's key. Coordinates are
GeoJSON (WGS84, longitude first). Times are RFC 3339 UTC.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    field_validator,
    model_validator,
)

OBSERVATION_TYPE = "application/vnd.truceline.observation+json"
MAX_ENVELOPE_BYTES = 60_000  # one ledger entry is at most 65535 bytes (tlog-tiles bundle length)


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("must carry a timezone (RFC 3339), e.g. 2026-01-31T12:00:00Z")
    return value.astimezone(UTC)


def format_time(value: datetime) -> str:
    """RFC 3339 UTC with a Z and no more precision than the value has (canonical)."""
    value = value.astimezone(UTC)
    # Not strftime("%Y"): glibc writes year 999 as "999", which is not RFC 3339.
    text = f"{value.year:04d}-" + value.strftime("%m-%dT%H:%M:%S")
    if value.microsecond:
        text += f".{value.microsecond:06d}".rstrip("0")
    return text + "Z"


UtcTime = Annotated[datetime, AfterValidator(_utc), PlainSerializer(format_time, return_type=str)]


def _lonlat(value: tuple[float, float]) -> tuple[float, float]:
    lon, lat = value
    if not (math.isfinite(lon) and math.isfinite(lat)):
        raise ValueError("coordinates must be finite numbers (no NaN or infinity)")
    if not -180.0 <= lon <= 180.0:
        raise ValueError(f"longitude {lon} is outside [-180, 180]")
    if not -90.0 <= lat <= 90.0:
        raise ValueError(f"latitude {lat} is outside [-90, 90]")
    return value


LonLat = Annotated[tuple[float, float], AfterValidator(_lonlat)]


class Point(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    type: Literal["Point"] = "Point"
    coordinates: LonLat


class LineString(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    type: Literal["LineString"] = "LineString"
    coordinates: list[LonLat] = Field(min_length=2)


class Polygon(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    type: Literal["Polygon"] = "Polygon"
    coordinates: list[list[LonLat]] = Field(min_length=1)

    @field_validator("coordinates")
    @classmethod
    def _closed_rings(
        cls, rings: list[list[tuple[float, float]]]
    ) -> list[list[tuple[float, float]]]:
        for ring in rings:
            if len(ring) < 4 or ring[0] != ring[-1]:
                raise ValueError("each ring needs at least 4 positions and must be closed")
        return rings


Geometry = Annotated[Point | LineString | Polygon, Field(discriminator="type")]


class Kind(StrEnum):
    explosion = "explosion"  # undetermined: heard or seen, origin unknown
    impact = "impact"  # a round landing
    launch = "launch"  # outgoing fire, muzzle flash, rocket launch
    projectile = "projectile"  # in flight, e.g. a radar track with origin and impact
    small_arms = "small_arms"
    thermal_anomaly = "thermal_anomaly"  # satellite fire pixel
    heavy_weapon_sighting = "heavy_weapon_sighting"
    troop_movement = "troop_movement"
    uav_sighting = "uav_sighting"
    inspection_report = "inspection_report"  # an observer team's finding on an incident
    third_party_report = "third_party_report"


class Perception(StrEnum):
    """How the event was perceived, in OSCE SMM terms."""

    seen = "seen"
    heard = "heard"
    recorded = "recorded"  # by an instrument: radar, camera, satellite, acoustic, seismic
    reported = "reported"  # followed up on a third-party claim


class WeaponClass(StrEnum):
    small_arms = "small_arms"
    mortar = "mortar"
    artillery = "artillery"
    mlrs = "mlrs"
    tank = "tank"
    missile = "missile"
    drone = "drone"
    aircraft = "aircraft"
    unknown = "unknown"


class Origin(BaseModel):
    """A point of origin estimated by the sensor (weapon-locating radar, crater analysis)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    coordinates: LonLat
    cep_m: float = Field(ge=0, allow_inf_nan=False)


class Provenance(BaseModel):
    """For imported rows: gateway G attests that it imported row R of file F whose hash is H."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    source: str = Field(min_length=1, description="file name or feed id")
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="hash of the whole source file")
    row: int = Field(ge=0, description="row, line or message number in the source, from 0")
    format: str
    repairs: list[str] = Field(default_factory=list, description="every fix applied to the row")
    uploader: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$",
        description="the registered principal that submitted the file (an importer, or the "
        "gateway itself for the mission's own imports): its rows are that principal's evidence",
    )


class Attributes(BaseModel):
    """Kind-specific details. Unknown keys are kept, so sensors can add measurements."""

    model_config = ConfigDict(extra="allow", frozen=True)
    perception: Perception | None = None
    weapon_class: WeaponClass | None = None
    calibre_mm: float | None = Field(default=None, gt=0, allow_inf_nan=False)
    origin: Origin | None = None
    bearing_deg: float | None = Field(default=None, ge=0, lt=360, allow_inf_nan=False)
    distance_band_m: tuple[float, float] | None = None
    count: int | None = Field(default=None, ge=1)
    frp_mw: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    confidence: float | None = Field(default=None, ge=0, le=1, allow_inf_nan=False)
    media_sha256: list[str] = Field(default_factory=list)
    incident: str | None = Field(
        default=None, description="for inspection reports: the incident id"
    )
    finding: Literal["confirmed", "dismissed", "inconclusive"] | None = None
    provenance: Provenance | None = None

    @field_validator("distance_band_m")
    @classmethod
    def _band(cls, band: tuple[float, float] | None) -> tuple[float, float] | None:
        if band is not None and not (0 <= band[0] <= band[1] and math.isfinite(band[1])):
            raise ValueError("distance band must be [min, max] metres with 0 <= min <= max")
        return band


class Observation(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    sensor: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$", description="registry id")
    seq: int = Field(ge=0, description="rises strictly per sensor; a repeat is a replay")
    observed_at: UtcTime
    kind: Kind
    geometry: Geometry
    uncertainty_m: float = Field(ge=0, le=1_000_000, allow_inf_nan=False)
    attributes: Attributes = Field(default_factory=Attributes)

    @model_validator(mode="after")
    def _inspection_needs_incident(self) -> Observation:
        if self.kind is Kind.inspection_report and not (
            self.attributes.incident and self.attributes.finding
        ):
            raise ValueError("inspection_report needs attributes.incident and attributes.finding")
        return self

    @property
    def lonlat(self) -> tuple[float, float]:
        """A representative point: the geometry itself, a line's midpoint or a polygon's centroid."""
        from shapely.geometry import shape

        geom = shape(self.geometry.model_dump())
        point = geom if geom.geom_type == "Point" else geom.representative_point()
        return (point.x, point.y)

    def to_json_obj(self) -> dict[str, Any]:
        """The JSON object to canonicalize (RFC 8785) as the envelope payload."""
        return self.model_dump(mode="json", exclude_none=True, exclude_defaults=False)


def observation_json_schema() -> dict[str, Any]:
    return Observation.model_json_schema(mode="serialization")
