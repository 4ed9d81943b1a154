"""Grading: the Confirmed / Fair / Weak / Contested / Discounted ladder.

Independence. Two reports are independent when their sensors differ in kind
(radar, acoustic, seismic, ...) or in operator: two radars of one operator
share a failure mode (same model, same calibration, same crew), while a
mission camera and a mission acoustic array fail independently, as do two
operators' radars. The number of independent sources is the number of
distinct (kind, operator) pairs; partisan pairs are then limited by standing.

Standing. A party's own sensors alone never verify a breach by another party:
a grade that verifies needs at least one source operated by someone other than
an adversary of the accused (the mission, a guarantor, a third party, or the
accused itself). With no accused, it needs a non-party source or two parties.

Reliability. A sensor whose reports repeatedly contradict the consensus of
other operators (its point more than `CONTRADICTION_Z` standard errors away)
is flagged: it stops counting as a source and its weight in location drops to
`FLAGGED_WEIGHT`. The counts are kept in ledger order, so the flag is a pure
function of the log prefix.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from truceline.agreement.rules import EvidenceStandard, Grade

CONTRADICTION_Z = 4.0
FLAG_MIN_CONTRADICTIONS = 3
FLAG_MIN_SHARE = 0.25
FLAGGED_WEIGHT = 0.05


def independent_sources(pairs: Iterable[tuple[str, str]]) -> int:
    """Distinct (sensor kind, operator) pairs."""
    return len(set(pairs))


def has_standing(operators: Iterable[str], accused: str | None, parties: frozenset[str]) -> bool:
    ops = set(operators)
    if accused is None:
        return bool(ops - parties) or len(ops & parties) >= 2
    return any(op not in parties or op == accused for op in ops)


@dataclass(frozen=True)
class Assessment:
    grade: Grade
    sources: int
    reason: str


def grade(
    pairs: set[tuple[str, str]],
    accused: str | None,
    parties: frozenset[str],
    standard: EvidenceStandard,
    *,
    contested: bool = False,
) -> Assessment:
    """The grade of an incident from its credible sources' (kind, operator) pairs."""
    n = independent_sources(pairs)
    names = ", ".join(f"{k}/{o}" for k, o in sorted(pairs))
    if n == 0:
        return Assessment(
            Grade.discounted, 0, "no credible source (only hearsay or flagged sensors)"
        )
    if contested:
        return Assessment(Grade.contested, n, f"sources disagree on the firing side: {names}")
    standing = has_standing((o for _, o in pairs), accused, parties)
    if n >= standard.confirmed_min_sources and standing:
        g = Grade.confirmed
    elif n >= standard.fair_min_sources and standing:
        g = Grade.fair
    else:
        g = Grade.weak
    why = f"{n} independent source(s): {names}"
    if not standing and n >= standard.fair_min_sources:
        why += "; only the accuser's own sensors, which cannot verify"
    return Assessment(g, n, why)


@dataclass
class Reliability:
    """Per sensor: incidents where its report was checked, and those where it contradicted.

    The flag is kept up to date on each `record` (only that sensor's can change), because
    the lifecycle engine asks about every report's sensor on every re-judgement."""

    checked: dict[str, set[str]] = field(default_factory=dict)
    contradicted: dict[str, set[str]] = field(default_factory=dict)
    _flagged: set[str] = field(default_factory=set)

    def record(self, sensor: str, incident: str, contradicts: bool) -> None:
        self.checked.setdefault(sensor, set()).add(incident)
        bucket = self.contradicted.setdefault(sensor, set())
        if contradicts:
            bucket.add(incident)
        else:
            bucket.discard(incident)
        self._reflag(sensor)

    def withdraw(self, sensor: str, incident: str) -> None:
        """Forget the sensor's check in `incident`: its reports there are judged apart now
        (a duel split into one incident per firing side)."""
        checked = self.checked.get(sensor)
        if checked is None or incident not in checked:
            return
        checked.discard(incident)
        self.contradicted.get(sensor, set()).discard(incident)
        self._reflag(sensor)

    def _reflag(self, sensor: str) -> None:
        bad = len(self.contradicted.get(sensor, ()))
        if bad >= FLAG_MIN_CONTRADICTIONS and bad >= FLAG_MIN_SHARE * len(self.checked[sensor]):
            self._flagged.add(sensor)
        else:
            self._flagged.discard(sensor)

    def flagged(self, sensor: str) -> bool:
        return sensor in self._flagged

    def weight(self, sensor: str) -> float:
        return FLAGGED_WEIGHT if sensor in self._flagged else 1.0

    def flagged_sensors(self) -> list[str]:
        return sorted(self._flagged)
