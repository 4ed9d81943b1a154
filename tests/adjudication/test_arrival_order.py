"""Arrival order does not change verdicts: the same observations, logged in any order,
give the same incidents (the same evidence) with the same grades and states."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from truceline.adjudication.lifecycle import Engine, adjudicate
from truceline.adjudication.stream import StreamAdjudicator
from truceline.fusion.base import build_table, frame_for
from truceline.observation import Observation

from .helpers import ORIGIN, SENSORS, agreement, obs, radar, ref

# Four strikes from party-b's side into party-a's, 90 minutes apart (far more than the
# old one-hour lateness horizon), at four points along the line.
STRIKES = [(0.0, -0.20), (5400.0, 0.0), (10800.0, 0.20), (16200.0, 0.05)]
IMPACT_LAT = 47.75


def strike(n: int, t: float, dlon: float, rng: np.random.Generator) -> list[Observation]:
    """Eight reports of one strike by six independent sources, with their errors."""
    lon = 36.62 + dlon

    def near(sigma_m: float) -> tuple[float, float]:
        dx, dy = rng.normal(0, sigma_m, 2)
        return (lon + dx / 74_800, IMPACT_LAT + dy / 111_200)

    origin = (ORIGIN[0] + dlon, ORIGIN[1])
    seq = 10 * n
    return [
        radar("radar-m1", seq, t, impact=near(60), origin=origin),
        radar("radar-m1", seq + 1, t + 25, impact=near(60), origin=origin),
        radar("radar-b1", seq, t + 3, impact=near(60), origin=origin),
        obs("seismic-a1", seq, t + 5, "explosion", near(300), 300),
        obs("camera-a1", seq, t + 9, "impact", near(200), 200),
        # Bearing reports: an acoustic array 4.5 km west, a patrol 3.3 km north.
        obs(
            "acoustic-g1",
            seq,
            t + 14,
            "explosion",
            (lon - 0.06, IMPACT_LAT),
            50,
            bearing_deg=90.0,
            distance_band_m=(3000, 6000),
        ),
        obs(
            "patrol-m1",
            seq,
            t + 40,
            "explosion",
            (lon, IMPACT_LAT + 0.03),
            50,
            perception="heard",
            bearing_deg=180.0,
            distance_band_m=(2000, 5000),
        ),
        obs("acoustic-g2", seq, t + 2, "launch", (origin[0], origin[1]), 250),
    ]


def scenario() -> list[Observation]:
    rng = np.random.default_rng(7)
    return [o for n, (t, dlon) in enumerate(STRIKES) for o in strike(n, t, dlon, rng)]


SCENARIO = scenario()


def outcome(order: list[int], engine: Engine, ledger: list[Observation]) -> set[object]:
    """Each incident as (its evidence by sensor and seq, state, grade, accused, rules)."""
    latest = {r.incident: r for r in engine.incidents()}
    out = set()
    for incident, leaves in engine.members().items():
        evidence = frozenset((ledger[i].sensor, ledger[i].seq) for i in leaves)
        rec = latest.get(incident)
        verdict = None if rec is None else (rec.state, rec.grade, rec.accused, tuple(rec.rules))
        out.add((evidence, verdict))
    return out


def judged(order: list[int]) -> tuple[set[object], set[object]]:
    """The batch's and the stream's outcome with the scenario logged in `order`."""
    agr = agreement()
    ledger = [SCENARIO[k] for k in order]
    items = list(enumerate(ledger))
    table = build_table(items, SENSORS, frame_for(agr.geography.contact_line))
    engine, _ = adjudicate(table, agr, ref(agr))
    stream = StreamAdjudicator(agr, ref(agr))
    for index, o in items:
        stream.observe(index, o, SENSORS[o.sensor])
    return outcome(order, engine, ledger), outcome(order, stream.engine, ledger)


IN_TIME = sorted(range(len(SCENARIO)), key=lambda k: SCENARIO[k].observed_at)
EXPECTED = judged(IN_TIME)[0]


def test_the_scenario_is_four_verified_strikes() -> None:
    verdicts = sorted((len(ev), v) for ev, v in EXPECTED)
    assert len(verdicts) == 4
    for size, verdict in verdicts:
        assert size == 8
        assert verdict is not None and verdict[0].value == "verified"
        assert verdict[1].value == "confirmed" and verdict[2] == "party-b"


@settings(max_examples=25, deadline=None)
@given(st.permutations(range(len(SCENARIO))))
def test_any_arrival_order_gives_the_same_incidents_and_grades(order: list[int]) -> None:
    batch, stream = judged(order)
    assert batch == EXPECTED
    assert stream == EXPECTED


def test_reverse_order_gives_the_same_incidents_and_grades() -> None:
    """The worst case for the old one-hour horizon: every report arrives after the
    newest strike's."""
    assert judged(IN_TIME[::-1]) == (EXPECTED, EXPECTED)
