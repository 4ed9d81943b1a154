"""Properties of the block rules over random councils and ballots."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from truceline.agreement.enforcement import BlockKind, BlockRule, Voter
from truceline.enforcement.blockrules import decide
from truceline.enforcement.records import Choice


@st.composite
def council(draw: st.DrawFn) -> tuple[BlockRule, dict[str, Choice], str | None]:
    n = draw(st.integers(1, 9))
    voters = [
        Voter(id=f"v{i}", weight=draw(st.floats(0.5, 10)), veto=draw(st.booleans()))
        for i in range(n)
    ]
    kind = draw(st.sampled_from(list(BlockKind)))
    rule = BlockRule(
        id="r",
        kind=kind,
        voters=voters,
        window_days=10,
        majority=draw(st.integers(1, n)) if kind is BlockKind.reverse_veto else None,
        qualified_share_of_voters=draw(st.floats(0.3, 1.0)),
        qualified_share_of_weight=draw(st.floats(0.3, 1.0)),
    )
    votes = {v.id: draw(st.sampled_from(list(Choice))) for v in voters if draw(st.booleans())}
    accused = draw(st.sampled_from([None, *[v.id for v in voters]]))
    return rule, votes, accused


@settings(max_examples=300, deadline=None)
@given(council(), st.data())
def test_more_block_votes_never_unblock(c, data) -> None:
    rule, votes, accused = c
    before = decide(rule, votes, accused).blocked
    switch = data.draw(st.sampled_from([v.id for v in rule.voters]))
    after = decide(rule, votes | {switch: Choice.block}, accused).blocked
    assert after or not before


@settings(max_examples=300, deadline=None)
@given(council())
def test_silence_applies_the_penalty(c) -> None:
    rule, _, accused = c
    assert not decide(rule, {}, accused).blocked


@settings(max_examples=300, deadline=None)
@given(council(), st.sampled_from(list(Choice)))
def test_the_accused_vote_never_matters(c, choice) -> None:
    rule, votes, accused = c
    if accused is None:
        return
    a = decide(rule, votes | {accused: choice}, accused).blocked
    b = decide(rule, {k: v for k, v in votes.items() if k != accused}, accused).blocked
    assert a == b


@settings(max_examples=300, deadline=None)
@given(council())
def test_a_veto_holder_allowing_means_the_penalty_applies(c) -> None:
    rule, votes, accused = c
    holders = [v.id for v in rule.voters if v.veto and v.id != accused]
    if rule.kind is not BlockKind.reverse_veto or not holders:
        return
    assert not decide(rule, votes | {holders[0]: Choice.allow}, accused).blocked
