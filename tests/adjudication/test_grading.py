"""Independence, standing and the grade ladder."""

from __future__ import annotations

from truceline.adjudication.grading import Reliability, grade, has_standing, independent_sources
from truceline.agreement.rules import EvidenceStandard, Grade

PARTIES = frozenset({"party-a", "party-b"})
STD = EvidenceStandard()


def test_independence_is_a_distinct_kind_or_operator() -> None:
    assert independent_sources([]) == 0
    assert independent_sources([("radar", "mission"), ("radar", "mission")]) == 1
    assert independent_sources([("radar", "mission"), ("acoustic", "mission")]) == 2
    assert independent_sources([("radar", "mission"), ("radar", "g1")]) == 2
    assert independent_sources([("radar", "mission"), ("acoustic", "g1"), ("radar", "g1")]) == 3


def test_the_ladder() -> None:
    three = {("radar", "mission"), ("acoustic", "g1"), ("seismic", "party-a")}
    assert grade(three, "party-b", PARTIES, STD).grade is Grade.confirmed
    assert grade(set(list(sorted(three))[:2]), "party-b", PARTIES, STD).grade is Grade.fair
    assert grade({("radar", "mission")}, "party-b", PARTIES, STD).grade is Grade.weak
    assert grade(three, "party-b", PARTIES, STD, contested=True).grade is Grade.contested
    assert grade(set(), "party-b", PARTIES, STD).grade is Grade.discounted


def test_a_partys_own_sensors_alone_never_verify_against_the_other() -> None:
    own = {("radar", "party-a"), ("acoustic", "party-a"), ("seismic", "party-a")}
    assert grade(own, "party-b", PARTIES, STD).grade is Grade.weak
    # ... even across several kinds; but the accused's own sensors do count against it.
    assert has_standing(["party-b"], "party-b", PARTIES)
    assert not has_standing(["party-a"], "party-b", PARTIES)
    assert has_standing(["party-a", "party-b"], None, PARTIES)
    assert not has_standing(["party-a"], None, PARTIES)


def test_reliability_flags_repeated_contradiction_only() -> None:
    rel = Reliability()
    for n in range(20):
        rel.record("s", f"inc-{n}", contradicts=n < 2)
    assert not rel.flagged("s")  # two slips in twenty
    rel.record("s", "inc-20", contradicts=True)
    assert not rel.flagged("s") and rel.weight("s") == 1.0  # 3 of 21: too rare to be a pattern
    for n in range(21, 25):
        rel.record("s", f"inc-{n}", contradicts=True)
    assert rel.flagged("s") and rel.weight("s") < 0.1  # 7 of 25
    # A re-judged incident replaces its earlier verdict instead of counting twice.
    rel.record("t", "inc-1", True)
    rel.record("t", "inc-1", True)
    rel.record("t", "inc-1", False)
    assert rel.contradicted["t"] == set()
