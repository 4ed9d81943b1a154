"""Persistence of presence across passes: the same vehicle or unit, seen again, is one incident.

A strike is over in seconds, so fire reports associate within the agreement's
association window (minutes). A tank parked inside a withdrawal zone stays
there for hours or days: a satellite pass at 01:30, a UAV at 10:00 and a patrol
at 14:00 see the same tank. Were each sighting its own incident, no incident
would ever hold two independent sources, and presence would never be verified.

`PresenceTracks` links a presence report (heavy weapon, troops, access denied,
weapons missing) to the earlier reports of the same kind within
`PERSISTENCE_S` of event time and within the association gate in space
(`Gate.score_point`, the same test as fire); heavy weapons also need a
compatible class (the same, or one side unknown). It is fed in ledger order by
the lifecycle engine, so the batch and the stream get the same links and the
verdicts stay a pure function of the log.
"""

from __future__ import annotations

import math
from typing import NamedTuple, Protocol

from truceline.fusion.associate import IMPACT, Gate
from truceline.fusion.base import NO_WEAPON
from truceline.observation import Kind

# Armed forces standing somewhere: what buffer zones and withdrawal zones bar.
FORCE_KINDS = frozenset({Kind.heavy_weapon_sighting, Kind.troop_movement})
# Reports about a place and whoever holds it (not a strike): the party holding the ground
# answers for them.
PRESENCE_KINDS = FORCE_KINDS | {Kind.access_denied, Kind.weapons_missing}
# Longest gap between two sightings of one presence (event time). The simulator parks
# heavy weapons for 6-48 h; imagery passes come every 12 h, UAVs and patrols daily.
PERSISTENCE_S = 24 * 3600.0


class PresenceRow(Protocol):
    """The fields of an engine row this module reads (`adjudication.lifecycle.Row`)."""

    @property
    def t(self) -> float: ...
    @property
    def kind(self) -> Kind: ...
    @property
    def x(self) -> float: ...
    @property
    def y(self) -> float: ...
    @property
    def sigma(self) -> float: ...
    @property
    def weapon(self) -> int: ...


class Sighting(NamedTuple):
    row: int  # engine row number
    t: float
    x: float
    y: float
    sigma: float
    kind: Kind
    weapon: int


class PresenceTracks:
    def __init__(self, gate: Gate, persistence_s: float = PERSISTENCE_S) -> None:
        self.gate = gate
        self.persistence_s = persistence_s
        self.cell_m = gate.max_radius_m
        self._cells: dict[tuple[int, int], list[Sighting]] = {}
        self._newest = -math.inf

    def _cell(self, x: float, y: float) -> tuple[int, int]:
        return (math.floor(x / self.cell_m), math.floor(y / self.cell_m))

    def link(self, row: int, r: PresenceRow) -> list[tuple[int, int]]:
        """(IMPACT, earlier engine row) links of a presence report, best first; the report
        is then remembered for later ones. Empty for any other report."""
        if r.kind not in PRESENCE_KINDS or math.isnan(r.x):
            return []
        point = (r.x, r.y, r.sigma, math.nan, math.nan, math.nan, math.nan, math.nan)
        horizon = max(self._newest, r.t) - self.persistence_s - self.gate.lateness_s
        cx, cy = self._cell(r.x, r.y)
        scored: list[tuple[float, int]] = []
        for key in [(cx + i, cy + j) for i in (-1, 0, 1) for j in (-1, 0, 1)]:
            sightings = self._cells.get(key)
            if not sightings:
                continue
            sightings[:] = [s for s in sightings if s.t >= horizon]  # forget the stale
            for s in sightings:
                if s.kind is not r.kind or abs(s.t - r.t) > self.persistence_s:
                    continue
                if NO_WEAPON not in (s.weapon, r.weapon) and s.weapon != r.weapon:
                    continue
                score = self.gate.score_point(point, s.x, s.y, s.sigma)
                if score <= 1.0:
                    scored.append((score, s.row))
        self._newest = max(self._newest, r.t)
        self._cells.setdefault((cx, cy), []).append(
            Sighting(row, r.t, r.x, r.y, r.sigma, r.kind, r.weapon)
        )
        scored.sort()
        return [(IMPACT, j) for _, j in scored]
