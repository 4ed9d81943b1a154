"""Incident histories folded from adjudication's IncidentTransition records.

A transition happens for the parties when it is logged (`opens_at`: its signed logging
time, or its event time if later): one logged after `now` has not happened yet, so late
evidence opens its windows when it arrives, not in the past. Among those that have, log
order decides which is the latest.

A history is immutable: a new transition makes a new history (`with_transition`),
so the appender can keep histories from pass to pass and a state it handed out
never changes under its reader. Once `now` is past an incident's last transition,
what the history says no longer depends on `now` (except where a dispute still
open is clipped at it), so those answers are computed once per history.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

from truceline.adjudication.verdict import IncidentTransition, State

BREACH_STATES = frozenset({State.verified, State.confirmed})
DISPUTE_STATES = frozenset({State.disputed, State.inspection})
_DISPUTES = ("disputes",)  # memo key of the dispute periods


@dataclass(frozen=True)
class IncidentHistory:
    incident: str
    transitions: tuple[tuple[int, IncidentTransition], ...] = ()
    # Per-history answers for a `now` past every transition; not part of the value.
    _memo: dict[Hashable, object] = field(default_factory=dict, compare=False, repr=False)

    def with_transition(self, index: int, t: IncidentTransition) -> IncidentHistory:
        return IncidentHistory(self.incident, (*self.transitions, (index, t)))

    @cached_property
    def _all(self) -> tuple[IncidentTransition, ...]:
        return tuple(t for _, t in self.transitions)

    @cached_property
    def last_at(self) -> datetime | None:
        """The latest event time of any transition (None for an empty history)."""
        return max((t.opens_at for _, t in self.transitions), default=None)

    def complete(self, now: datetime) -> bool:
        """Every transition has happened by `now`."""
        return self.last_at is None or self.last_at <= now

    def settled(self, now: datetime) -> bool:
        """Every transition has happened by `now` and no dispute is still open: nothing
        the history says (dispute periods included) depends on `now` any more."""
        if not self.complete(now):
            return False
        got = self._memo.get(_DISPUTES)
        if got is None:
            got = self._memo[_DISPUTES] = self._disputes(now)
        return got[1] is None  # type: ignore[index]

    def seen(self, now: datetime) -> Sequence[IncidentTransition]:
        if self.complete(now):
            return self._all
        return [t for _, t in self.transitions if t.opens_at <= now]

    def where(
        self, now: datetime, key: Hashable, keep: Callable[[IncidentTransition], bool]
    ) -> Sequence[IncidentTransition]:
        """The transitions seen by `now` for which `keep` holds, in log order. `key` names
        `keep` and every value it reads (e.g. `("auto", grades)`): the answer is kept
        under it. Settling a long log asks this of every incident on every pass; the
        few transitions that can matter are found once per history."""
        if not self.complete(now):
            return [t for t in self.seen(now) if keep(t)]
        got = self._memo.get(key)
        if got is None:
            got = self._memo[key] = tuple(t for t in self._all if keep(t))
        return got  # type: ignore[return-value]

    def latest(self, now: datetime) -> IncidentTransition | None:
        seen = self.seen(now)
        return seen[-1] if seen else None

    def state_at(self, moment: datetime) -> State | None:
        latest = self.latest(moment)
        return latest.state if latest else None

    def dispute_intervals(self, now: datetime) -> list[tuple[datetime, datetime]]:
        """Periods (clipped at `now`) during which the incident was disputed or under inspection."""
        if not self.complete(now):
            closed, start = self._disputes(now)
        else:
            got = self._memo.get(_DISPUTES)
            if got is None:
                got = self._memo[_DISPUTES] = self._disputes(now)
            closed, start = got  # type: ignore[misc]
        return [*closed, (start, now)] if start is not None else list(closed)

    def _disputes(
        self, now: datetime
    ) -> tuple[tuple[tuple[datetime, datetime], ...], datetime | None]:
        """The closed dispute periods among the transitions seen by `now`, and the start of
        one still open (its end is `now`, so it is left to the caller)."""
        out: list[tuple[datetime, datetime]] = []
        start: datetime | None = None
        # Walk the states in event-time order of when each became the latest.
        for t in sorted({t.opens_at for t in self.seen(now)}):
            state = self.state_at(t)
            if state in DISPUTE_STATES and start is None:
                start = t
            elif state not in DISPUTE_STATES and start is not None:
                out.append((start, t))
                start = None
        return tuple(out), start


def histories(transitions: Iterable[tuple[int, IncidentTransition]]) -> dict[str, IncidentHistory]:
    grouped: dict[str, list[tuple[int, IncidentTransition]]] = {}
    for index, t in transitions:
        grouped.setdefault(t.incident, []).append((index, t))
    return {k: IncidentHistory(k, tuple(v)) for k, v in grouped.items()}
