"""Small hand-made evidence on the example agreement (the Zaporizhzhia line)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from truceline.adjudication.verdict import AgreementRef
from truceline.agreement.load import load_agreement
from truceline.agreement.model import Agreement
from truceline.fusion.base import SensorInfo
from truceline.observation import Observation

REPO = Path(__file__).resolve().parents[2]
T0 = datetime(2026, 3, 5, 10, 0, tzinfo=UTC)

SENSORS = {
    "radar-m1": SensorInfo("weapon_locating_radar", "mission"),
    "radar-m2": SensorInfo("weapon_locating_radar", "mission"),
    "radar-a1": SensorInfo("weapon_locating_radar", "party-a"),
    "radar-b1": SensorInfo("weapon_locating_radar", "party-b"),
    "acoustic-g1": SensorInfo("acoustic_array", "guarantor-1"),
    "acoustic-g2": SensorInfo("acoustic_array", "guarantor-2"),
    "seismic-a1": SensorInfo("seismic", "party-a"),
    "seismic-b1": SensorInfo("seismic", "party-b"),
    "camera-a1": SensorInfo("camera", "party-a"),
    "patrol-m1": SensorInfo("observer_patrol", "mission"),
    "sat-g2": SensorInfo("satellite_thermal", "guarantor-2"),
}

# South of the line (party-b) firing north into party-a, away from zones and sites.
ORIGIN = (36.60, 47.55)
IMPACT = (36.62, 47.75)


def agreement() -> Agreement:
    return load_agreement(REPO / "examples" / "agreement.yaml")


def ref(agr: Agreement) -> AgreementRef:
    return AgreementRef(id=agr.id, version=agr.version, sha256="0" * 64)


def obs(
    sensor: str,
    seq: int,
    seconds: float,
    kind: str,
    where: tuple[float, float],
    unc: float = 100.0,
    **attributes: Any,
) -> Observation:
    return Observation.model_validate(
        {
            "sensor": sensor,
            "seq": seq,
            "observed_at": T0 + timedelta(seconds=seconds),
            "kind": kind,
            "geometry": {"type": "Point", "coordinates": where},
            "uncertainty_m": unc,
            "attributes": attributes,
        }
    )


def radar(
    sensor: str, seq: int, seconds: float, impact=IMPACT, origin=ORIGIN, cep=80.0
) -> Observation:
    return obs(
        sensor,
        seq,
        seconds,
        "projectile",
        impact,
        60.0,
        weapon_class="artillery",
        origin={"coordinates": origin, "cep_m": cep},
    )
