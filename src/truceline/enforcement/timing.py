"""Deadline arithmetic shared by the penalty, vote and inspection engines."""

from __future__ import annotations

from datetime import datetime, time, timedelta


def days(n: float) -> timedelta:
    return timedelta(days=n)


def cutoff_midnight_utc(moment: datetime) -> datetime:
    """The first 00:00 UTC at or after `moment`.

    UNSCR 2231 para 12: measures re-apply "at midnight GMT after the end of the
    30-day period"; a moment that already is midnight is its own cutoff.
    """
    midnight = datetime.combine(moment.date(), time(0), tzinfo=moment.tzinfo)
    return moment if moment == midnight else midnight + timedelta(days=1)
