"""The observation: what one registered sensor or observer team reports.

It travels as the payload of a DSSE envelope (payloadType OBSERVATION_TYPE),
encoded as RFC 8785 canonical JSON, signed by the sensor's key. Coordinates are
GeoJSON (WGS84, longitude first). Times are RFC 3339 UTC.
"""

from __future__ import annotations

import math
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    Strict,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from truceline.field.deviceclock import DeviceClock, consistency_error
from truceline.field.harm import Harm
from truceline.rfc3339 import UtcTime, format_time

__all__ = ["UtcTime", "format_time"]  # re-exported: every record's time type

OBSERVATION_TYPE = "application/vnd.truceline.observation+json"
MAX_ENVELOPE_BYTES = 60_000  # one ledger entry is at most 65535 bytes (tlog-tiles bundle length)
# An observation envelope carries at most this many signatures (one sensor signs; two during
# a key rotation). More are refused before any is verified: each costs a verification.
MAX_SIGNATURES = 4
# seq: at most MAX_SEQ (well below 2^53, so no JSON reader rounds it) and at most
# MAX_SEQ_JUMP above the sensor's last accepted seq, so that one envelope cannot push a
# sensor to the top of the range and lock it out (docs/ingest.md, "seq").
MAX_SEQ = 2**48 - 1
MAX_SEQ_JUMP = 2**24
MAX_UNCERTAINTY_M = 1_000_000.0  # 1,000 km: the ceiling of every distance in metres

# Numbers as JSON has them: a boolean is never a number, a string never becomes one.
Real = Annotated[float, Strict()]
Count = Annotated[int, Strict()]


def _lonlat(value: tuple[float, float]) -> tuple[float, float]:
    lon, lat = value
    if not (math.isfinite(lon) and math.isfinite(lat)):
        raise ValueError("coordinates must be finite numbers (no NaN or infinity)")
    if not -180.0 <= lon <= 180.0:
        raise ValueError(f"longitude {lon} is outside [-180, 180]")
    if not -90.0 <= lat <= 90.0:
        raise ValueError(f"latitude {lat} is outside [-90, 90]")
    return value


LonLat = Annotated[
    tuple[Real, Real],
    AfterValidator(_lonlat),
    WithJsonSchema(
        {
            "type": "array",
            "description": "[longitude, latitude], WGS84",
            "prefixItems": [
                {"type": "number", "minimum": -180, "maximum": 180},
                {"type": "number", "minimum": -90, "maximum": 90},
            ],
            "minItems": 2,
            "maxItems": 2,
        }
    ),
]


def _type_required(schema: dict[str, Any]) -> None:
    # GeoJSON's `type` has a default for Python callers, but the geometry union is told
    # apart by it, so JSON must carry it
    schema["required"] = sorted({"type", *schema.get("required", [])})


class Point(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra=_type_required)
    type: Literal["Point"] = "Point"
    coordinates: LonLat


class LineString(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra=_type_required)
    type: Literal["LineString"] = "LineString"
    coordinates: list[LonLat] = Field(min_length=2)


class Polygon(BaseModel):
    """Closed rings of at least 4 positions forming a valid polygon (no self-intersection:
    checked in code with shapely, which JSON Schema cannot say)."""

    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra=_type_required)
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
        valid_polygon(rings)
        return rings


def valid_polygon(rings: list[list[tuple[float, float]]]) -> None:
    """ValueError with shapely's explanation when the rings are not a valid polygon
    (self-intersection, a hole outside its shell, ...): its area and centroid would mean
    different things to different readers."""
    from shapely.geometry import Polygon as ShapelyPolygon
    from shapely.validation import explain_validity

    geom = ShapelyPolygon(rings[0], rings[1:])
    if not geom.is_valid:
        raise ValueError(f"not a valid polygon: {explain_validity(geom)}")


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
    # Observer reports (appended: the fusion columns code kinds by their position here).
    demining = "demining"  # mine clearance seen or done: context, not a breach
    corridor_status = "corridor_status"  # a corridor seen open or closed: context
    site_inspection = "site_inspection"  # a holding site inspected: what was found there
    access_denied = "access_denied"  # monitors refused access at this place
    weapons_missing = "weapons_missing"  # an inspection found a holding site short (`count`)


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
    cep_m: Real = Field(ge=0, le=MAX_UNCERTAINTY_M, allow_inf_nan=False, description="metres")


