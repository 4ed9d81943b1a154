"""Fuzzing the agreement loader: the example agreement with a hostile value at any field,
or hostile YAML text spliced in (aliases, deep nesting, tags, stray bytes). The loader
returns an Agreement or raises AgreementError listing field errors; nothing else."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from hypothesis import given
from hypothesis import strategies as st

from truceline.agreement.load import AgreementError, load_agreement_text
from truceline.agreement.model import Agreement

from .conftest import FUZZ
from .pools import BOWTIE, deep, depths, hostile

REPO = Path(__file__).resolve().parents[2]
TEXT = (REPO / "examples/agreement.yaml").read_text()
DOC = yaml.safe_load(TEXT)


def _paths(doc: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [path] if path else []
    if isinstance(doc, dict):
        for k, v in doc.items():
            out += _paths(v, (*path, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            out += _paths(v, (*path, i))
    return out


PATHS = _paths(DOC)


def _load(text: str) -> Agreement | None:
    try:
        return load_agreement_text(text, "fuzz")
    except AgreementError as exc:
        assert exc.errors and all(str(e) for e in exc.errors)
        return None


@FUZZ
@given(
    st.sampled_from(PATHS),
    st.one_of(
        hostile,
        st.sampled_from([{"type": "Polygon", "coordinates": BOWTIE}, {"type": "Point"}, []]),
    ),
)
def test_hostile_field_values(path: tuple[Any, ...], value: Any) -> None:
    doc = json.loads(json.dumps(DOC))
    here = doc
    for part in path[:-1]:
        here = here[part]
    here[path[-1]] = value
    try:
        text = yaml.safe_dump(doc)
    except (yaml.YAMLError, ValueError, OverflowError):
        return
    _load(text)


SPLICES = [
    "&a [1, 2]",
    "*a",
    "*nowhere",
    "!!python/object/apply:os.system ['true']",
    "!!binary AAAA",
    "{a: &x [*x]}",
    "\x00",
    "\ufeff",
    "? [a, b]\n: c",
    "2026-03-01T00:00:00Z",
    "2026-03-01",
    "1e308",
    ".inf",
    ".nan",
    "0x1F",
    "true",
    "~",
]


@FUZZ
@given(st.integers(0, len(TEXT)), st.one_of(st.sampled_from(SPLICES), depths.map(deep)))
def test_hostile_text(at: int, splice: str) -> None:
    _load(TEXT[:at] + splice + TEXT[at:])
