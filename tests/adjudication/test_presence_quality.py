"""The presence goal on escalation seeds never used while developing presence (1-3 were):
at least 0.9 of the presence breaches that two independent sensors saw are verified, and no
false accusation at Confirmed. `benchmarks/bench_presence.py` prints the same for 101-105."""

from __future__ import annotations

import pytest

from .simulated import run, simulate


@pytest.mark.slow
@pytest.mark.parametrize("seed", [101, 102])
def test_presence_breaches_seen_twice_are_verified(tmp_path, seed: int) -> None:
    _, scores, _, _ = run(simulate(tmp_path, "escalation", seed, 5.0))
    presence = scores["recall_by_breach_type"]["presence"]
    verifiable = presence["over_breach_events_independent_sensors_saw"]
    assert verifiable["of"] >= 30 and verifiable["value"] >= 0.9, verifiable
    wrong = scores["false_accusations_at_confirmed_by_type"]
    assert wrong["presence"] == 0 and scores["false_accusations_at_confirmed"] == 0, wrong
