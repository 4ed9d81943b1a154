"""A duel pooled into one incident, told apart by firing side.

Near the contact line both sides' rounds land within the association gate of each
other, so association pools a duel into one incident (docs/fusion.md, step 8, "Pooled
fire from both sides"). When its origin reports fail the one-firing-point test and
firmly place origins in two or more parties' territory, each of those parties' fire
attested by a sensor that is not its accuser's, the engine judges one incident per firing
side (`Engine._judge`). This module partitions the pooled evidence between them, as a
pure function of the reports:

- a report whose own origin lies firmly in one of those parties' territory goes to it;
- any other report with an origin (a bearing, a point near the line) goes to the side
  whose fix of the firm origins it fits best (the association gate's score);
- a report of the impact alone goes to the side with the shot that best explains when
  it landed: the report's time after a shot's, less the flight from that side's origin
  fix at `NOMINAL_SPEED_MS`.

Ties go to the side named first. Which parties are attested, and by whom, is the engine's
to say (`Engine._split`): a radar that invents an origin across the line attests nothing
for the party it accuses, so a lie cannot split an incident.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from truceline.fusion.associate import Gate
from truceline.fusion.locate import Fix, Normal
from truceline.fusion.points import ORIGIN, row_points
from truceline.fusion.rows import Row
from truceline.observation import Kind

# The flight speeds a shot's two ends are paired within (m/s, muzzle to impact mean).
FLIGHT_MIN_MS = 150.0
FLIGHT_MAX_MS = 1500.0
# The speed a landing is timed against when telling two sides' shots apart: the
# geometric middle of the plausible range, so neither end of it is favoured.
NOMINAL_SPEED_MS = math.sqrt(FLIGHT_MIN_MS * FLIGHT_MAX_MS)


def origin_point(row: Row) -> tuple[float, float, float] | None:
    """The report's own point of origin and its 1-sigma: a radar track's origin, or a
    launch reported as a point (a bearing's point is a band, not a claim of position)."""
    if row.kind is Kind.launch:
        if not math.isnan(row.bearing):
            return None
        x, y, sigma = row.x, row.y, row.sigma
    else:
        x, y, sigma = row.ox, row.oy, row.osigma
    if math.isnan(x) or math.isnan(sigma):
        return None
    return x, y, sigma


def has_origin(row: Row) -> bool:
    return row.kind is Kind.launch or not math.isnan(row.ox)


def partition(
    rows: Sequence[tuple[int, Row]],
    firm: Mapping[int, str | None],
    sides: Sequence[str],
    gate: Gate,
) -> dict[str, list[int]]:
    """The pooled incident's reports (engine row number, row; ascending) by firing side.

    `firm` gives, per report with an origin, the party whose territory firmly holds it
    (or None); `sides` are the attested firing parties, each firmly holding at least one
    of the origins. Every report goes to exactly one side."""
    parts: dict[str, list[int]] = {side: [] for side in sides}
    eqs = {side: Normal() for side in sides}
    for r, row in rows:
        side = firm.get(r)
        point = origin_point(row)
        if side in parts and point is not None:
            eqs[side].point(*point)
    fixes = {side: eq.solve() for side, eq in eqs.items()}
    shots: dict[str, list[float]] = {side: [] for side in sides}
    assigned: dict[int, str] = {}
    for r, row in rows:
        if not has_origin(row):
            continue
        side = firm.get(r)
        if side not in parts:
            side = _best(sides, [_origin_score(row, fixes[s], gate) for s in sides])
        assigned[r] = side
        shots[side].append(row.t)
    for r, row in rows:
        side = assigned.get(r)
        if side is None:
            side = _best(sides, [_landing_score(row, fixes[s], shots[s]) for s in sides])
        parts[side].append(r)
    return parts


def _best(sides: Sequence[str], scores: list[float]) -> str:
    """The side of the lowest score, the first named on a tie."""
    return sides[min(range(len(sides)), key=lambda n: (scores[n], n))]


def _origin_score(row: Row, fix: Fix | None, gate: Gate) -> float:
    point = row_points(row).get(ORIGIN)
    if fix is None or point is None:
        return math.inf
    return gate.score_point(point, fix.x, fix.y, fix.radius_m)


def _landing_score(row: Row, fix: Fix | None, shots: list[float]) -> float:
    """How far the report's time lies from the landing of the side's nearest shot (s)."""
    if not shots:
        return math.inf
    flight = 0.0
    if fix is not None and not math.isnan(row.x):
        flight = math.hypot(row.x - fix.x, row.y - fix.y) / NOMINAL_SPEED_MS
    return min(abs(row.t - t - flight) for t in shots)
