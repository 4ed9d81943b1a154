"""Batch adjudication of a whole log: read, fuse, judge. A pure function of the entries."""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass

from truceline.adjudication.lifecycle import Engine, adjudicate
from truceline.adjudication.logview import LogView, Revocation, read_view
from truceline.adjudication.verdict import IncidentTransition
from truceline.agreement.model import Agreement
from truceline.fusion.base import build_table, frame_for


@dataclass
class Verdicts:
    view: LogView
    engine: Engine
    triggers: list[int]  # per emitted transition: the ledger index of the entry that caused it

    @property
    def emitted(self) -> list[IncidentTransition]:
        return self.engine.emitted


def verdicts_of(
    entries: Iterable[tuple[int, bytes]], fallback_agreement: Agreement | None = None
) -> Verdicts:
    """`fallback_agreement`: the agreement to judge by when the log holds none (library
    callers); a mission home's log always starts with its agreement."""
    view = read_view(entries, fallback_agreement)
    agreement, ref = view.agreement(fallback_agreement)
    # The authority let through only observations by principals registered before them.
    known = view.observations
    table = build_table(known, view.sensors(), frame_for(agreement.geography.contact_line))
    # Disputes sit between observation rows at their ledger position.
    disputes: dict[int, list[tuple[int, str, str, str]]] = {}
    row_of = [i for i, _ in known]

    for idx, d, _env in view.disputes:
        disputes.setdefault(bisect.bisect_left(row_of, idx), []).append(
            (idx, d.incident, d.party, d.reason)
        )
    # So do revocations: each re-judges what it taints among the rows logged before it.
    revocations: dict[int, list[Revocation]] = {}
    for rev in view.revocations:
        revocations.setdefault(bisect.bisect_left(row_of, rev[0]), []).append(rev)
    engine, triggers = adjudicate(table, agreement, ref, disputes=disputes, revocations=revocations)
    return Verdicts(view, engine, triggers)
