"""A duel split by firing side, through a real tile log: the stream gives the batch's
verdicts, `replay` recomputes them, and a side's own part can be disputed by the party it
accuses (and only that part goes to inspection).

Near the example agreement's line (about 47.495 N at 34.85 E) two party-a guns north of
it and a party-b gun south of it fire into the same 2 km within a minute: association
pools the shots (`test_pooled_duel_cli.py` has the CLI view)."""

from __future__ import annotations

from pathlib import Path

import pytest

from truceline.adjudication.service import recompute, replay
from truceline.adjudication.stream import StreamAdjudicator
from truceline.adjudication.verdict import IncidentTransition, State, seal_transition
from truceline.agreement.load import load_agreement
from truceline.agreement.rules import Grade
from truceline.observation import Observation

from .helpers import SENSORS, obs, radar
from .homes import MissionHome

GUN_A1, GUN_A2 = (34.840, 47.510), (34.855, 47.511)
GUN_B = (34.850, 47.460)
HIT_1, HIT_2, HIT_3 = (34.850, 47.487), (34.852, 47.488), (34.851, 47.502)


def launch(sensor: str, seq: int, t: float, gun: tuple[float, float]) -> Observation:
    return obs(sensor, seq, t, "launch", gun, 120, weapon_class="artillery")


def landing(sensor: str, seq: int, t: float, hit: tuple[float, float]) -> Observation:
    return obs(sensor, seq, t, "impact", hit, 120, weapon_class="artillery")


# Party-a's guns placed by two guarantors' arrays and party-a's own camera; party-b's by
# the same arrays and the mission radar. Logged in three batches, in event-time order.
BATCHES = [
    [
        launch("acoustic-g1", 1, 0.0, GUN_A1),
        launch("acoustic-g2", 1, 0.4, GUN_A1),
        obs("camera-a1", 1, 0.1, "launch", GUN_A1, 300),
        landing("acoustic-g1", 2, 8.0, HIT_1),
    ],
    [
        launch("acoustic-g1", 3, 20.0, GUN_A2),
        launch("acoustic-g2", 2, 20.4, GUN_A2),
        obs("camera-a1", 2, 20.1, "launch", GUN_A2, 300),
        landing("acoustic-g1", 4, 28.0, HIT_2),
    ],
    [
        launch("acoustic-g1", 5, 50.0, GUN_B),
        radar("radar-m1", 1, 50.3, impact=HIT_3, origin=GUN_B, cep=50.0),
        launch("acoustic-g2", 3, 50.4, GUN_B),
        landing("acoustic-g1", 6, 65.0, HIT_3),
    ],
]


def duel(root: Path) -> MissionHome:
    h = MissionHome(root / "home", SENSORS)
    for batch in BATCHES:
        h.append(batch)
    return h


def latest(emitted: list[IncidentTransition]) -> dict[str, IncidentTransition]:
    out = {}
    for rec in emitted:
        out[rec.incident] = rec
    return out


@pytest.mark.parametrize("chunk", [1, 5, 512])
def test_a_split_duel_streams_as_the_batch_judges_it(tmp_path: Path, chunk: int) -> None:
    h = duel(tmp_path)
    agreement = load_agreement(h.home.agreement)
    batch = recompute(h.home)
    live = {r.accused: r for r in latest(batch.emitted).values() if r.state is State.verified}
    assert set(live) == {"party-a", "party-b"}, batch.emitted
    assert all(r.grade is Grade.confirmed for r in live.values())
    assert not set(live["party-a"].evidence) & set(live["party-b"].evidence)
    _, ref = batch.view.agreement(agreement)
    stream = StreamAdjudicator(agreement, ref)
    key, keyid = h.adjudicator
    appended = stream.follow(h.log, lambda rec: seal_transition(rec, key, keyid), chunk=chunk)
    assert [r.model_dump() for r in stream.engine.emitted] == [
        r.model_dump() for r in batch.emitted
    ]
    assert stream.triggers == batch.triggers and appended == len(batch.emitted)
    assert replay(h.home).ok


def test_a_side_disputes_its_own_part_of_a_duel(tmp_path: Path) -> None:
    """Party-b disputes the incident that accuses it (a part with its own id, not the
    association's): that one goes to inspection, party-a's stays verified. Party-b cannot
    dispute party-a's part."""
    h = duel(tmp_path)
    parts = {
        r.accused: r.incident
        for r in recompute(h.home).engine.incidents()
        if r.state is State.verified
    }
    assert parts["party-a"] != parts["party-b"]
    h.dispute(parts["party-a"], "party-b", "not ours")  # not the accused: ignored
    h.dispute(parts["party-b"], "party-b", "our guns were silent")
    verdicts = recompute(h.home)
    final = {r.incident: r for r in verdicts.engine.incidents()}
    assert final[parts["party-b"]].state is State.inspection
    assert final[parts["party-a"]].state is State.verified
    states = [r.state for r in verdicts.emitted if r.incident == parts["party-b"]]
    assert states[-2:] == [State.disputed, State.inspection]
    # Later evidence of the duel leaves the settled part settled.
    h.append([landing("acoustic-g2", 4, 65.5, HIT_3)])
    final = {r.incident: r for r in recompute(h.home).engine.incidents()}
    assert final[parts["party-b"]].state is State.inspection
    assert replay(h.home).ok
