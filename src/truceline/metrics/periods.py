"""The periods metrics are counted in: UTC days, or ISO weeks (Monday 00:00 UTC)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

from truceline.errors import TrucelineError


class PeriodError(TrucelineError, ValueError):
    """--from/--to/--by do not make a range of periods; the message says which."""


class By(StrEnum):
    day = "day"
    week = "week"


@dataclass(frozen=True)
class Period:
    start: datetime
    end: datetime  # exclusive

    @property
    def label(self) -> str:
        return self.start.date().isoformat()

    def __contains__(self, moment: datetime) -> bool:
        return self.start <= moment < self.end

    @property
    def seconds(self) -> float:
        return (self.end - self.start).total_seconds()


def parse_bound(option: str, text: str) -> datetime:
    """A date (its 00:00 UTC) or an RFC 3339 time with a timezone."""
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), time(), UTC)
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise PeriodError(
            f"{option}: expected a date (2026-05-01) or an RFC 3339 time, found {text!r}"
        ) from None
    if value.tzinfo is None:
        raise PeriodError(f"{option}: expected a timezone (e.g. Z), found {text!r}")
    return value.astimezone(UTC)


def periods(start: datetime, end: datetime, by: By) -> list[Period]:
    """The whole days (weeks) covering [start, end): the first begins at or before
    `start`, the last ends at or after `end`."""
    if end <= start:
        raise PeriodError(f"--to: {end.isoformat()} is not after --from {start.isoformat()}")
    first = datetime.combine(start.date(), time(), UTC)
    step = timedelta(days=1)
    if by is By.week:
        first -= timedelta(days=first.weekday())
        step = timedelta(days=7)
    out = []
    t = first
    while t < end:
        out.append(Period(t, t + step))
        t += step
    if len(out) > 3660:
        raise PeriodError(f"--from/--to: {len(out)} periods; at most 3660 at a time")
    return out
