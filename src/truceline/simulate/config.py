"""Scenario parameters: one pydantic model, presets in YAML, overrides merged on top.

A scenario file names a `base` (a preset or another file) and overrides any
field; dicts merge key by key, lists and scalars replace. Every field has a
default taken from a public source or a stated assumption (docs/simulator.md).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from truceline.errors import TrucelineError
from truceline.observation import UtcTime, WeaponClass

PRESETS_DIR = Path(__file__).parent / "presets"
Mode = Literal["compliant", "probing", "duel", "escalation"]
MODES: tuple[Mode, ...] = ("compliant", "probing", "duel", "escalation")
FIRE_CLASSES = (
    WeaponClass.small_arms,
    WeaponClass.mortar,
    WeaponClass.tank,
    WeaponClass.artillery,
    WeaponClass.mlrs,
    WeaponClass.missile,
)


class ScenarioError(TrucelineError, ValueError):
    """A scenario that cannot be loaded; the message names the field and the reason."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class WorldConfig(_Model):
    front_km: float = Field(default=1000, ge=20, le=3000, description="contact line length")
    centre: tuple[float, float] = Field(default=(35.3, 48.2), description="lon, lat of the middle")
    azimuth_deg: float = Field(default=52, ge=0, lt=360, description="direction the line runs")
    amplitude_km: float = Field(default=30, ge=0, le=200, description="lateral wiggle (1 sigma)")
    roughness: float = Field(default=0.45, gt=0, lt=0.5, description="fractal decay per octave")
    depth_km: float = Field(default=150, ge=20, le=600, description="territory depth each side")
    vertex_km: float | None = Field(
        default=None,
        ge=0.5,
        le=50,
        description="vertex spacing of the line; default 4 km, wider past 1,000 km so the "
        "agreement still fits in one ledger entry",
    )

    @property
    def vertex_spacing_km(self) -> float:
        return self.vertex_km if self.vertex_km is not None else max(4.0, self.front_km / 250)

    buffer_km: float = Field(default=2, gt=0, le=30, description="buffer zone half-width")
    disengagement_areas: int = Field(default=3, ge=0, le=20)
    disengagement_km: float = Field(default=4, gt=0, le=30, description="side of each area")
    corridors: int = Field(default=2, ge=0, le=20)
    corridor_km: float = Field(default=60, gt=1, le=300)
    corridor_depth_km: tuple[float, float] = Field(
        default=(5, 5),
        description="range of each corridor's start behind the line (0: from the line itself)",
    )
    corridor_width_m: float = Field(default=2000, gt=0)
    corridor_hours: tuple[float, float] = Field(default=(8, 18), description="local window")
    withdrawal_zones: int = Field(
        default=0, ge=0, le=20, description="withdrawal areas (polygons) astride the line"
    )
    withdrawal_zone_km: tuple[float, float] = Field(
        default=(60, 30), description="each area's length along the line and depth each side"
    )
    withdrawal_zone_classes: list[WeaponClass] = Field(
        default_factory=lambda: [WeaponClass.tank, WeaponClass.artillery],
        description="the classes a withdrawal area bars anywhere inside it",
    )
    holding_sites_per_party: int = Field(
        default=0, ge=0, le=20, description="declared holding sites of withdrawn weapons"
    )
    holding_site_km: tuple[float, float] = Field(
        default=(40, 70), description="depth behind the line of the holding sites"
    )
    holding_site_weapons: dict[WeaponClass, int] = Field(
        default_factory=lambda: {WeaponClass.tank: 10, WeaponClass.artillery: 12},
        description="what each holding site is declared to hold",
    )
    hospitals: int = Field(default=6, ge=0, le=100)
    nuclear_plants: int = Field(default=1, ge=0, le=5)
    utc_offset_h: float = Field(default=3, ge=-12, le=14, description="local civil time")
    withdrawal_km: dict[WeaponClass, float] = Field(
        # Minsk II para 2 (50/70/140 km wide zones, so half each side) and the
        # 2015 addendum (tanks, artillery < 100 mm and mortars: 15 km).
        default={
            WeaponClass.mortar: 15.0,
            WeaponClass.tank: 15.0,
            WeaponClass.artillery: 25.0,
            WeaponClass.mlrs: 35.0,
            WeaponClass.missile: 70.0,
        }
    )

    @model_validator(mode="after")
    def _sane(self) -> WorldConfig:
        lon, lat = self.centre
        if not (-170 <= lon <= 170 and -70 <= lat <= 70):
            raise ValueError("centre must be lon in [-170, 170], lat in [-70, 70]")
        if self.corridor_hours[0] >= self.corridor_hours[1]:
            raise ValueError("corridor_hours must be (open, close) with open < close")
        return self


