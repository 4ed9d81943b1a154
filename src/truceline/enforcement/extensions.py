"""Extending a consultation window by consensus (JCPOA para 36: "extendable by consensus").

Each eligible voter of the case's block rule (the accused left out when the rule
says so) signs an `extension` record naming the case, the round (1st, 2nd, ...
extension) and the days. A round is adopted when every eligible voter has signed
it with the same days, each no later than the end of the consultation as already
extended by the earlier rounds; rounds are taken in order, and a round that fails
ends the chain. A rung without a block rule has nobody to agree, so it cannot be
extended. Invalid signatures, non-voters, late and duplicate assents are ignored
with a logged reason.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from pydantic import ValidationError

from truceline.agreement.enforcement import BlockRule
from truceline.authority import KeyBook
from truceline.codec.entries import Record
from truceline.enforcement.blockrules import eligible_voters
from truceline.enforcement.penalties import Case, Deadlines, Timeline
from truceline.enforcement.records import Extension
from truceline.enforcement.votes import Ignored, signer


@dataclass(frozen=True)
class Adopted:
    case: str
    round: int
    days: float
    at: datetime
    signers: tuple[str, ...]


@dataclass
class Extensions:
    days: dict[str, float] = field(default_factory=dict)  # case -> total days added
    adopted: list[Adopted] = field(default_factory=list)
    ignored: list[Ignored] = field(default_factory=list)


def fold(
    records: Iterable[Record],
    book: KeyBook,
    cases: Mapping[str, tuple[Case, BlockRule | None]],
    timeline_of: Callable[[Case, float], Timeline | Deadlines],
    now: datetime,
) -> Extensions:
    out = Extensions()
    assents: dict[str, list[tuple[int, Extension]]] = {}
    for record in records:
        try:
            ext = Extension.model_validate(record.payload)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(map(str, first["loc"]))
            out.ignored.append(
                Ignored(record.index, f"malformed extension: {where}: {first['msg']}")
            )
            continue
        if ext.at > now:
            continue
        try:
            signer(record, book, ext.by, ext.at)
        except ValueError as exc:
            out.ignored.append(Ignored(record.index, f"extension by {ext.by!r} refused: {exc}"))
            continue
        if ext.case not in cases:
            out.ignored.append(Ignored(record.index, f"extension names unknown case {ext.case!r}"))
            continue
        assents.setdefault(ext.case, []).append((record.index, ext))

    for case_id, items in assents.items():
        case, rule = cases[case_id]
        if rule is None:
            out.ignored.extend(
                Ignored(i, f"case {case_id!r} has no block rule: nobody can extend it")
                for i, _ in items
            )
            continue
        eligible = {v.id for v in eligible_voters(rule, case.accused)}
        total = 0.0
        seen: set[tuple[int, str]] = set()
        rounds: dict[int, list[tuple[int, Extension]]] = {}
        for index, ext in items:
            if ext.by not in eligible:
                out.ignored.append(Ignored(index, f"{ext.by!r} may not extend case {case_id!r}"))
            elif (ext.round, ext.by) in seen:
                out.ignored.append(
                    Ignored(index, f"duplicate extension assent by {ext.by!r}, round {ext.round}")
                )
            else:
                seen.add((ext.round, ext.by))
                rounds.setdefault(ext.round, []).append((index, ext))
        n = 1
        while n in rounds:
            end = timeline_of(case, total).countdown_from
            on_time = []
            for index, ext in rounds[n]:
                if ext.at > end:
                    out.ignored.append(
                        Ignored(
                            index,
                            f"late extension assent: {ext.at.isoformat()} after {end.isoformat()}",
                        )
                    )
                else:
                    on_time.append(ext)
            by_days: dict[float, list[Extension]] = {}
            for ext in on_time:
                by_days.setdefault(ext.days, []).append(ext)
            agreed = next((d for d, xs in by_days.items() if {x.by for x in xs} >= eligible), None)
            if agreed is None:
                break
            signed = by_days[agreed]
            out.adopted.append(
                Adopted(
                    case_id,
                    n,
                    agreed,
                    max(x.at for x in signed),
                    tuple(sorted(x.by for x in signed)),
                )
            )
            total += agreed
            n += 1
        if total:
            out.days[case_id] = total
    return out
