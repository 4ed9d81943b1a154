"""The adjudication operations on a mission home: fuse, replay, list, evaluate."""

from __future__ import annotations

import threading
from typing import Any

from truceline.adjudication.batch import Verdicts, verdicts_of
from truceline.adjudication.replay import ReplayReport, compare
from truceline.adjudication.stream import StreamAdjudicator
from truceline.adjudication.verdict import seal_transition
from truceline.clock import Clock, SystemClock
from truceline.home import Home


def recompute(home: Home) -> Verdicts:
    """Every verdict recomputed from the home's log alone (a mirror gives the same)."""
    ledger = home.reader()
    try:
        return verdicts_of(ledger.scan())
    finally:
        ledger.close()


def fuse(home: Home, clock: Clock | None = None) -> dict[str, Any]:
    """Recompute every verdict and log those not on the log yet, stamped with `clock`."""
    clock = clock or SystemClock()
    ledger = home.ledger()
    try:
        verdicts = verdicts_of(ledger.scan())
        key, keyid, _ = home.signing_key(*verdicts.view.authority.agreement.principals.adjudicators)
        logged = {t.judged() for _, t, _ in verdicts.view.transitions}
        now = clock.now()
        entries = [
            seal_transition(rec, key, keyid, now)
            for rec in verdicts.emitted
            if rec.judged() not in logged
        ]
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


def stream_forever(
    home: Home,
    stop: threading.Event,
    poll_s: float = 0.05,
    on_batch: Any = None,
    clock: Clock | None = None,
) -> int:
    """The streaming adjudicator of a running service: catch up with the log, then follow
    it, appending each transition as soon as its evidence is in. Returns how many
    transitions it appended when `stop` is set. The agreement version is fixed at start.

    Run it in a thread beside the HTTP app (or with `truceline adjudicate --follow`)."""
    clock = clock or SystemClock()
    ledger = home.ledger()
    try:
        view = _agreement_view(ledger)
        agreement, ref = view.agreement()
        key, keyid, _ = home.signing_key(*view.authority.agreement.principals.adjudicators)
        stream = StreamAdjudicator(agreement, ref)
        total = 0
        while not stop.is_set():
            ledger.refresh()
            before = stream.size
            n = stream.follow(ledger, lambda rec: seal_transition(rec, key, keyid, clock.now()))
            total += n
            if on_batch is not None:
                on_batch(n, stream.size)
            if stream.size == before:
                # Idle only when nothing new came in: entries that caused no transition
                # still mean the log is moving, and waiting would add to the latency.
                stop.wait(poll_s)
        return total
    finally:
        ledger.close()


def _agreement_view(ledger: Any) -> Any:
    """The agreement versions and registry of the log so far (no observation read)."""
    from truceline.adjudication.logview import LogView

    view = LogView()
    view.authority.catch_up(ledger)
    return view


def replay(home: Home) -> ReplayReport:
    return compare(recompute(home))


def _count(values: Any) -> dict[str, int]:
    out: dict[str, int] = {}
    for v in values:
        out[v] = out.get(v, 0) + 1
    return dict(sorted(out.items()))
