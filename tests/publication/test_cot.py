"""CoT: our events against the MITRE base-event XSD, and the ATAK examples and mutations."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from enforcement._world import incident
from truceline.adjudication.verdict import IncidentTransition, State
from truceline.publication import cot
from truceline.publication.xml import XmlError, parse, validate

from ._schema import check_schema_cases


@pytest.fixture(scope="module")
def cot_dir(vectors: Path) -> Path:
    return vectors / "cot"


@pytest.fixture(scope="module")
def xsd(cot_dir: Path) -> Path:
    return cot_dir / "mitre" / "CoT Base-Event Schema (PUBLIC RELEASE).xsd"


def test_incident_event_validates_and_reads_back(xsd: Path) -> None:
    at = datetime(2026, 3, 5, 13, 0, 0, 123456, tzinfo=UTC)
    now = datetime(2026, 3, 7, 9, 30, 0, 5000, tzinfo=UTC)  # published two days later
    t = IncidentTransition.model_validate(incident("i-7", "verified", at, location=(35.25, 47.75)))
    doc = validate(cot.frame(cot.incident_event(t, now, "h-e")), xsd)
    # Read it back the way a TAK client does: attributes of event and point.
    assert doc.get("uid") == "truceline.i-7" and doc.get("how") == "h-e"
    assert doc.get("time") == "2026-03-07T09:30:00.005Z"  # generated now
    assert doc.get("start") == "2026-03-05T13:00:00.123Z"  # the event
    assert doc.get("stale") == "2026-03-08T09:30:00.005Z"  # a verified state: 24 h from now
    point = doc.find("point")
    assert (float(point.get("lat")), float(point.get("lon"))) == (47.75, 35.25)
    assert float(point.get("ce")) == 100.0
    assert doc.find("detail/truceline").get("accused") == "party-a"


@pytest.mark.parametrize("state", [s.value for s in State])
def test_no_event_is_stale_when_generated(xsd: Path, state: str) -> None:
    at = datetime(2026, 3, 5, 13, 0, tzinfo=UTC)
    now = at + timedelta(days=30)
    t = IncidentTransition.model_validate(incident("i", state, at))
    doc = validate(cot.incident_event(t, now), xsd)
    assert datetime.fromisoformat(doc.get("stale")) > now
    assert datetime.fromisoformat(doc.get("start")) == at


@pytest.mark.parametrize(
    ("sources", "how"),
    [
        ([("r1", "weapon_locating_radar"), ("a1", "acoustic_array")], "m-f"),
        ([("p1", "observer_patrol"), ("p1", "observer_patrol")], "h-e"),  # one patrol, twice
        ([("p1", "observer_patrol")], "h-e"),
        ([("x", "third_party")], "h-t"),
        ([("s", "satellite_thermal")], "m-i"),
        ([("a", "acoustic_array")], "m-v-u"),
        ([("r", "weapon_locating_radar")], "m-a"),
        ([], "m-p"),
    ],
)
def test_how_follows_the_evidence(sources: list[tuple[str, str]], how: str) -> None:
    assert cot.how_of(sources) == how


@pytest.mark.parametrize(
    ("kind", "weapon", "expected"),
    [
        ("impact", "mortar", "b-d-i-m"),
        ("launch", "artillery", "b-d-l-b"),
        ("projectile", "mlrs", "b-d-i-b"),
        ("thermal_anomaly", None, "b-d"),
    ],
)
def test_types(xsd: Path, kind: str, weapon: str | None, expected: str) -> None:
    obj = incident("i", "verified", datetime(2026, 3, 5, tzinfo=UTC)) | {"kind": kind}
    if weapon:
        obj["weapon_class"] = weapon
    t = IncidentTransition.model_validate(obj)
    now = datetime(2026, 3, 5, 1, tzinfo=UTC)
    assert validate(cot.incident_event(t, now), xsd).get("type") == expected


def test_atak_examples_and_schema_cases(cot_dir: Path, xsd: Path) -> None:
    cases = json.loads((cot_dir / "cot_cases.json").read_text())
    for ex in cases["examples"]:
        data = (cot_dir / ex["file"]).read_bytes()
        assert ex["mitre_base_schema_valid"] is True
        validate(data, xsd)
    check_schema_cases(cases["schema_cases"], xsd)


def test_hostile_cot_is_refused() -> None:
    evil = b"""<?xml version="1.0"?><!DOCTYPE e [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<event version="2.0" uid="&x;" type="a-f-G" time="2020-01-01T00:00:00Z" start="2020-01-01T00:00:00Z"
stale="2020-01-01T00:00:00Z" how="m-g"><point lat="0" lon="0" hae="0" ce="0" le="0"/></event>"""
    with pytest.raises(XmlError):
        parse(evil)
