"""Votes on penalty cases: signed DSSE records on the log, folded into counted ballots.

A vote counts only if a live key of the voter it names signed it, the voter is
eligible under the case's block rule, it was cast between the case opening and
the vote deadline (inclusive), and it is that voter's first counted vote on the
case. Everything else is ignored with a reason that the appender logs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from pydantic import ValidationError

from truceline.agreement.enforcement import BlockRule
from truceline.authority import KeyBook
from truceline.codec.entries import Record
from truceline.enforcement.penalties import Case, Deadlines, Timeline
from truceline.enforcement.records import Choice, Vote


@dataclass(frozen=True)
class Ignored:
    index: int
    reason: str


@dataclass
class Ballots:
    counted: dict[str, dict[str, Choice]] = field(default_factory=dict)  # case -> voter -> choice
    ignored: list[Ignored] = field(default_factory=list)


def signer(record: Record, book: KeyBook, claimed: str, at: datetime) -> str:
    """The signatory `claimed` if one of the record's signatures proves it; else ValueError."""
    errors: list[str] = []
    for keyid, sig in record.signatures:
        try:
            owner = book.check(keyid, record.signed_bytes, sig, at)
        except ValueError as exc:
            errors.append(str(exc))
            continue
        if owner == claimed:
            return owner
        errors.append(f"key {keyid!r} belongs to {owner!r}, not {claimed!r}")
    raise ValueError("; ".join(errors) or "no signatures")


def parse_vote(record: Record) -> Vote:
    try:
        return Vote.model_validate(record.payload)
    except ValidationError as exc:
        first = exc.errors()[0]
        field_name = ".".join(str(p) for p in first["loc"]) or "payload"
        raise ValueError(f"malformed vote: {field_name}: {first['msg']}") from exc


def fold(
    records: Iterable[Record],
    book: KeyBook,
    cases: Mapping[str, tuple[Case, Timeline | Deadlines, BlockRule | None]],
    now: datetime,
) -> Ballots:
    out = Ballots()
    for record in records:

        def ignore(reason: str, record: Record = record) -> None:
            out.ignored.append(Ignored(record.index, reason))

        try:
            vote = parse_vote(record)
        except ValueError as exc:
            ignore(str(exc))
            continue
        if vote.cast_at > now:
            continue  # not cast yet in event time
        try:
            signer(record, book, vote.voter, vote.cast_at)
        except ValueError as exc:
            ignore(f"vote by {vote.voter!r} not counted: {exc}")
            continue
        found = cases.get(vote.case)
        if found is None:
            ignore(f"vote names unknown case {vote.case!r}")
            continue
        case, tl, rule = found
        if rule is None or tl.vote_deadline is None:
            ignore(f"case {case.id!r} has no block rule; nothing to vote on")
            continue
        if vote.voter not in {v.id for v in rule.voters}:
            ignore(f"{vote.voter!r} is not a voter under block rule {rule.id!r}")
            continue
        if rule.exclude_accused and vote.voter == case.accused:
            ignore(f"the accused party's vote ({vote.voter!r}) is left out")
            continue
        if vote.cast_at < case.opened_at:
            ignore(f"vote cast at {vote.cast_at.isoformat()} before the case opened")
            continue
        if vote.cast_at > tl.vote_deadline:
            ignore(
                f"late vote: cast at {vote.cast_at.isoformat()}, "
                f"deadline {tl.vote_deadline.isoformat()}"
            )
            continue
        ballots = out.counted.setdefault(case.id, {})
        if vote.voter in ballots:
            ignore(f"duplicate vote by {vote.voter!r} on case {case.id!r}; the first one counts")
            continue
        ballots[vote.voter] = vote.choice
    return out