class Party(_Model):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")
    name: str


class Phase(_Model):
    days: float = Field(gt=0)
    mode: Mode
    intensity: float = Field(default=1.0, ge=0, le=1000)
    aggressor: str | None = Field(default=None, description="party firing most; none = even")


def _per_mode(**values: float) -> dict[Mode, float]:
    return {mode: float(values.get(mode, 0.0)) for mode in MODES}


def _weapon_mix() -> dict[Mode, dict[WeaponClass, float]]:
    W = WeaponClass
    return {
        "compliant": {W.small_arms: 0.7, W.mortar: 0.3},
        "probing": {W.small_arms: 0.5, W.mortar: 0.35, W.tank: 0.15},
        "duel": {W.small_arms: 0.3, W.mortar: 0.35, W.tank: 0.05, W.artillery: 0.27, W.mlrs: 0.03},
        "escalation": {
            W.small_arms: 0.15,
            W.mortar: 0.3,
            W.tank: 0.05,
            W.artillery: 0.35,
            W.mlrs: 0.13,
            W.missile: 0.02,
        },
    }


class ScriptedPenalty(_Model):
    """A penalty against a party, on the simulator's clock (it does not run enforcement)."""

    party: str
    pending_from_day: float | None = Field(default=None, ge=0, description="case opened")
    in_force_from_day: float = Field(ge=0)
    lapses_day: float | None = Field(default=None, ge=0)


class Retaliation(_Model):
    per_breach: float = Field(
        default=0.5, ge=0, description="hazard x (1 + this x recent breaches by the other side)"
    )
    decay_h: float = Field(default=12, gt=0, description="e-folding time of a breach's effect")
    radius_km: float = Field(default=15, gt=0, description="breaches this near the corridor")


class DeterrenceConfig(_Model):
    """Breach propensity that answers to detection, penalties, retaliation and the hour."""

    corridor_attacks_per_open_day: float = Field(
        default=0.5, ge=0, description="per corridor: unwatched, unpenalised, no retaliation"
    )
    detection_beta: float = Field(
        default=2.0, ge=0, description="corridor hazard x exp(-beta x detection probability)"
    )
    elsewhere_beta: float = Field(
        default=1.0, ge=0, description="same for ordinary engagements, by where they are fired"
    )
    pending_factor: float = Field(default=0.7, ge=0, le=1, description="while a case is pending")
    in_force_factor: float = Field(default=0.35, ge=0, le=1, description="while it is in force")
    diurnal_amplitude: float = Field(default=0.5, ge=0, lt=1)
    peak_hour_local: float = Field(default=12, ge=0, lt=24)
    retaliation: Retaliation = Field(default_factory=Retaliation)
    reach_km: float | None = Field(
        default=None,
        gt=0,
        description="corridor hazard x mean over its path of exp(-distance from the line / "
        "this): artillery reaches the near end of a road, rarely the far one (off: none)",
    )
    penalties: list[ScriptedPenalty] = Field(default_factory=list)
    watched_corridors: list[int] = Field(
        default_factory=list, description="1-based corridors the mission watches closely"
    )
    watch_sensors: int = Field(
        default=4, ge=0, le=50, description="mission acoustic arrays along a watched corridor"
    )


