"""Each block rule at its edges, as the real model decides it."""

from __future__ import annotations

import pytest

from truceline.agreement.enforcement import BlockKind, BlockRule, Voter
from truceline.enforcement.blockrules import decide
from truceline.enforcement.records import Choice

B, A, X = Choice.block, Choice.allow, Choice.abstain


def unsc(majority: int = 9) -> BlockRule:
    # 5 permanent members with a veto, 10 elected: UNSCR 2231's Council.
    voters = [Voter(id=f"p{i}", veto=True) for i in range(5)] + [
        Voter(id=f"e{i}") for i in range(10)
    ]
    return BlockRule(
        id="unsc", kind=BlockKind.reverse_veto, voters=voters, majority=majority, window_days=30
    )


def test_reverse_veto_adopted_continuation_blocks() -> None:
    votes = {f"e{i}": B for i in range(9)}
    t = decide(unsc(), votes, accused=None)
    assert t.blocked and t.block == 9


def test_reverse_veto_one_veto_makes_the_penalty_happen() -> None:
    # 14 for the continuation, one permanent member against: the snapback happens.
    votes = {f"e{i}": B for i in range(10)} | {f"p{i}": B for i in range(4)} | {"p4": A}
    t = decide(unsc(), votes, accused=None)
    assert not t.blocked and "vetoed by p4" in t.reason


def test_reverse_veto_permanent_abstention_is_not_a_veto() -> None:
    votes = {f"e{i}": B for i in range(9)} | {"p0": X}
    assert decide(unsc(), votes, accused=None).blocked


def test_reverse_veto_short_of_majority_2025_vote() -> None:
    # September 2025: the continuation draft failed 4-9; snapback followed.
    votes = (
        {f"e{i}": B for i in range(4)}
        | {f"e{i}": A for i in range(4, 10)}
        | {"p0": A, "p1": A, "p2": A}
    )
    t = decide(unsc(), votes, accused=None)
    assert not t.blocked


def test_reverse_veto_tie_does_not_block() -> None:
    rule = BlockRule(
        id="r",
        kind="reverse_veto",
        voters=[Voter(id=v) for v in "abcd"],
        majority=3,
        window_days=10,
    )
    assert not decide(rule, {"a": B, "b": B, "c": A, "d": A}, accused=None).blocked


def test_reverse_veto_accused_veto_is_left_out() -> None:
    rule = BlockRule(
        id="r",
        kind="reverse_veto",
        voters=[Voter(id="acc", veto=True), Voter(id="x"), Voter(id="y")],
        majority=2,
        window_days=10,
    )
    votes = {"acc": A, "x": B, "y": B}
    assert decide(rule, votes, accused="acc").blocked
    # With exclusion switched off, the accused veto holder could save itself.
    kept = rule.model_copy(update={"exclude_accused": False})
    assert not decide(kept, votes, accused="acc").blocked


def eu(n: int = 20, weights: list[float] | None = None) -> BlockRule:
    weights = weights or [1.0] * n
    return BlockRule(
        id="eu",
        kind="reverse_qualified_majority",
        voters=[Voter(id=f"m{i}", weight=w) for i, w in enumerate(weights)],
        window_days=10,
    )


def test_rqm_exact_threshold_blocks() -> None:
    # 11 of 20 voters = 55%, 65% of weight needed too: equal weights give 55% < 65%.
    votes = {f"m{i}": B for i in range(11)}
    assert not decide(eu(), votes, accused=None).blocked
    votes = {f"m{i}": B for i in range(13)}  # 65% of voters and of weight, exactly
    assert decide(eu(), votes, accused=None).blocked


def test_rqm_needs_both_shares() -> None:
    # Two heavy members carry 70% of the weight but are 10% of the voters.
    rule = eu(weights=[35.0, 35.0] + [30.0 / 18] * 18)
    assert not decide(rule, {"m0": B, "m1": B}, accused=None).blocked
    # Many light members: 90% of voters, 30% of weight.
    assert not decide(rule, {f"m{i}": B for i in range(2, 20)}, accused=None).blocked


def test_rqm_tie_and_silence_do_not_block() -> None:
    assert not decide(eu(), {f"m{i}": B for i in range(10)}, accused=None).blocked
    assert not decide(eu(), {}, accused=None).blocked


def test_rqm_accused_is_outside_the_denominator() -> None:
    rule = eu(n=4)
    # 3 of 4 = 75% but 3 of the 3 eligible = 100% once m3 is the accused.
    t = decide(rule, {"m0": B, "m1": B, "m2": B, "m3": A}, accused="m3")
    assert t.blocked and t.eligible == 3


def wto(n: int = 5) -> BlockRule:
    return BlockRule(
        id="dsb",
        kind="negative_consensus",
        voters=[Voter(id=f"w{i}") for i in range(n)],
        window_days=30,
    )


@pytest.mark.parametrize(
    ("votes", "blocked"),
    [
        ({f"w{i}": B for i in range(5)}, True),
        ({f"w{i}": B for i in range(4)}, False),  # one silent member
        ({f"w{i}": B for i in range(4)} | {"w4": X}, False),  # one abstention
        ({f"w{i}": B for i in range(4)} | {"w4": A}, False),  # the winning complainant objects
    ],
)
def test_negative_consensus(votes: dict[str, Choice], blocked: bool) -> None:
    assert decide(wto(), votes, accused=None).blocked is blocked


def test_negative_consensus_without_the_accused() -> None:
    votes = {f"w{i}": B for i in range(4)} | {"w4": A}
    assert decide(wto(), votes, accused="w4").blocked


def test_reverse_veto_requires_majority() -> None:
    with pytest.raises(ValueError, match="majority"):
        BlockRule(id="r", kind="reverse_veto", voters=[Voter(id="a")], window_days=1)
