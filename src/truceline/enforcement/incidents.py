"""Incident histories folded from adjudication's IncidentTransition records.

Event time decides: a transition whose `at` is after `now` has not happened yet.
Among those that have, log order decides which is the latest.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from truceline.adjudication.verdict import IncidentTransition, State

BREACH_STATES = frozenset({State.verified, State.confirmed})
DISPUTE_STATES = frozenset({State.disputed, State.inspection})


@dataclass
class IncidentHistory:
    incident: str
    transitions: list[tuple[int, IncidentTransition]] = field(default_factory=list)

    def seen(self, now: datetime) -> list[IncidentTransition]:
        return [t for _, t in self.transitions if t.at <= now]

    def latest(self, now: datetime) -> IncidentTransition | None:
        seen = self.seen(now)
        return seen[-1] if seen else None

    def state_at(self, moment: datetime) -> State | None:
        latest = self.latest(moment)
        return latest.state if latest else None

    def dispute_intervals(self, now: datetime) -> list[tuple[datetime, datetime]]:
        """Periods (clipped at `now`) during which the incident was disputed or under inspection."""
        out: list[tuple[datetime, datetime]] = []
        start: datetime | None = None
        # Walk the states in event-time order of when each became the latest.
        for t in sorted({t.at for t in self.seen(now)}):
            state = self.state_at(t)
            if state in DISPUTE_STATES and start is None:
                start = t
            elif state not in DISPUTE_STATES and start is not None:
                out.append((start, t))
                start = None
        if start is not None:
            out.append((start, now))
        return out


def histories(transitions: Iterable[tuple[int, IncidentTransition]]) -> dict[str, IncidentHistory]:
    out: dict[str, IncidentHistory] = {}
    for index, t in transitions:
        out.setdefault(t.incident, IncidentHistory(t.incident)).transitions.append((index, t))
    return out