class BehaviourConfig(_Model):
    phases: list[Phase] = Field(
        default_factory=lambda: [Phase(days=1, mode="duel")],
        min_length=1,
        description="run in order; the last repeats until the scenario ends",
    )
    # OSCE SMM: 100-300 violations a day on ~420 km in 2021, 1,000-2,000 in Feb 2022
    # (osce-smm-headline-extract); an engagement is a burst of rounds.
    engagements_per_100km_day: dict[Mode, float] = Field(
        default_factory=lambda: _per_mode(compliant=1.5, probing=6, duel=14, escalation=45)
    )
    weapon_mix: dict[Mode, dict[WeaponClass, float]] = Field(default_factory=_weapon_mix)
    rounds_per_engagement: dict[WeaponClass, float] = Field(
        default_factory=lambda: {
            WeaponClass.small_arms: 3.0,
            WeaponClass.mortar: 6.0,
            WeaponClass.tank: 3.0,
            WeaponClass.artillery: 8.0,
            WeaponClass.mlrs: 16.0,
            WeaponClass.missile: 1.0,
        }
    )
    heavy_moves_per_100km_day: dict[Mode, float] = Field(
        default_factory=lambda: _per_mode(compliant=0.5, probing=3, duel=3, escalation=8)
    )
    forward_share: dict[Mode, float] = Field(
        default_factory=lambda: _per_mode(compliant=0.05, probing=0.5, duel=0.4, escalation=0.8),
        description="share of heavy-weapon moves that end inside the withdrawal distance",
    )
    buffer_entries_per_100km_day: dict[Mode, float] = Field(
        default_factory=lambda: _per_mode(compliant=0.1, probing=2, duel=0.5, escalation=1)
    )
    removals_per_site_day: dict[Mode, float] = Field(
        default_factory=lambda: _per_mode(),
        description="weapons taken out of a holding site (each missing for hours to days)",
    )
    access_denials_per_100km_day: dict[Mode, float] = Field(
        default_factory=lambda: _per_mode(),
        description="monitors turned back at a checkpoint",
    )
    hotspots: int = Field(default=12, ge=1, le=500, description="places where fire clusters")
    hotspot_share: float = Field(default=0.7, ge=0, le=1)
    corridor_attacks_per_day: float = Field(default=0, ge=0)
    site_attacks_per_day: float = Field(default=0, ge=0)
    false_flags_per_day: float = Field(default=0, ge=0, description="a party shells its own side")
    deterrence: DeterrenceConfig | None = Field(
        default=None, description="replaces corridor_attacks_per_day by a responsive hazard"
    )


class RadarConfig(_Model):
    per_100km: dict[str, float] = Field(
        default_factory=lambda: {"party": 1.0, "mission": 0.5},
        description="radars per 100 km of front, per operator kind (each party gets its own)",
    )
    sector_deg: float = Field(default=90, gt=0, le=360)  # AN/TPQ-36 sector
    range_km: dict[WeaponClass, float] = Field(
        # AN/TPQ-36-class figures (domain.md): mortars 18, artillery 14.5, rockets 24.
        default_factory=lambda: {
            WeaponClass.mortar: 18.0,
            WeaponClass.artillery: 14.5,
            WeaponClass.mlrs: 24.0,
            WeaponClass.missile: 40.0,
        }
    )
    p_detect: float = Field(default=0.85, ge=0, le=1)
    cep_fraction: float = Field(default=0.004, ge=0, le=0.1, description="origin CEP / range")
    cep_min_m: float = Field(default=10, ge=0)
    impact_cep_fraction: float = Field(default=0.006, ge=0, le=0.1)
    p_class_correct: float = Field(default=0.9, ge=0, le=1)
    false_per_day: float = Field(default=1.0, ge=0, description="clutter tracks per radar-day")


