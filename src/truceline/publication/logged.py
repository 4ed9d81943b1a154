"""The incidents a home's log holds, as publication renders them (CAP chains, CoT events).

Read through the authority, as every reader reads: only the transitions an adjudicator
may write (judged at their place in the log), and, for a CoT event's `how`, only the
evidence observations their sensors may write, signatures verified. Observations are
read only as evidence of the event asked for, not all of them: the GeoJSON and CAP
routes fold the log without verifying a million signatures. A function of the log
alone, so a mirror renders the same alerts.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from pydantic import ValidationError

from truceline.adjudication.verdict import INCIDENT_TYPE, IncidentTransition
from truceline.agreement.model import Agreement
from truceline.authority import Authority
from truceline.codec.entries import Record, payload_type, read
from truceline.home import Home
from truceline.ledger.base import Ledger
from truceline.observation import OBSERVATION_TYPE, Observation
from truceline.publication import cap, cot


@dataclass
class LoggedIncidents:
    agreement: Agreement
    # incident id -> its transitions in log order, with their ledger indices
    histories: dict[str, list[tuple[int, IncidentTransition]]]
    ledger: Ledger  # open while the caller renders (the evidence is read on demand)
    authority: Authority  # folded over the whole log

    @property
    def sender(self) -> str:
        return cap.sender_of(self.agreement)

    def history(self, incident: str) -> list[tuple[int, IncidentTransition]]:
        """KeyError if the log holds no transition of `incident`."""
        return self.histories[incident]

    def alerts(self) -> Iterator[tuple[int, bytes]]:
        """Every CAP alert the log implies, in log order: (ledger index, alert)."""
        chains = [
            cap.incident_chain(h, self.agreement, self.sender) for h in self.histories.values()
        ]
        return iter(sorted((pair for chain in chains for pair in chain), key=lambda p: p[0]))

    def latest_alert(self, incident: str) -> bytes:
        *_, (_, xml) = cap.incident_chain(self.history(incident), self.agreement, self.sender)
        return xml

    def sources(self, evidence: list[int]) -> list[tuple[str, str]]:
        """(sensor id, sensor kind) of each evidence observation a reader accepts."""
        out = []
        for index in evidence:
            if not 0 <= index < self.ledger.size:
                continue
            got = read(index, self.ledger.read(index, index + 1)[0], (OBSERVATION_TYPE,))
            if not isinstance(got, Record):
                continue
            try:
                obs = Observation.model_validate(got.payload)
            except ValidationError:
                continue
            if self.authority.check_observation(index, obs, got.envelope) is None:
                kind = self.authority.registry.kind(obs.sensor)
                out.append((obs.sensor, kind.value if kind is not None else ""))
        return out

    def event(self, incident: str, now: datetime) -> bytes:
        """The CoT event of the incident's latest state, generated at `now`."""
        _, t = self.history(incident)[-1]
        return cot.incident_event(t, now, cot.how_of(self.sources(t.evidence)))

    def events(self, now: datetime) -> list[bytes]:
        """One CoT event per incident (its latest state), in the log order of those states."""
        order = sorted(self.histories, key=lambda k: self.histories[k][-1][0])
        return [self.event(k, now) for k in order]


@contextmanager
def logged_incidents(home: Home) -> Iterator[LoggedIncidents]:
    """The home's incidents, with its log open for reading until the block ends."""
    ledger = home.reader()
    try:
        authority = Authority()
        histories: dict[str, list[tuple[int, IncidentTransition]]] = {}
        for index, entry in ledger.scan(0):
            authority.apply(index, entry)
            if payload_type(entry) != INCIDENT_TYPE:
                continue
            got = read(index, entry, (INCIDENT_TYPE,))
            if not isinstance(got, Record) or not isinstance(authority.check_mission(got), str):
                continue
            try:
                t = IncidentTransition.model_validate(got.payload)
            except ValidationError:
                continue
            histories.setdefault(t.incident, []).append((index, t))
        agreement = authority.agreement
        mine = {
            k: [(i, t) for i, t in h if t.agreement.id == agreement.id]
            for k, h in histories.items()
        }
        yield LoggedIncidents(agreement, {k: h for k, h in mine.items() if h}, ledger, authority)
    finally:
        ledger.close()
