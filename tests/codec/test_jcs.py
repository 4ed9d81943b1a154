"""RFC 8785 against every file of the cyberphone vectors, and both encoder paths agreeing."""

from __future__ import annotations

import json
import math
import struct
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from truceline.codec.errors import CanonicalizationError
from truceline.codec.jcs import canonicalize, is_canonical, loads, reference_canonicalize


def _jcs(vectors: Path) -> Path:
    return vectors / "jcs"


def test_every_input_file_gives_its_output(vectors: Path) -> None:
    inputs = sorted((_jcs(vectors) / "input").glob("*.json"))
    assert len(inputs) == 6
    for f in inputs:
        want = (_jcs(vectors) / "output" / f.name).read_bytes()
        got = canonicalize(json.loads(f.read_text(encoding="utf-8")))
        assert got == want, f.name
        hexed = bytes.fromhex((_jcs(vectors) / "outhex" / f.with_suffix(".txt").name).read_text())
        assert got == hexed, f.name
        assert is_canonical(want)


def _number_lines(vectors: Path) -> list[tuple[str, str]]:
    lines = []
    for f in sorted((_jcs(vectors) / "numbers").glob("*.txt")):
        for line in f.read_text().splitlines():
            bits, expected = line.split(",")
            lines.append((bits, expected))
    return lines


def test_es6_number_files(vectors: Path) -> None:
    lines = _number_lines(vectors)
    assert len(lines) == 3000
    for bits, expected in lines:
        value = struct.unpack(">d", bytes.fromhex(bits.rjust(16, "0")))[0]
        assert canonicalize(value).decode() == expected, bits
        assert canonicalize([value]).decode() == f"[{expected}]", bits


@pytest.mark.parametrize(
    ("value", "field"),
    [
        (math.nan, "$"),
        ({"a": [1, math.inf]}, "a[1]"),
        ({"a": {"b": -math.inf}}, "a.b"),
        ({"x": 2**53}, "x"),
        ({1: "int key"}, "$"),
        ({"when": object()}, "when"),
        ({"b": b"bytes"}, "b"),
    ],
)
def test_rejects_non_json_with_the_field(value: object, field: str) -> None:
    with pytest.raises(CanonicalizationError) as err:
        canonicalize(value)
    assert err.value.field == field
    assert err.value.code == "not_canonicalizable"


def test_lone_surrogate_is_rejected() -> None:
    with pytest.raises(CanonicalizationError):
        canonicalize({"a": "\ud800"})


def test_not_canonical_inputs() -> None:
    assert not is_canonical(b'{"b":1,"a":2}')
    assert not is_canonical(b'{"a": 1}')
    assert not is_canonical(b'{"a":1.0}')
    assert not is_canonical(b'{"a":1,"a":1}')
    assert not is_canonical(b"not json")
    assert not is_canonical(b'{"a":NaN}')
    assert not is_canonical(b"9007199254740993")  # an ES6 reader sees 9007199254740992
    assert is_canonical(b"9007199254740992")
    assert not is_canonical(b'{"a":5.0}') and is_canonical(b'{"a":5}')
    assert not is_canonical(b'{"a":1e-05}') and is_canonical(b'{"a":0.00001}')
    assert not is_canonical(b'{"a":1e+16}') and is_canonical(b'{"a":10000000000000000}')
    assert is_canonical(b'{"a":1e+21}') and is_canonical(b'{"s":"x.0]"}')
    assert is_canonical(b'{"a":1,"b":[true,null,"\\u000f"]}')


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=8), children, max_size=5)
    ),
    max_leaves=25,
)


@given(json_values)
def test_fast_path_equals_reference(value: object) -> None:
    try:
        want = reference_canonicalize(value)
    except CanonicalizationError:
        with pytest.raises(CanonicalizationError):
            canonicalize(value)
        return
    got = canonicalize(value)
    assert got == want
    assert canonicalize(loads(got)) == got


@given(json_values)
def test_is_canonical_agrees_with_canonicalize(value: object) -> None:
    try:
        canonical = reference_canonicalize(value)
    except CanonicalizationError:
        return
    assert is_canonical(canonical)
    pretty = json.dumps(value, ensure_ascii=False, allow_nan=False).encode()
    assert is_canonical(pretty) == (pretty == canonical)
    python_style = json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode()
    assert is_canonical(python_style) == (python_style == canonical)