class SatelliteConfig(_Model):
    # VIIRS on S-NPP and NOAA-20: 13:30 / 01:30 local overpasses, ~50 min apart.
    satellites: dict[str, float] = Field(
        default_factory=lambda: {"snpp": 0.0, "noaa20": -50.0},
        description="satellite name -> minutes relative to the 13:30/01:30 local overpass",
    )
    pixel_m: float = Field(default=375, gt=0)
    cloud_mean: float = Field(default=0.45, ge=0, lt=1, description="mean cloud fraction")
    p_detect_clear: float = Field(default=0.9, ge=0, le=1)
    fire_after_impact: dict[WeaponClass, float] = Field(
        default_factory=lambda: {
            WeaponClass.mortar: 0.01,
            WeaponClass.artillery: 0.04,
            WeaponClass.mlrs: 0.08,
            WeaponClass.missile: 0.5,
        },
        description="probability that an impact starts a fire visible from orbit",
    )
    fire_hours_median: float = Field(default=4, gt=0)
    # NASA FIRMS 2021 detections in Ukraine (gianman89 ukr_fire_data_2021.csv) per month,
    # per 10,000 km2 per day: count / days / 60.4 (Ukraine is 603,628 km2).
    baseline_per_10k_km2_day: list[float] = Field(
        default_factory=lambda: [
            0.12,
            0.21,
            2.52,
            3.40,
            1.46,
            1.45,
            4.03,
            8.63,
            3.26,
            4.71,
            1.21,
            0.08,
        ],
        min_length=12,
        max_length=12,
    )
    forest_share: float = Field(default=0.1, ge=0, le=1)


class AcousticConfig(_Model):
    per_100km: float = Field(default=2, ge=0)
    reach_km: dict[WeaponClass, float] = Field(
        default_factory=lambda: {
            WeaponClass.small_arms: 2.0,
            WeaponClass.mortar: 8.0,
            WeaponClass.tank: 10.0,
            WeaponClass.artillery: 15.0,
            WeaponClass.mlrs: 20.0,
            WeaponClass.missile: 25.0,
        }
    )
    p_detect: float = Field(default=0.8, ge=0, le=1)
    sigma_m: float = Field(default=30, ge=0, description="error floor (clock sync, array geometry)")
    sigma_fraction: float = Field(default=0.01, ge=0, le=0.5, description="error growth with range")
    weather_sd: float = Field(default=0.3, ge=0, description="log-sd of the daily wind factor")
    false_per_day: float = Field(default=0.5, ge=0)


class SeismicConfig(_Model):
    per_1000km: float = Field(default=3, ge=0)
    reach_km: dict[WeaponClass, float] = Field(
        default_factory=lambda: {
            WeaponClass.artillery: 25.0,
            WeaponClass.mlrs: 60.0,
            WeaponClass.missile: 200.0,
        }
    )
    p_detect: float = Field(default=0.6, ge=0, le=1)
    sigma_m: float = Field(default=3000, ge=0)
    time_sigma_s: float = Field(default=2, ge=0)


class CameraConfig(_Model):
    per_100km: float = Field(default=3, ge=0)
    reach_night_km: float = Field(default=10, gt=0)
    reach_day_km: float = Field(default=5, gt=0)
    p_detect: float = Field(default=0.6, ge=0, le=1)
    bearing_sd_deg: float = Field(default=2, ge=0)


class UavConfig(_Model):
    per_100km: float = Field(default=0.5, ge=0)
    sorties_per_day: float = Field(default=1.5, ge=0)
    sortie_hours: float = Field(default=5, gt=0)
    speed_kmh: float = Field(default=100, gt=0)
    look_km: float = Field(default=3, gt=0, description="radius seen from the aircraft")
    p_detect: float = Field(default=0.8, ge=0, le=1)
    sigma_m: float = Field(default=25, ge=0)


class PatrolConfig(_Model):
    per_100km: float = Field(default=2, ge=0)
    stops: int = Field(default=4, ge=1, le=20)
    stop_hours: float = Field(default=1.2, gt=0)
    hear_km: dict[WeaponClass, float] = Field(
        default_factory=lambda: {
            WeaponClass.small_arms: 2.0,
            WeaponClass.mortar: 6.0,
            WeaponClass.tank: 6.0,
            WeaponClass.artillery: 12.0,
            WeaponClass.mlrs: 15.0,
            WeaponClass.missile: 20.0,
        }
    )
    see_km: float = Field(default=2, gt=0)
    p_hear: float = Field(default=0.7, ge=0, le=1)


