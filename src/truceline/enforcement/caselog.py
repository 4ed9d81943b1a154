"""The log entries of one penalty case, with their ledger indices: the enforcement
transitions written about it and the votes cast on it.

A reader who wants to check a case against the log (the dashboard's Verify button, or
`truceline log prove INDEX`) needs to know which entries hold it. Transitions count only if
an enforcement principal the agreement names signed them, judged by `truceline.authority`
at their place in the log, as the appender judges them.
"""

from __future__ import annotations

from typing import Any

from truceline.authority import Authority
from truceline.codec.entries import Record, read
from truceline.enforcement.records import ENFORCEMENT_TYPE, VOTE_TYPE
from truceline.ledger.base import Ledger

_TYPES = (ENFORCEMENT_TYPE, VOTE_TYPE)


def case_entries(ledger: Ledger, case: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(transitions, votes) of `case` in log order, each with its `ledger_index` and payload.

    Votes are listed whether or not they count (the enforcement state says which it
    ignored and why); a transition signed by anyone but a named enforcer is left out."""
    authority = Authority()
    transitions: list[dict[str, Any]] = []
    votes: list[dict[str, Any]] = []
    for index, entry in ledger.scan(0):
        authority.apply(index, entry)
        got = read(index, entry, _TYPES)
        if not isinstance(got, Record) or not isinstance(got.payload, dict):
            continue
        if got.payload_type == VOTE_TYPE:
            if got.payload.get("case") == case:
                votes.append({"ledger_index": index, **got.payload})
        elif got.payload.get("subject") == case and isinstance(authority.check_mission(got), str):
            transitions.append({"ledger_index": index, **got.payload})
    return transitions, votes
