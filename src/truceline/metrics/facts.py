"""What the metrics count, read from a home's log once, through the authority.

Only records a reader accepts count (`adjudication.logview`, `truceline.authority`):
observations their sensors may write, transitions an adjudicator or enforcement
principal may write. Nothing is read from outside the log (no key, no store, no
agreement.yaml), so an operator's home and a mirror of it give the same facts.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from truceline.adjudication.logview import read_view
from truceline.adjudication.verdict import IncidentTransition, State
from truceline.agreement.model import Agreement
from truceline.enforcement.appender import open_appender
from truceline.enforcement.incidents import BREACH_STATES, IncidentHistory
from truceline.enforcement.inspections import InspectionState
from truceline.enforcement.penalties import CaseState
from truceline.home import Home
from truceline.ledger.base import Ledger
from truceline.ledger.prefix import LogPrefix
from truceline.observation import Observation
from truceline.registry.state import SensorState


@dataclass(frozen=True)
class Breach:
    """A verified breach as of the metrics' end: verified (or confirmed) at `verified_at`,
    not dismissed since; its current verdict says who, what and how sure."""

    incident: str
    verified_at: datetime
    first_seen: datetime  # the earliest evidence of the incident up to its verification
    verdict: IncidentTransition  # the latest transition by the end
    index: int  # the ledger index of that transition's entry


@dataclass
class Facts:
    agreement: Agreement
    until: datetime
    log_size: int
    log_root: str
    observations: list[tuple[int, Observation]]
    sensors: dict[str, SensorState]
    incidents: dict[str, IncidentHistory]
    cases: list[CaseState]
    inspections: list[InspectionState]
    breaches: list[Breach] = field(default_factory=list)

    def observation(self, index: int) -> Observation | None:
        return self._by_index.get(index)

    def __post_init__(self) -> None:
        self._by_index = dict(self.observations)
        self.breaches = breaches_of(self.incidents, self.until)


def breaches_of(incidents: dict[str, IncidentHistory], until: datetime) -> list[Breach]:
    out = []
    for ident, history in incidents.items():
        seen = [(i, t) for i, t in history.transitions if t.at <= until]
        if not seen:
            continue
        index, latest = seen[-1]
        first = next(
            (
                k
                for k, (_, t) in enumerate(seen)
                if t.state in BREACH_STATES and t.rules and t.accused
            ),
            None,
        )
        if (
            first is None
            or latest.state is State.dismissed
            or not latest.rules
            or latest.accused is None
        ):
            continue
        verified = seen[first][1]
        start = min(t.window[0] for _, t in seen[: first + 1])
        out.append(Breach(ident, verified.at, start, latest, index))
    return sorted(out, key=lambda b: (b.verified_at, b.incident))


def _month_ends(start: datetime, until: datetime) -> list[datetime]:
    """The last instant of each calendar month from `start` to `until` (the last: `until`)."""
    out = []
    t = datetime(start.year, start.month, 1, tzinfo=UTC)
    while t < until:
        days = calendar.monthrange(t.year, t.month)[1]
        nxt = t + timedelta(days=days)
        out.append(min(nxt - timedelta(microseconds=1), until))
        t = nxt
    return out or [until]


def read_facts(home: Home, start: datetime, until: datetime, size: int | None = None) -> Facts:
    """The log of `home` (its published size, or its first `size` entries) as of event
    time `until`."""
    ledger: Ledger = home.reader()
    if size is not None:
        ledger = LogPrefix(ledger, size)
    try:
        view = read_view(ledger.scan())
        size = ledger.size
        root = ledger.root(size).hex()  # type: ignore[attr-defined]
        app = open_appender(home, ledger, until, write=False, known=view.authority)
        final = app.state(until, plan_routes=False)
        # Routine inspections are scheduled per calendar month: settle at each month's
        # end too, so the earlier months' visits are in the list.
        merged: dict[str, InspectionState] = {}
        for moment in _month_ends(start, until):
            state = final if moment == until else app.state(moment, plan_routes=False)
            merged.update((s.inspection.id, s) for s in state.inspections)
        merged.update((s.inspection.id, s) for s in final.inspections)
    finally:
        ledger.close()
    agreement = app.agreement
    inspections = sorted(merged.values(), key=lambda s: (s.inspection.opened_at, s.inspection.id))
    return Facts(
        agreement=agreement,
        until=until,
        log_size=size,
        log_root=root,
        observations=view.observations,
        sensors=dict(view.registry.sensors),
        incidents=final.incidents,
        cases=final.cases,
        inspections=inspections,
    )
