"""Batch adjudication of a whole log: read, fuse, judge. A pure function of the entries."""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from truceline.adjudication.lifecycle import Engine, adjudicate
from truceline.adjudication.logview import LogView, dispute_is_signed, read_view
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
    entries: Iterable[tuple[int, bytes]],
    mission_keys: Mapping[str, Ed25519PublicKey],
    fallback_agreement: Agreement | None = None,
) -> Verdicts:
    view = read_view(entries, mission_keys)
    agreement, ref = view.agreement(fallback_agreement)
    sensors = view.sensors()
    registered = view.registry.sensors if view.registry is not None else {}
    known = []
    for i, o in view.observations:
        # A sensor counts from the entry after its registration (as in the stream).
        st = registered.get(o.sensor)
        if st is not None and st.registered_index < i:
            known.append((i, o))
        else:
            view.problems.append((i, f"observation by unregistered sensor {o.sensor!r} ignored"))
    table = build_table(known, sensors, frame_for(agreement.geography.contact_line))
    # Disputes sit between observation rows at their ledger position.
    disputes: dict[int, list[tuple[int, str, str, str]]] = {}
    row_of = [i for i, _ in known]

    for idx, d, env in view.disputes:
        if not dispute_is_signed(d, env, agreement):
            view.problems.append((idx, f"dispute by {d.party!r} is not signed by that party"))
            continue
        disputes.setdefault(bisect.bisect_left(row_of, idx), []).append(
            (idx, d.incident, d.party, d.reason)
        )
    engine, triggers = adjudicate(table, agreement, ref, disputes=disputes)
    return Verdicts(view, engine, triggers)