class Provenance(BaseModel):
    """For imported rows: gateway G attests that it imported row R of file F whose hash is H."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    source: str = Field(min_length=1, description="file name or feed id")
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="hash of the whole source file")
    row: Count = Field(
        ge=0, le=MAX_SEQ, description="row, line or message number in the source, from 0"
    )
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
    calibre_mm: Real | None = Field(
        default=None, gt=0, le=1000, allow_inf_nan=False, description="(0, 1000] mm"
    )
    origin: Origin | None = None
    bearing_deg: Real | None = Field(
        default=None, ge=0, lt=360, allow_inf_nan=False, description="[0, 360) degrees"
    )
    distance_band_m: (
        tuple[
            Annotated[Real, Field(ge=0, le=MAX_UNCERTAINTY_M, allow_inf_nan=False)],
            Annotated[Real, Field(ge=0, le=MAX_UNCERTAINTY_M, allow_inf_nan=False)],
        ]
        | None
    ) = Field(default=None, description="[min, max] metres, 0 <= min <= max <= 1,000,000")
    count: Count | None = Field(default=None, ge=1, le=1_000_000, description="[1, 1,000,000]")
    frp_mw: Real | None = Field(
        default=None, ge=0, le=1_000_000, allow_inf_nan=False, description="[0, 10^6] MW"
    )
    confidence: Real | None = Field(default=None, ge=0, le=1, allow_inf_nan=False)
    media_sha256: list[Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]] = Field(
        default_factory=list, max_length=64
    )
    incident: str | None = Field(
        default=None, description="for inspection reports: the incident id"
    )
    finding: Literal["confirmed", "dismissed", "inconclusive"] | None = None
    provenance: Provenance | None = None
    harm: Harm | None = Field(
        default=None, description="civilian harm: casualties and damage (truceline.field.harm)"
    )
    position_accuracy_m: Real | None = Field(
        default=None,
        ge=0,
        le=MAX_UNCERTAINTY_M,
        allow_inf_nan=False,
        description="the stated accuracy of the reporter's own position (a device's GPS fix)",
    )
    clock: DeviceClock | None = Field(
        default=None,
        description="the device clock that timed the report, its measured offset from the "
        "server's and the stated accuracy of observed_at (truceline.field.deviceclock)",
    )

    @field_validator("distance_band_m")
    @classmethod
    def _band(cls, band: tuple[float, float] | None) -> tuple[float, float] | None:
        if band is not None and not band[0] <= band[1]:
            raise ValueError("distance band must be [min, max] metres with 0 <= min <= max")
        return band


class Observation(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    sensor: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$", description="registry id")
    seq: Count = Field(
        ge=0,
        le=MAX_SEQ,
        description="rises strictly per sensor, by at most 2^24 at a time; a repeat is a replay",
    )
    observed_at: UtcTime
    kind: Kind
    geometry: Geometry
    uncertainty_m: Real = Field(
        ge=0, le=MAX_UNCERTAINTY_M, allow_inf_nan=False, description="[0, 1,000,000] metres"
    )
    attributes: Attributes = Field(default_factory=Attributes)

    @field_validator("attributes")
    @classmethod
    def _clock_states_observed_at(cls, attributes: Attributes, info: ValidationInfo) -> Attributes:
        observed_at = info.data.get("observed_at")
        if attributes.clock is not None and observed_at is not None:
            why = consistency_error(observed_at, attributes.clock)
            if why is not None:
                raise ValueError(f"clock: {why}")
        return attributes

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
    """What ingest accepts (validation mode: fields with defaults may be left out), with
    the rules only code can check named in the descriptions (tests/agreement/
    test_schema_in_step.py keeps the two in step)."""
    return Observation.model_json_schema(mode="validation")
