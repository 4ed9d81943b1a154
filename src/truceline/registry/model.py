"""The sensor registry's records: who may sign observations, with which key, from when.

A sensor (or observer team, or import gateway) is registered, has its key
rotated, or is revoked by a `SensorEvent`: a ledger entry of payload type
SENSOR_TYPE signed by the mission key. `effective_at` is event time: a
revocation can be dated back to the moment a key was compromised, and every
observation signed after it is rejected, whenever it arrives.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, field_validator, model_validator

from truceline.codec.keys import KeyFileError, key_id, public_key_from_b64
from truceline.observation import LonLat, Real, UtcTime

SENSOR_TYPE = "application/vnd.truceline.sensor+json"
Bearing = Annotated[Real, Field(ge=0, le=360, allow_inf_nan=False)]
SENSOR_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$"  # as Observation.sensor


class SensorKind(StrEnum):
    satellite_thermal = "satellite_thermal"
    satellite_optical = "satellite_optical"  # imagery: vehicles and troops on the ground
    satellite_sar = "satellite_sar"  # radar imagery, through cloud and at night
    weapon_locating_radar = "weapon_locating_radar"
    acoustic_array = "acoustic_array"
    seismic = "seismic"
    camera = "camera"
    uav = "uav"
    observer_patrol = "observer_patrol"
    third_party = "third_party"
    import_gateway = "import_gateway"
    # Principals that sign no observation (`truceline.authority` says what each may sign):
    importer = "importer"  # uploads source files for the import gateway to sign (HTTP signatures)
    adjudicator = "adjudicator"  # incident transitions
    enforcement = "enforcement"  # enforcement transitions
    publisher = "publisher"  # the record of each report the mission publishes
    signatory = "signatory"  # a signatory's own key, registered under its id (rotation, revocation)


class Status(StrEnum):
    active = "active"
    revoked = "revoked"


class Coverage(BaseModel):
    """Where the sensor can detect: a GeoJSON area, or a range (and sector) around its location."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    geometry: dict[str, Any] | None = Field(default=None, description="GeoJSON Polygon etc.")
    range_km: Real | None = Field(
        default=None, gt=0, le=20_000, allow_inf_nan=False, description="(0, 20,000] km"
    )
    sector_deg: tuple[Bearing, Bearing] | None = Field(
        default=None, description="[from, to] bearing in degrees clockwise from north, in [0, 360]"
    )

    @field_validator("geometry")
    @classmethod
    def _geojson(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is not None:
            from truceline.agreement.geography import _valid_geojson

            _valid_geojson(value)
        return value


class ErrorModel(BaseModel):
    """Location error as a CEP that grows with range: cep = base_m + per_km_m * range_km."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    base_m: Real = Field(
        default=50, ge=0, le=1_000_000, allow_inf_nan=False, description="[0, 1,000,000] m"
    )
    per_km_m: Real = Field(
        default=0, ge=0, le=100_000, allow_inf_nan=False, description="[0, 100,000] m per km"
    )
    detection_probability: Real = Field(default=0.9, gt=0, le=1, allow_inf_nan=False)

    def cep_m(self, range_km: float = 0.0) -> float:
        return self.base_m + self.per_km_m * max(range_km, 0.0)


def _check_public_key(value: str) -> str:
    try:
        public_key_from_b64(value)
    except KeyFileError as exc:
        raise ValueError(str(exc)) from exc
    return value


_Keyed = TypeVar("_Keyed", bound="Sensor | Rotate")


def _derive_keyid(model: _Keyed) -> _Keyed:
    """Fill an empty `keyid` from `public_key`, or check a given one matches it."""
    derived = key_id(public_key_from_b64(model.public_key))
    if not model.keyid:
        object.__setattr__(model, "keyid", derived)
    elif model.keyid != derived:
        raise ValueError(f"keyid: expected {derived} for this public_key, found {model.keyid!r}")
    return model


class Sensor(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str = Field(pattern=SENSOR_ID_PATTERN)
    kind: SensorKind
    operator: str = Field(
        pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$",
        description="the signatory (party, guarantor or mission) running the sensor",
    )
    public_key: str = Field(description="base64 raw Ed25519 public key")
    keyid: str = Field(default="", description="derived from public_key when left empty")
    location: LonLat | None = None
    coverage: Coverage = Field(default_factory=Coverage)
    error_model: ErrorModel = Field(default_factory=ErrorModel)
    status: Status = Status.active
    name: str = ""
    team: str | None = Field(
        default=None,
        pattern=SENSOR_ID_PATTERN,
        description="for an observer team member's key: the team it belongs to",
    )

    _key = field_validator("public_key")(classmethod(lambda cls, v: _check_public_key(v)))
    _keyid = model_validator(mode="after")(_derive_keyid)


class Register(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    action: Literal["register"] = "register"
    effective_at: UtcTime
    sensor: Sensor


class Rotate(BaseModel):
    """A new key for the sensor from `effective_at`; the old key signs nothing dated after it."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    action: Literal["rotate"] = "rotate"
    effective_at: UtcTime
    sensor_id: str = Field(pattern=SENSOR_ID_PATTERN)
    public_key: str
    keyid: str = ""
    reason: str = ""

    _key = field_validator("public_key")(classmethod(lambda cls, v: _check_public_key(v)))
    _keyid = model_validator(mode="after")(_derive_keyid)


class Revoke(BaseModel):
    """The sensor (or only one of its keys, if `keyid` is set) signs nothing dated from `effective_at`."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    action: Literal["revoke"] = "revoke"
    effective_at: UtcTime
    sensor_id: str = Field(pattern=SENSOR_ID_PATTERN)
    keyid: str | None = None
    reason: str = ""


SensorEvent = Annotated[Register | Rotate | Revoke, Field(discriminator="action")]


SENSOR_EVENT = TypeAdapter[Register | Rotate | Revoke](SensorEvent)


def event_json(event: Register | Rotate | Revoke) -> dict[str, Any]:
    return event.model_dump(mode="json", exclude_none=True)


class SensorList(BaseModel):
    """`sensors.json`: the plain file `truceline sensor add --from FILE` reads."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    sensors: list[Sensor]


def sensor_json_schema() -> dict[str, Any]:
    return SensorList.model_json_schema(mode="validation")
