"""Metrics for a home: read the facts once, compute, render (CLI and HTTP share it)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from truceline.home import Home
from truceline.metrics.compute import metrics
from truceline.metrics.facts import read_facts
from truceline.metrics.periods import By, parse_bound, periods
from truceline.metrics.render import to_csv, to_json


def metrics_doc(home: Home, start: datetime, end: datetime, by: By) -> dict[str, Any]:
    spans = periods(start, end, by)  # checks the range before reading anything
    # The facts as of the last period's end; the change against the period before the
    # first needs that period's breaches too.
    lead = spans[0].start - (spans[0].end - spans[0].start)
    facts = read_facts(home, lead, spans[-1].end)
    return metrics(facts, start, end, by)


def metrics_bytes(home: Home, start: str, end: str, by: By | str, fmt: str) -> bytes:
    doc = metrics_doc(home, parse_bound("--from", start), parse_bound("--to", end), By(by))
    return to_csv(doc) if fmt == "csv" else to_json(doc)
