"""The published forecasts' track record: every published corridor window that has closed,
beside what the log now shows happened in it, and how well the published probabilities
did (Brier score and skill, log loss, ECE with its reliability table, ROC-AUC).

An insurer's question is not "what does the model say" but "were the probabilities the
mission signed right?". The outcome of a window is a breach affecting the corridor while it
was open, counted as the forecast counts one (`drivers.Place.affected`), by the incidents'
latest verdicts as of the log's last evidence: a breach verified days after its window
counts. Only the mission's own records are read (`publish.published`: signed by a principal
the agreement lets publish). A pure function of the log (and a corridors file for a record
that did not embed its own), so a mirror gives the same bytes.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import numpy as np

from truceline.corridors import publish, score
from truceline.corridors.drivers import Place, place, scene
from truceline.corridors.forecast import LOOKBACK
from truceline.corridors.service import ROW_COLUMNS, csv_table
from truceline.corridors.spec import CorridorSpec, from_agreement
from truceline.home import Home
from truceline.metrics.facts import Facts, read_facts
from truceline.observation import format_time

SCHEMA = "truceline.corridors.track-record/1"


def last_evidence(facts: Facts) -> datetime | None:
    times = [o.observed_at for _, o in facts.observations]
    return max(times) if times else None


def _facts(home: Home, records: list[publish.Published]) -> tuple[Facts, datetime | None]:
    """The log's facts as of its last evidence (read twice when that is after every
    published window: the first read only finds it)."""
    start = min(r.record.at for r in records) - LOOKBACK
    until = max(row.window_end for r in records for row in r.record.rows)
    facts = read_facts(home, start, until)
    last = last_evidence(facts)
    if last is not None and last > until:
        facts = read_facts(home, start, last)
    return facts, last


def track_record(home: Home, corridors: list[CorridorSpec] | None) -> dict[str, Any]:
    records = publish.published(home)
    rows: list[dict[str, Any]] = []
    skipped: list[dict[str, Any]] = []
    pending = 0
    last: datetime | None = None
    if records:
        facts, last = _facts(home, records)
        places: dict[tuple[str, str], Place] = {}
        for p in records:
            chosen, problem = publish.corridors_of(p, corridors)
            if problem is not None:
                skipped.append({"index": p.index} | problem)
                continue
            specs = chosen if chosen is not None else from_agreement(facts.agreement)
            source = p.record.corridors_sha256 if chosen is not None else "agreement"
            shared = scene(specs, facts) if specs else None
            for spec in specs:
                if (source, spec.id) not in places and shared is not None:
                    places[(source, spec.id)] = place(spec, facts, shared)
            for row in p.record.rows:
                where = places.get((source, row.corridor))
                if where is None:
                    skipped.append({"index": p.index, "result": "unknown_corridor",
                                    "corridor": row.corridor})  # fmt: skip
                    continue
                if last is None or row.window_end > last:
                    pending += 1
                    continue
                n = where.affected(row.window_start, row.window_end)
                rows.append(
                    {
                        "index": p.index,
                        "at": format_time(p.record.at),
                        "corridor": row.corridor,
                        "window_start": format_time(row.window_start),
                        "window_end": format_time(row.window_end),
                        "p_breach": row.p_breach,
                        "p_low": row.p_low,
                        "p_high": row.p_high,
                        "breaches": n,
                        "breached": int(n > 0),
                    }
                )
    p_ = np.array([r["p_breach"] for r in rows], float)
    y = np.array([r["breached"] for r in rows], float)
    return {
        "schema": SCHEMA,
        "as_of": None if last is None else format_time(last),
        "records": len(records),
        "windows_open": pending,
        "skipped": skipped,
        "scores": score.against_outcomes(p_, y) if rows else {"windows": 0},
        "rows": rows,
    }


COLUMNS = ("index", "at", *ROW_COLUMNS, "breaches", "breached")


def render(doc: dict[str, Any], fmt: str) -> bytes:
    """JSON as computed, or CSV one line per scored window."""
    if fmt != "csv":
        return (json.dumps(doc, indent=1) + "\n").encode()
    return csv_table(COLUMNS, doc["rows"])
