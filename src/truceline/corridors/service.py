"""A forecast for a home: read the facts once, forecast, render (CLI, HTTP, publish,
verify share it)."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from truceline.corridors.forecast import LOOKBACK, forecast
from truceline.corridors.spec import CorridorFileError, CorridorSpec, from_agreement, load_file
from truceline.home import Home
from truceline.metrics.facts import Facts, read_facts

_WINDOW = re.compile(r"^([1-9][0-9]{0,4})([mhd])$")
_UNIT = {"m": "minutes", "h": "hours", "d": "days"}


def parse_window(text: str) -> timedelta:
    m = _WINDOW.match(text)
    if m is None:
        raise CorridorFileError(
            f"--window: expected a duration like 24h, 90m or 7d, found {text!r}"
        )
    span = timedelta(**{_UNIT[m.group(2)]: int(m.group(1))})
    if span > timedelta(days=31):
        raise CorridorFileError(f"--window: at most 31 days, found {text!r}")
    return span


def first_evidence(facts: Facts) -> datetime:
    times = [o.observed_at for _, o in facts.observations]
    return min(times) if times else facts.agreement.effective_from


def forecast_doc(
    home: Home,
    at: datetime,
    window: timedelta,
    corridors: list[CorridorSpec] | None = None,
    size: int | None = None,
) -> dict[str, Any]:
    """The forecast from the home's log (its first `size` entries if given) as of `at`."""
    facts = read_facts(home, at - LOOKBACK, at, size=size)
    chosen = corridors if corridors is not None else from_agreement(facts.agreement)
    if not chosen:
        raise CorridorFileError(
            "the agreement names no corridor: give some with --corridors FILE.geojson"
        )
    return forecast(facts, chosen, at, window, first_evidence(facts))


def corridors_from(path: Path | None) -> list[CorridorSpec] | None:
    return load_file(path) if path is not None else None


COLUMNS = (
    "corridor",
    "name",
    "window_start",
    "window_end",
    "open_hours",
    "p_breach",
    "p_low",
    "p_high",
    "expected",
    "host",
    "firer",
    "sensor_coverage",
    "breaches_affecting_30d",
    "verified_affecting_30d",
    "inspections_near_30d",
    "recent_incidents_near",
    "recent_verified_near",
    "breach_rate_per_day",
    "penalty",
)


def to_json(doc: dict[str, Any]) -> bytes:
    return (json.dumps(doc, indent=1, sort_keys=False) + "\n").encode()


def _flat(value: Any) -> str:
    if isinstance(value, dict):
        return " ".join(f"{k}:{v}" for k, v in sorted(value.items()))
    return "" if value is None else str(value)


def to_csv(doc: dict[str, Any]) -> bytes:
    """One line per corridor and window (the insurer's sheet); drivers flattened."""
    return csv_table(COLUMNS, ({**f, **f["drivers"]} for f in doc["forecasts"]))


def csv_table(columns: tuple[str, ...], rows: Iterable[dict[str, Any]]) -> bytes:
    """A header of `columns`, then one line per row (nested values flattened)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(columns)
    for row in rows:
        w.writerow([_flat(row.get(c)) for c in columns])
    return buf.getvalue().encode()


def render(doc: dict[str, Any], fmt: str) -> bytes:
    return to_csv(doc) if fmt == "csv" else to_json(doc)


# what every published row states, as the record logs it
ROW_COLUMNS = ("corridor", "window_start", "window_end", "p_breach", "p_low", "p_high")
PUBLISHED_COLUMNS = (
    "index",
    "published_at",
    "signed_by",
    "at",
    "window_s",
    "log_size",
    "agreement",
    "forecast_sha256",
    *ROW_COLUMNS,
    "expected",
)


def render_published(records: list[dict[str, Any]], fmt: str) -> bytes:
    """Every published forecast: JSON as logged, or CSV one line per corridor window."""
    if fmt != "csv":
        return (json.dumps({"published": records}, indent=1) + "\n").encode()
    return csv_table(PUBLISHED_COLUMNS, ({**rec, **row} for rec in records for row in rec["rows"]))
