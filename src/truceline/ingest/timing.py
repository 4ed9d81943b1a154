"""The one time rule of ingest: observed_at within the agreement's bounds of the ingest clock.

    now - time.max_age_s  <=  observed_at  <=  now + time.max_ahead_s

`now` is the ingest clock at arrival (injected: the demo and the simulator replay with an
event-time clock). Too far ahead is `clock_skew`, too far behind is `too_old`; both name
`payload.observed_at`. The bounds are those of the agreement version in force at `now`
(`AgreementHistory.time_bounds`), or the defaults of `agreement.timebounds`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from truceline.agreement.timebounds import TimeBounds
from truceline.ingest.reasons import Reason
from truceline.rfc3339 import format_time


class TimeWindow:
    """The bounds resolved against one clock reading (once per batch)."""

    def __init__(self, now: datetime, bounds: TimeBounds) -> None:
        self.now = now
        self.bounds = bounds
        self.earliest = now - timedelta(seconds=bounds.max_age_s)
        self.latest = now + timedelta(seconds=bounds.max_ahead_s)

    def check(self, observed_at: datetime) -> tuple[Reason, str] | None:
        """None when observed_at is inside the window, else (reason, message)."""
        if observed_at > self.latest:
            return (
                Reason.clock_skew,
                f"{format_time(observed_at)} is ahead by more than time.max_ahead_s "
                f"({self.bounds.max_ahead_s:g} s) at ingest clock {format_time(self.now)}",
            )
        if observed_at < self.earliest:
            return (
                Reason.too_old,
                f"{format_time(observed_at)} is older than time.max_age_s "
                f"({self.bounds.max_age_s / 86_400:g} days) at ingest clock {format_time(self.now)}",
            )
        return None
