"""Times as Truceline reads and writes them: RFC 3339 strings, UTC, microseconds at most.

Every time field of every record (observations, sensor events, agreement versions,
incident transitions, votes) is `UtcTime`. It accepts exactly:

* a JSON string in RFC 3339 `date-time` form, `YYYY-MM-DDTHH:MM:SS[.f]Z` or with a
  `±HH:MM` offset (`T` and `Z` may be lower case, as RFC 3339 §5.6 allows), with at most
  6 fractional digits: more digits than microseconds would be truncated, and a strict
  outside reader would not read the same instant, so they are refused;
* from Python, a timezone-aware `datetime`.

A JSON number, a digit string, a naive time, a leap second (`:60`, which no `datetime`
can hold) and any instant before `TIME_FLOOR` (2000-01-01T00:00:00Z) are refused with a
message saying which rule. The floor is a sanity bound, not a rule of any agreement:
no sensor feed Truceline reads predates it (FIRMS MODIS starts in November 2000,
CoT in 2002), and it catches the zero dates (0001-01-01, 1900-01-01, the Unix epoch)
that broken exporters write. Values are normalized to UTC; `format_time` writes them
back with a `Z` and no more precision than they have.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import PlainSerializer, PlainValidator, WithJsonSchema

TIME_FLOOR = datetime(2000, 1, 1, tzinfo=UTC)
MAX_FRACTION_DIGITS = 6
# The JSON Schema pattern: the RFC 3339 grammar with 1-6 fractional digits and a year of
# 2000 or later as written (the floor on the UTC instant is checked in code).
RFC3339_PATTERN = (
    r"^[2-9][0-9]{3}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}"
    r"(\.[0-9]{1,6})?([Zz]|[+-][0-9]{2}:[0-9]{2})$"
)
_SHAPE = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})?",
    re.ASCII,
)
EXAMPLE = "2026-03-01T12:00:00Z"


def parse_time(text: str) -> datetime:
    """An RFC 3339 string to an aware UTC datetime; ValueError saying which rule it breaks."""
    match = _SHAPE.fullmatch(text)
    if match is None:
        raise ValueError(f"expected an RFC 3339 date-time string such as {EXAMPLE}")
    if match[8] is None:
        raise ValueError(f"must carry a timezone (RFC 3339), e.g. {EXAMPLE}")
    fraction = match[7]
    if fraction is not None and len(fraction) - 1 > MAX_FRACTION_DIGITS:
        raise ValueError(
            f"{len(fraction) - 1} fractional digits: at most {MAX_FRACTION_DIGITS} "
            "(microseconds) are accepted, none are dropped"
        )
    if match[6] == "60":
        raise ValueError("a leap second (:60) cannot be represented; use :59.999999")
    try:
        value = datetime.fromisoformat(text if text.isupper() else text.upper())
    except ValueError as exc:
        raise ValueError(f"not a calendar date and time: {exc}") from None
    if value.tzinfo is UTC:  # the usual 'Z': already UTC, only the floor to check
        if value < TIME_FLOOR:
            raise ValueError(f"{format_time(value)} is before the floor {format_time(TIME_FLOOR)}")
        return value
    return _checked(value)


def _checked(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"must carry a timezone (RFC 3339), e.g. {EXAMPLE}")
    try:
        utc = value.astimezone(UTC)
    except OverflowError:
        raise ValueError("outside the range of representable times in UTC") from None
    if utc < TIME_FLOOR:
        raise ValueError(f"{format_time(utc)} is before the floor {format_time(TIME_FLOOR)}")
    return utc


def _validate(value: Any) -> datetime:
    if isinstance(value, str):
        return parse_time(value)
    if isinstance(value, datetime):
        return _checked(value)
    raise ValueError(
        f"expected an RFC 3339 date-time string such as {EXAMPLE}, found a {type(value).__name__}"
    )


def format_time(value: datetime) -> str:
    """RFC 3339 UTC with a Z and no more precision than the value has (canonical)."""
    value = value.astimezone(UTC)
    # Not strftime("%Y"): glibc writes year 999 as "999", which is not RFC 3339.
    text = f"{value.year:04d}-" + value.strftime("%m-%dT%H:%M:%S")
    if value.microsecond:
        text += f".{value.microsecond:06d}".rstrip("0")
    return text + "Z"


UtcTime = Annotated[
    datetime,
    PlainValidator(_validate),
    PlainSerializer(format_time, return_type=str),
    WithJsonSchema(
        {
            "type": "string",
            "format": "date-time",
            "pattern": RFC3339_PATTERN,
            "description": "RFC 3339, at most 6 fractional digits, at or after "
            "2000-01-01T00:00:00Z",
        }
    ),
]
