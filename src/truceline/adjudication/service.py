"""The adjudication operations on a mission home: fuse, replay, list, evaluate."""

from __future__ import annotations

from typing import Any

from truceline.adjudication.batch import Verdicts, verdicts_of
from truceline.adjudication.home import (
    adjudicator_key,
    fallback_agreement,
    mission_keys,
    open_ledger,
    seal_transition,
)
from truceline.adjudication.replay import ReplayReport, compare
from truceline.mission.home import Home


def recompute(home: Home) -> Verdicts:
    ledger = open_ledger(home)
    try:
        fallback = fallback_agreement(home)
        return verdicts_of(ledger.scan(), mission_keys(home, fallback), fallback)
    finally:
        ledger.close()


def fuse(home: Home) -> dict[str, Any]:
    key, keyid = adjudicator_key(home)
    ledger = open_ledger(home)
    try:
        fallback = fallback_agreement(home)
        verdicts = verdicts_of(ledger.scan(), mission_keys(home, fallback), fallback)
        entries = [seal_transition(rec, key, keyid) for rec in verdicts.emitted]
        before = ledger.size
        for lo in range(0, len(entries), 1024):
            ledger.append(entries[lo : lo + 1024])
        appended = ledger.size - before
    finally:
        ledger.close()
    latest = verdicts.engine.incidents()
    return {
        "observations": len(verdicts.view.observations),
        "transitions": len(entries),
        "appended": appended,
        "incidents": len(latest),
        "by_state": _count(r.state.value for r in latest),
        "by_grade": _count(r.grade.value for r in latest),
        "flagged_sensors": verdicts.engine.reliability.flagged_sensors(),
        "problems": len(verdicts.view.problems),
    }


def replay(home: Home) -> ReplayReport:
    return compare(recompute(home))


def _count(values: Any) -> dict[str, int]:
    out: dict[str, int] = {}
    for v in values:
        out[v] = out.get(v, 0) + 1
    return dict(sorted(out.items()))
