"""`now` as a deciding function sees it, noting when its answer could change.

The kept enforcement state (`live.py`) recomputes a case, an incident or an inspection
only when a record touches it or when the clock reaches the next moment at which its
answer could differ. That moment is not written down a second time beside the
deadline logic: the unit's own function is run with a `Probe` in place of `now`, and
every comparison it makes with `now` narrows the interval `[since, until)` on which
each of those comparisons, and so the answer, stays the same. Anything else done with
`now` (arithmetic, reading its fields) pins the answer to this very instant. A probe
that escapes into a result fails loudly: it is closed once the function returns, and
it is no datetime, so no record model accepts it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast

# Comparisons are at datetime resolution: `now > x` first holds one tick after `x`.
_TICK = timedelta(microseconds=1)


class Probe:
    __slots__ = ("_at", "_open", "since", "until")

    def __init__(self, at: datetime) -> None:
        self._at = at
        self._open = True
        self.since: datetime | None = None  # the answer holds from here ...
        self.until: datetime | None = None  # ... up to here (excluded); None: for ever

    def as_now(self) -> datetime:
        """The probe, typed as the `now` it stands in for."""
        return cast(datetime, self)

    def close(self) -> None:
        self._open = False

    def holds_at(self, moment: datetime) -> bool:
        """The answer computed with this probe is the answer at `moment` too."""
        return (self.since is None or self.since <= moment) and (
            self.until is None or moment < self.until
        )

    def _cut(self, moment: datetime) -> None:
        """Answers may differ before `moment` and from it on."""
        if not self._open:
            raise RuntimeError("a Probe was used after the computation it watched")
        if moment > self._at:
            if self.until is None or moment < self.until:
                self.until = moment
        elif self.since is None or moment > self.since:
            self.since = moment

    def _pin(self) -> None:
        """The answer depends on the exact instant."""
        self._cut(self._at)
        self._cut(self._at + _TICK)

    def _other(self, other: object) -> datetime | None:
        if isinstance(other, Probe):
            return other._at
        return other if isinstance(other, datetime) else None

    def _compare(self, other: object, tick: bool) -> datetime | None:
        moment = self._other(other)
        if moment is not None and other is not self:
            self._cut(moment + _TICK if tick else moment)
        return moment

    # now < x and now >= x change at x; now <= x and now > x one tick after it.
    def __lt__(self, other: object) -> Any:
        m = self._compare(other, False)
        return NotImplemented if m is None else self._at < m

    def __ge__(self, other: object) -> Any:
        m = self._compare(other, False)
        return NotImplemented if m is None else self._at >= m

    def __le__(self, other: object) -> Any:
        m = self._compare(other, True)
        return NotImplemented if m is None else self._at <= m

    def __gt__(self, other: object) -> Any:
        m = self._compare(other, True)
        return NotImplemented if m is None else self._at > m

    def __eq__(self, other: object) -> Any:
        m = self._compare(other, False)
        if m is None:
            return NotImplemented
        self._compare(other, True)
        return self._at == m

    def __ne__(self, other: object) -> Any:
        same = self.__eq__(other)
        return same if same is NotImplemented else not same

    def __hash__(self) -> int:
        self._pin()
        return hash(self._at)

    def __add__(self, other: timedelta) -> datetime:
        self._pin()
        return self._at + other

    __radd__ = __add__

    def __sub__(self, other: Any) -> Any:
        self._pin()
        return self._at - (other._at if isinstance(other, Probe) else other)

    def __rsub__(self, other: datetime) -> timedelta:
        self._pin()
        return other - self._at

    def __getattr__(self, name: str) -> Any:
        """Any other use of `now` (its fields, its text) pins the answer to this instant."""
        self._pin()
        return getattr(self._at, name)

    def __repr__(self) -> str:
        return f"Probe({self._at.isoformat()})"