class ImagerySatellite(_Model):
    mode: Literal["optical", "sar"]
    operator: str = Field(description="who tasks it and signs its detections")
    hours: list[float] = Field(
        default_factory=lambda: [10.5], min_length=1, description="local solar hours of its passes"
    )
    swath_share: float = Field(
        default=0.3, gt=0, le=1, description="share of the front a pass images"
    )
    p_detect: float = Field(default=0.8, ge=0, le=1, description="a heavy weapon in the swath")
    p_troops: float = Field(default=0.4, ge=0, le=1, description="a group of troops in the swath")
    p_class: float = Field(default=0.8, ge=0, le=1, description="the weapon class named right")
    sigma_m: float = Field(default=10, ge=0)


class ImageryConfig(_Model):
    """Imaging satellites (`sensors/imagery.py`); none unless a scenario lists them."""

    satellites: dict[str, ImagerySatellite] = Field(default_factory=dict)
    cloud_mean: float = Field(default=0.45, gt=0, lt=1, description="mean cloud fraction")


class InspectionConfig(_Model):
    """Mission inspection teams (`sensors/inspection.py`): one per party while it has
    holding sites or turns monitors back."""

    every_h: float = Field(default=24, gt=0, description="each holding site inspected so often")
    p_uav_followup: float = Field(
        default=0.5, ge=0, le=1, description="a UAV sent over a checkpoint that turned a team back"
    )
    uav_delay_h: tuple[float, float] = Field(default=(0.5, 3), description="when it gets there")


class ReportConfig(_Model):
    osint_share: float = Field(
        default=0.03, ge=0, le=1, description="impacts a public feed reports"
    )
    osint_error_km: float = Field(default=3, ge=0)
    osint_time_error_min: float = Field(default=30, ge=0)
    osint_false_share: float = Field(default=0.25, ge=0, lt=1)
    party_share: float = Field(
        default=0.15, ge=0, le=1, description="impacts on its own side a party reports"
    )
    party_error_km: float = Field(default=1, ge=0)


class SensorsConfig(_Model):
    availability: dict[str, float] = Field(
        default_factory=lambda: {"radar": 0.95, "acoustic": 0.97, "seismic": 0.99, "camera": 0.9},
        description="share of time each fixed sensor of a family is up (power, maintenance, jamming)",
    )
    outage_hours: float = Field(default=4, gt=0, description="mean length of one outage")
    radar: RadarConfig = Field(default_factory=RadarConfig)
    satellite: SatelliteConfig = Field(default_factory=SatelliteConfig)
    acoustic: AcousticConfig = Field(default_factory=AcousticConfig)
    seismic: SeismicConfig = Field(default_factory=SeismicConfig)
    camera: CameraConfig = Field(default_factory=CameraConfig)
    uav: UavConfig = Field(default_factory=UavConfig)
    patrol: PatrolConfig = Field(default_factory=PatrolConfig)
    report: ReportConfig = Field(default_factory=ReportConfig)
    imagery: ImageryConfig = Field(default_factory=ImageryConfig)
    inspection: InspectionConfig = Field(default_factory=InspectionConfig)


class Malfunction(_Model):
    family: Literal["radar", "acoustic", "camera", "seismic"] = "acoustic"
    noise_factor: float = Field(default=8, ge=1)
    stuck_share: float = Field(default=0.2, ge=0, le=1, description="share of time stuck")
    drift_s_per_day: float = Field(default=45, description="clock drift")


class Liar(_Model):
    operator: str = Field(description="the party that makes its sensor lie")
    family: Literal["radar", "report"] = "radar"
    shift: Literal["mirror", "none"] = Field(
        default="mirror", description="mirror its own origins across the contact line"
    )
    fabricated_per_day: float = Field(default=10, ge=0)


class FaultsConfig(_Model):
    malfunction: Malfunction | None = None
    liar: Liar | None = None
    false_accusations_per_day: float = Field(
        default=0, ge=0, description="each party's press reports of shelling that did not happen"
    )


