"""Field readers shared by the adapters: each raises FieldError naming the source field."""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any, TypeVar

from truceline.adapters.base import FieldError
from truceline.rfc3339 import parse_time

E = TypeVar("E", bound=StrEnum)


def text(record: dict[str, Any], name: str, *, required: bool = True) -> str | None:
    value = record.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise FieldError(name, "missing or empty")
        return None
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise FieldError(name, f"expected text, got {type(value).__name__}")
    return str(value).strip()


def number(
    record: dict[str, Any],
    name: str,
    *,
    required: bool = True,
    low: float | None = None,
    high: float | None = None,
) -> float | None:
    value = record.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise FieldError(name, "missing or empty")
        return None
    if isinstance(value, bool):
        raise FieldError(name, "expected a number, got a boolean")
    try:
        result = float(value)
    except (TypeError, ValueError):
        raise FieldError(name, f"not a number: {value!r:.60}") from None
    if not math.isfinite(result):
        raise FieldError(name, f"not a finite number: {value!r:.60}")
    if low is not None and result < low:
        raise FieldError(name, f"{result} is below {low}")
    if high is not None and result > high:
        raise FieldError(name, f"{result} is above {high}")
    return result


def need(value: float | None, name: str) -> float:
    if value is None:
        raise FieldError(name, "missing or empty")
    return value


def lonlat(record: dict[str, Any], lat_name: str, lon_name: str) -> tuple[float, float]:
    lat = need(number(record, lat_name, low=-90.0, high=90.0), lat_name)
    lon = need(number(record, lon_name, low=-180.0, high=180.0), lon_name)
    return (lon, lat)


# A count in a source file: whole, and small enough for every JSON reader to read exactly.
MAX_COUNT = 1_000_000


def integer(
    record: dict[str, Any],
    name: str,
    *,
    required: bool = True,
    low: int | None = None,
    high: int = MAX_COUNT,
) -> int | None:
    value = number(record, name, required=required)
    if value is None:
        return None
    if value != int(value):
        raise FieldError(name, f"not a whole number: {value}")
    if low is not None and value < low:
        raise FieldError(name, f"{int(value)} is below {low}")
    if value > high:
        raise FieldError(name, f"{value:g} is above {high}")
    return int(value)


def iso_date(raw: str, name: str) -> date:
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise FieldError(name, f"not a date YYYY-MM-DD: {raw!r:.60}") from None


def rfc3339(raw: str, name: str) -> datetime:
    """An RFC 3339 timestamp with an explicit offset (Z or ±hh:mm), read as every record's
    times are (`truceline.rfc3339`: at most 6 fractional digits, at or after 2000)."""
    try:
        return parse_time(raw.strip())
    except ValueError as exc:
        raise FieldError(name, f"{raw!r:.60}: {exc}") from None


def enum_value(enum: type[E], raw: str, name: str) -> E:
    key = raw.strip().lower().replace(" ", "_").replace("-", "_")
    try:
        return enum(key)
    except ValueError:
        allowed = ", ".join(member.value for member in enum)
        raise FieldError(name, f"{raw!r:.60} is not one of: {allowed}") from None


# The 16-point compass of OSCE SMM reports, clockwise from north.
_POINTS = (
    "N",
    "NNE",
    "NE",
    "ENE",
    "E",
    "ESE",
    "SE",
    "SSE",
    "S",
    "SSW",
    "SW",
    "WSW",
    "W",
    "WNW",
    "NW",
    "NNW",
)
_WORDS = {"north": "N", "east": "E", "south": "S", "west": "W"}


def compass(raw: str, name: str) -> float:
    """'SSE' or 'south-south-east' -> 157.5 degrees (bearing from the observer)."""
    value = raw.strip()
    words = [w for w in re.split(r"[\s\-]+", value.lower()) if w]
    if words and all(w in _WORDS for w in words):
        value = "".join(_WORDS[w] for w in words)
    value = value.upper()
    if value not in _POINTS:
        raise FieldError(
            name, f"{raw!r:.60} is not a 16-point compass direction (N, NNE, ..., NNW)"
        )
    return _POINTS.index(value) * 22.5


_BAND = re.compile(
    r"^\s*(?:(?P<lo>\d+(?:\.\d+)?)\s*(?P<lo_unit>km|m)?\s*(?:-|–|to)\s*)?(?P<hi>\d+(?:\.\d+)?)\s*(?P<unit>km|m)\s*$",
    re.IGNORECASE,
)
_BOUND = re.compile(
    r"^\s*(?P<kind>less than|under|within|up to|more than|over|beyond)\s+(?P<v>\d+(?:\.\d+)?)\s*(?P<unit>km|m)\s*$",
    re.IGNORECASE,
)


def distance_band(raw: str, name: str) -> tuple[float, float]:
    """'1-4 km' -> (1000, 4000); '500 m' -> (500, 500); 'less than 1 km' -> (0, 1000).

    'more than N km' has no upper bound, so it is refused: an observation needs a finite
    band, and inventing one would be a silent repair.
    """
    match = _BAND.match(raw)
    if match:
        scale = 1000.0 if match["unit"].lower() == "km" else 1.0
        hi = float(match["hi"]) * scale
        lo = hi
        if match["lo"] is not None:
            lo_unit = (match["lo_unit"] or match["unit"]).lower()
            lo = float(match["lo"]) * (1000.0 if lo_unit == "km" else 1.0)
        if lo > hi:
            raise FieldError(name, f"{raw!r:.60}: lower bound above upper bound")
        return (lo, hi)
    match = _BOUND.match(raw)
    if match:
        v = float(match["v"]) * (1000.0 if match["unit"].lower() == "km" else 1.0)
        if match["kind"].lower() in ("more than", "over", "beyond"):
            raise FieldError(name, f"{raw!r:.60} has no upper bound")
        return (0.0, v)
    raise FieldError(
        name, f"{raw!r:.60} is not a distance band like '1-4 km', '500 m' or 'less than 1 km'"
    )


def open_lower_bound(raw: str) -> float | None:
    """'more than 5 km' -> 5000.0 (metres): the near end of a band with no far end; None
    for anything else."""
    match = _BOUND.match(raw)
    if not match or match["kind"].lower() not in ("more than", "over", "beyond"):
        return None
    return float(match["v"]) * (1000.0 if match["unit"].lower() == "km" else 1.0)


def calibre(raw: str, name: str) -> float:
    """'82mm', '82 mm', '122' -> millimetres."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(mm)?\s*", raw, re.IGNORECASE)
    if not match or float(match[1]) <= 0:
        raise FieldError(name, f"{raw!r:.60} is not a calibre in mm like '82mm'")
    return float(match[1])


def utc_midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)
