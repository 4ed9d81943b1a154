"""The published JSON Schemas (schemas/*.schema.json) and the models accept the same values.

Hypothesis takes a valid document (an observation, a sensor list, the example agreement),
puts a boundary or hostile value (numbers at and past every range, booleans, digit
strings, RFC 3339 variants, nulls) at one of its number or time fields, reads the result
back as a reader of canonical JSON would (RFC 8785 out, `jcs.loads` in), and asks the
committed schema (jsonschema, draft 2020-12) and the model. They must agree.

Rules only code can check are named in the schema descriptions and left out here:
polygon validity and ring closure (shapely), a distance band's min <= max, the GeoJSON
geometries of the agreement and of sensor coverage (free objects in the schema), calendar
validity (Feb 30, hour 24), the floor on the UTC instant for times written with an
offset, and cross-references inside the agreement.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from truceline.agreement.model import Agreement
from truceline.codec import jcs
from truceline.observation import MAX_SEQ, Observation
from truceline.registry.model import SensorList

REPO = Path(__file__).resolve().parents[2]
KEY = "pkIrkDKFwNz1YaTYVl5iJHrHBAdRh16lW+aVQcrY5zs="  # a valid Ed25519 public key

OBSERVATION = {
    "sensor": "radar-1",
    "seq": 7,
    "observed_at": "2026-03-01T12:00:00.5Z",
    "kind": "projectile",
    "geometry": {"type": "Point", "coordinates": [35.5, 47.55]},
    "uncertainty_m": 120.5,
    "attributes": {
        "perception": "recorded",
        "calibre_mm": 152.5,
        "bearing_deg": 10.5,
        "count": 3,
        "frp_mw": 1.5,
        "confidence": 0.5,
        "origin": {"coordinates": [35.2, 47.2], "cep_m": 80.5},
        "provenance": {"source": "f.csv", "sha256": "a" * 64, "row": 4, "format": "radar"},
        "own_number": 2.5,
    },
}
SENSORS = {
    "sensors": [
        {
            "id": "radar-1",
            "kind": "weapon_locating_radar",
            "operator": "party-a",
            "public_key": KEY,
            "location": [35.2, 47.8],
            "coverage": {"range_km": 30.5, "sector_deg": [10.5, 350.5]},
            "error_model": {"base_m": 30.5, "per_km_m": 4.5, "detection_probability": 0.5},
        }
    ]
}
AGREEMENT = yaml.safe_load((REPO / "examples/agreement.yaml").read_text())
AGREEMENT["time"] = {"max_age_s": 86_400.5, "max_ahead_s": 300.5}

# Fields whose rules live in code only (see the module docstring): never mutated.
CODE_ONLY = ("geometry", "contact_line", "distance_band_m")

NUMBERS = [
    -(10**6),
    -1,
    -0.5,
    0,
    0.5,
    1,
    2,
    4,
    5,
    6,
    59,
    60,
    89.5,
    90,
    90.5,
    100,
    179.5,
    180,
    180.5,
    359.5,
    360,
    360.5,
    1000,
    1000.5,
    86_400,
    86_401,
    1_000_000,
    1_000_001,
    315_360_000,
    315_360_001,
    10**12,
    10**12 + 1,
    MAX_SEQ,
    MAX_SEQ + 1,
    2**53 - 1,
    1e21,
    1e308,
    -1e308,
    True,
    False,
    None,
    "5",
    "",
    [],
    {},
]
TIMES = [
    "2026-03-01T12:00:00Z",
    "2026-03-01t12:00:00z",
    "2026-03-01T12:00:00.123456Z",
    "2026-03-01T12:00:00.1234567Z",
    "2026-03-01T12:00:00.12345678901234567890Z",
    "2026-03-01T12:00:00-05:00",
    "2026-03-01T12:00:00",
    "2026-03-01 12:00:00Z",
    "2026-03-01",
    "2000-01-01T00:00:00Z",
    "1999-12-31T23:59:59Z",
    "1970-01-01T00:00:00Z",
    "0001-01-01T00:00:00Z",
    "9999-12-28T00:00:00-01:00",
    "1772366400",
    1772366400,
    True,
    None,
]


def _paths(doc: Any, path: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], str]]:
    """(path, 'number' | 'time') of every mutable leaf."""
    out: list[tuple[tuple[Any, ...], str]] = []
    if isinstance(doc, dict):
        for k, v in doc.items():
            if k not in CODE_ONLY:
                out += _paths(v, (*path, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            out += _paths(v, (*path, i))
    elif isinstance(doc, bool):
        pass
    elif isinstance(doc, int | float):
        out.append((path, "number"))
    elif isinstance(doc, str) and doc[:2] == "20" and "T" in doc:
        out.append((path, "time"))
    return out


def _put(doc: Any, path: tuple[Any, ...], value: Any) -> Any:
    doc = json.loads(json.dumps(doc))
    here = doc
    for part in path[:-1]:
        here = here[part]
    here[path[-1]] = value
    return doc


def _model_accepts(model: type[BaseModel], doc: Any) -> bool:
    try:
        model.model_validate(doc)
    except ValidationError:
        return False
    return True


def _case(base: dict[str, Any]) -> st.SearchStrategy[Any]:
    paths = _paths(base)
    assert len(paths) > 5

    def at(choice: tuple[tuple[Any, ...], str]) -> st.SearchStrategy[Any]:
        path, kind = choice
        values = st.sampled_from(TIMES if kind == "time" else NUMBERS)
        return values.map(lambda v: _put(base, path, v))

    return st.sampled_from(paths).flatmap(at)


SCHEMAS = [
    ("observation", Observation, OBSERVATION),
    ("sensor", SensorList, SENSORS),
    ("agreement", Agreement, AGREEMENT),
]


@pytest.mark.parametrize(("name", "model", "base"), SCHEMAS, ids=[s[0] for s in SCHEMAS])
def test_schema_and_model_agree(name: str, model: type[BaseModel], base: dict[str, Any]) -> None:
    schema = json.loads((REPO / f"schemas/{name}.schema.json").read_text())
    validator = jsonschema.Draft202012Validator(schema)
    assert validator.is_valid(base) and _model_accepts(model, base)

    @settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(_case(base))
    def agree(doc: Any) -> None:
        try:
            doc = jcs.loads(jcs.canonicalize(doc))  # as a reader of the canonical bytes gets it
        except ValueError:
            return  # no JSON form (e.g. beyond 2^53): never reaches a parser
        by_schema = validator.is_valid(doc)
        assert by_schema == _model_accepts(model, doc), (
            f"schema says {by_schema}: {[e.message for e in validator.iter_errors(doc)][:3]}"
        )

    agree()
