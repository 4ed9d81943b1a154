"""The three real blocking patterns, as pure functions over the counted votes.

In each, the default outcome is that the penalty applies; votes can only stop it,
and only as the real model allows:

- reverse_veto (UNSCR 2231 paras 11-12): the penalty is blocked only by an adopted
  continuation: at least `majority` votes to block and no veto holder voting
  `allow`. One veto of the continuation therefore makes the penalty happen.
- reverse_qualified_majority (EU Regulation 1173/2011): blocked only if a qualified
  majority rejects it: the blocking voters reach `qualified_share_of_voters` of the
  eligible voters AND `qualified_share_of_weight` of their weight.
- negative_consensus (WTO DSU 22.6): blocked only if every eligible member votes to block.

Abstentions and missing votes never block. The accused party is not eligible when
`exclude_accused` is set (its votes are dropped before they reach this module).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from truceline.agreement.enforcement import BlockKind, BlockRule, Voter
from truceline.enforcement.records import Choice


@dataclass(frozen=True)
class Tally:
    blocked: bool
    reason: str
    block: int
    allow: int
    abstain: int
    eligible: int


def eligible_voters(rule: BlockRule, accused: str | None) -> list[Voter]:
    if rule.exclude_accused and accused is not None:
        return [v for v in rule.voters if v.id != accused]
    return list(rule.voters)


def decide(rule: BlockRule, votes: Mapping[str, Choice], accused: str | None) -> Tally:
    """Whether the counted `votes` (voter id -> choice) block the penalty under `rule`."""
    voters = eligible_voters(rule, accused)
    ids = {v.id for v in voters}
    counted = {k: c for k, c in votes.items() if k in ids}
    blockers = [v for v in voters if counted.get(v.id) is Choice.block]
    n_block = len(blockers)
    n_allow = sum(1 for c in counted.values() if c is Choice.allow)
    n_abstain = sum(1 for c in counted.values() if c is Choice.abstain)

    def tally(blocked: bool, reason: str) -> Tally:
        return Tally(blocked, reason, n_block, n_allow, n_abstain, len(voters))

    if rule.kind is BlockKind.reverse_veto:
        assert rule.majority is not None  # enforced by BlockRule's validator
        vetoes = sorted(v.id for v in voters if v.veto and counted.get(v.id) is Choice.allow)
        if vetoes:
            return tally(False, f"continuation vetoed by {', '.join(vetoes)}")
        if n_block < rule.majority:
            return tally(False, f"continuation got {n_block} of the {rule.majority} votes needed")
        return tally(True, f"continuation adopted with {n_block} votes and no veto")

    if rule.kind is BlockKind.reverse_qualified_majority:
        if not voters:
            return tally(False, "no eligible voters")
        share = n_block / len(voters)
        total_weight = sum(v.weight for v in voters)
        weight_share = sum(v.weight for v in blockers) / total_weight
        if (
            share >= rule.qualified_share_of_voters
            and weight_share >= rule.qualified_share_of_weight
        ):
            return tally(
                True,
                f"rejected by qualified majority ({share:.0%} of voters, {weight_share:.0%} of weight)",
            )
        return tally(
            False,
            f"no qualified majority to reject ({share:.0%} of voters, {weight_share:.0%} of weight;"
            f" needs {rule.qualified_share_of_voters:.0%} and {rule.qualified_share_of_weight:.0%})",
        )

    # negative consensus
    if voters and n_block == len(voters):
        return tally(True, "every member rejected it")
    return tally(False, f"no consensus to reject ({n_block} of {len(voters)} members)")
