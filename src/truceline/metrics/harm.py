"""Civilian harm in the metrics: what the evidence of each verified breach reports.

Several reports of one incident describe the same dead and the same damaged school, so they
are not added up: for each figure the incident counts the largest minimum and the largest
maximum any of its reports gives (`combine`). Incidents are then summed per period, accused
party and grade, the same evidence ladder the breach counts use, so a figure from a weak
incident is never mixed with one from a confirmed one.
"""

from __future__ import annotations

from collections import defaultdict

from truceline.field.harm import Harm
from truceline.metrics.periods import Period

FIGURES = ("killed", "injured")
GROUPS = ("civilians", "combatants")


def combine(reports: list[Harm]) -> dict[str, tuple[int, int]]:
    """figure -> (min, max) for one incident: `civilians_killed`, ..., `damage:<object>`."""
    out: dict[str, tuple[int, int]] = {}

    def take(name: str, lo: int, hi: int) -> None:
        old = out.get(name)
        out[name] = (lo, hi) if old is None else (max(old[0], lo), max(old[1], hi))

    for harm in reports:
        for group in GROUPS:
            c = getattr(harm, group)
            for figure in FIGURES:
                span = getattr(c, figure) if c is not None else None
                if span is not None:
                    take(f"{group}_{figure}", span[0], span[1])
        by_object: dict[str, int] = defaultdict(int)
        for d in harm.damage:
            by_object[d.object.value] += d.count
        for obj, n in by_object.items():
            take(f"damage:{obj}", n, n)
    return out


def harm_totals(
    incidents: list[tuple[Period, str, str, list[Harm]]],
) -> dict[tuple[Period, str, str, str], tuple[int, int, int]]:
    """(period, party, grade, figure) -> (sum of minimums, sum of maximums, incidents), over
    (period, accused, grade, the harm its evidence reports) per verified breach."""
    out: dict[tuple[Period, str, str, str], tuple[int, int, int]] = {}
    for period, party, grade, reports in incidents:
        for figure, (lo, hi) in combine(reports).items():
            key = (period, party, grade, figure)
            a, b, n = out.get(key, (0, 0, 0))
            out[key] = (a + lo, b + hi, n + 1)
    return out
