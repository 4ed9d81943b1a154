"""Hypothesis strategies for hostile values: what the outside tester of issue #11 sent,
and its neighbours (numbers at and past every range, booleans, digit strings, RFC 3339
variants, deep nesting, invalid polygons)."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

HOSTILE_NUMBERS: list[Any] = [
    0,
    -1,
    0.5,
    1e308,
    -1e308,
    1e-320,
    2**53 - 1,
    2**53 + 1,
    2**63,
    10**400,
    True,
    False,
    None,
    "1",
    "1e308",
    "NaN",
    "",
]
HOSTILE_TIMES: list[Any] = [
    "2026-03-01T12:00:00Z",
    "2026-03-01T12:00:00.12345678901234567890Z",
    "0001-01-01T00:00:00Z",
    "1900-01-01T00:00:00Z",
    "1970-01-01T00:00:00Z",
    "9999-12-31T23:59:59-23:59",
    "2026-02-30T00:00:00Z",
    "2026-03-01T24:00:00Z",
    "2026-03-01T23:59:60Z",
    "2026-03-01T12:00:00",
    "1772366400",
    1772366400,
    1.7723664e9,
    True,
    None,
    "",
]
BOWTIE = [[[35.0, 47.0], [35.1, 47.1], [35.1, 47.0], [35.0, 47.1], [35.0, 47.0]]]

json_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
    st.sampled_from(HOSTILE_NUMBERS + HOSTILE_TIMES),
)
json_values = st.recursive(
    json_leaf,
    lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=8), c, max_size=4),
    max_leaves=12,
)
hostile = st.one_of(st.sampled_from(HOSTILE_NUMBERS), st.sampled_from(HOSTILE_TIMES), json_values)


def deep(depth: int, inner: str = "1") -> str:
    return "[" * depth + inner + "]" * depth


depths = st.sampled_from([1, 63, 64, 65, 200, 1000, 5000])
cells = st.one_of(
    st.text(alphabet="0123456789.-+:eE ,TZtz\"'\n", max_size=14),
    st.sampled_from([str(v) for v in HOSTILE_NUMBERS + HOSTILE_TIMES]),
)
