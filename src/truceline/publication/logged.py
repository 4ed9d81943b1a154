"""The incidents a home's log holds, as publication renders them (CAP chains, CoT events).

Read through the authority, as every reader reads (`adjudication.logview`): only the
transitions an adjudicator may write, only the observations their sensors may write.
A function of the log alone, so a mirror renders the same alerts.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from truceline.adjudication.logview import read_view
from truceline.adjudication.verdict import IncidentTransition
from truceline.agreement.model import Agreement
from truceline.home import Home
from truceline.publication import cap, cot


@dataclass(frozen=True)
class LoggedIncidents:
    agreement: Agreement
    # incident id -> its transitions in log order, with their ledger indices
    histories: dict[str, list[tuple[int, IncidentTransition]]]
    # observation ledger index -> (sensor id, sensor kind)
    sources: dict[int, tuple[str, str]]

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

    def event(self, incident: str, now: datetime) -> bytes:
        """The CoT event of the incident's latest state, generated at `now`."""
        _, t = self.history(incident)[-1]
        how = cot.how_of(self.sources[i] for i in t.evidence if i in self.sources)
        return cot.incident_event(t, now, how)

    def events(self, now: datetime) -> list[bytes]:
        """One CoT event per incident (its latest state), in the log order of those states."""
        order = sorted(self.histories, key=lambda k: self.histories[k][-1][0])
        return [self.event(k, now) for k in order]


def logged_incidents(home: Home) -> LoggedIncidents:
    ledger = home.reader()
    try:
        view = read_view(ledger.scan())
    finally:
        ledger.close()
    agreement, _ = view.agreement()
    kinds = {sid: st.kind.value for sid, st in view.registry.sensors.items()}
    histories: dict[str, list[tuple[int, IncidentTransition]]] = {}
    for index, t, _entry in view.transitions:
        if t.agreement.id == agreement.id:
            histories.setdefault(t.incident, []).append((index, t))
    sources = {i: (o.sensor, kinds.get(o.sensor, "")) for i, o in view.observations}
    return LoggedIncidents(agreement, histories, sources)