class Scenario(_Model):
    name: str = "custom"
    description: str = ""
    days: float = Field(default=2, gt=0, le=366)
    start: UtcTime = Field(default=datetime.fromisoformat("2026-06-01T00:00:00+00:00"))
    scale: float = Field(default=1.0, gt=0, le=10_000, description="multiplies every event rate")
    parties: list[Party] = Field(
        default_factory=lambda: [
            Party(id="west", name="Western Forces"),
            Party(id="east", name="Eastern Forces"),
        ],
        min_length=2,
        max_length=2,
    )
    world: WorldConfig = Field(default_factory=WorldConfig)
    behaviour: BehaviourConfig = Field(default_factory=BehaviourConfig)
    sensors: SensorsConfig = Field(default_factory=SensorsConfig)
    faults: FaultsConfig = Field(default_factory=FaultsConfig)

    @model_validator(mode="after")
    def _parties_known(self) -> Scenario:
        ids = [p.id for p in self.parties]
        if len(set(ids)) != 2:
            raise ValueError("parties: the two ids must differ")
        reserved = {"mission", "guarantor-a", "guarantor-b"}
        if reserved & set(ids):
            raise ValueError(f"parties: ids {sorted(reserved)} are reserved")
        for i, phase in enumerate(self.behaviour.phases):
            if phase.aggressor is not None and phase.aggressor not in ids:
                raise ValueError(
                    f"behaviour.phases[{i}].aggressor {phase.aggressor!r} is not a party"
                )
        det = self.behaviour.deterrence
        for i, pen in enumerate(det.penalties if det else []):
            if pen.party not in ids:
                raise ValueError(
                    f"behaviour.deterrence.penalties[{i}].party {pen.party!r} is not a party"
                )
        for c in det.watched_corridors if det else []:
            if not 1 <= c <= self.world.corridors:
                raise ValueError(f"behaviour.deterrence.watched_corridors: no corridor {c}")
        if self.faults.liar is not None and self.faults.liar.operator not in ids:
            raise ValueError(f"faults.liar.operator {self.faults.liar.operator!r} is not a party")
        return self


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def preset_names() -> list[str]:
    return sorted(p.stem for p in PRESETS_DIR.glob("*.yaml"))


def _raw(ref: str | Path, seen: tuple[str, ...] = ()) -> dict[str, Any]:
    """The merged mapping of a preset name or file, following `base` links."""
    path = Path(ref)
    if not path.suffix and (PRESETS_DIR / f"{ref}.yaml").exists():
        path = PRESETS_DIR / f"{ref}.yaml"
    if not path.is_file():
        raise ScenarioError(
            f"scenario {str(ref)!r}: no such preset ({', '.join(preset_names())}) or file"
        )
    key = str(path.resolve())
    if key in seen:
        raise ScenarioError(f"scenario {str(ref)!r}: `base` links form a cycle")
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise ScenarioError(f"scenario {path}: not YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise ScenarioError(f"scenario {path}: expected a mapping at the top level")
    base = data.pop("base", None)
    if base is None:
        return data
    if not isinstance(base, str):
        raise ScenarioError(f"scenario {path}: base: expected a preset name or a file path")
    base_ref: str | Path = base
    if not (PRESETS_DIR / f"{base}.yaml").exists():
        base_ref = path.parent / base
    return _merge(_raw(base_ref, (*seen, key)), data)


def validate(data: dict[str, Any], source: str = "scenario") -> Scenario:
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err["loc"]) or "(top level)"
            lines.append(f"  {where}: {err['msg']}")
        raise ScenarioError(f"{source}: invalid scenario\n" + "\n".join(lines)) from exc


def load(ref: str | Path, **overrides: Any) -> Scenario:
    """A preset name or a YAML file, with keyword overrides (e.g. days=3) on top."""
    data = _merge(_raw(ref), {k: v for k, v in overrides.items() if v is not None})
    return validate(data, str(ref))
