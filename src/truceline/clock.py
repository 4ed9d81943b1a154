"""An injectable clock.

Decisions use event time carried by logged evidence; the clock is only for
stamping (checkpoints, receipts, skew checks) and is injected so that tests
and replays are deterministic.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass
class FixedClock:
    """A clock that moves only when told to."""

    at: datetime

    def now(self) -> datetime:
        return self.at

    def advance(self, seconds: float) -> None:
        from datetime import timedelta

        self.at = self.at + timedelta(seconds=seconds)


def unix_seconds(clock: Clock) -> int:
    return int(clock.now().timestamp())


def monotonic() -> float:
    """For measuring durations only, never for decisions."""
    return time.monotonic()
