"""Every CAP alert a simulated home implies, replayed through a consumer's state machine
(`capstate.AlertState`, which tracks alerts the way cap-tools does): no incident dropped,
none held twice, each held as its latest state."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from enforcement._world import agreement, incident
from simulated_home import Mission, cli
from truceline.adjudication.verdict import IncidentTransition
from truceline.publication import cap
from truceline.publication.caplint import lint
from truceline.publication.xml import validate

from .capstate import NS, AlertState


def test_every_alert_of_a_home_keeps_every_incident(
    simulated_mission: Mission, tmp_path: Path, vectors: Path
) -> None:
    xsd = vectors / "cap12" / "schema" / "CAP-v1.2.xsd"
    out = tmp_path / "alerts"
    cli("alert", "--home", simulated_mission.h, "--all", "--out", str(out))
    files = sorted(out.glob("*.xml"), key=lambda p: int(p.stem))
    state = AlertState(strict=True)
    per_incident: Counter[str] = Counter()
    for path in files:
        data = path.read_bytes()
        doc = validate(data, xsd)
        assert lint(doc) == [], path.name
        per_incident[doc.findtext("c:incidents", namespaces=NS)] += 1
        state.ingest(data)  # raises if an Update cites a message it no longer holds
    latest = {i["incident"]: i for i in simulated_mission.incidents()}
    held = state.by_incident()
    assert set(held) == set(latest)  # no incident dropped
    assert all(len(docs) == 1 for docs in held.values())  # none held twice
    for ident, [doc] in held.items():
        param = doc.findtext("c:info/c:parameter[c:valueName='state']/c:value", namespaces=NS)
        assert param == latest[ident]["state"]
        kind = "Cancel" if param == "dismissed" else ("Alert", "Update")
        assert doc.findtext("c:msgType", namespaces=NS) in kind
    # The cases that failed before are in this home: chains of three and more alerts.
    assert len(files) == sum(per_incident.values())
    assert sum(1 for n in per_incident.values() if n >= 3) >= 5


def test_the_consumer_catches_what_broke_before() -> None:
    """The consumer is not lenient: an Update under the identifier it updates loses the
    incident, and an Update citing every earlier alert fails on a chain of three."""
    at = datetime(2026, 3, 5, 13, 0, tzinfo=UTC)
    ts = [
        IncidentTransition.model_validate(incident("i-1", s, at))
        for s in ("verified", "confirmed", "disputed")
    ]

    def doc(ident: str, refs: list[cap.Reference]) -> bytes:
        return cap.build(
            cap.AlertInput(
                identifier=ident,
                sender="m",
                sent=at,
                event="e",
                headline="h",
                description="d",
                urgency="Expected",
                severity="Minor",
                certainty="Likely",
                references=refs,
                incidents=["i-1"],
            )
        )

    same = AlertState()
    same.ingest(doc("i-1:x", []))
    same.ingest(doc("i-1:x", [cap.Reference("m", "i-1:x", at)]))
    assert same.by_incident() == {}  # the incident is gone
    every = AlertState()
    refs: list[cap.Reference] = []
    with pytest.raises(KeyError):
        for k in range(3):
            every.ingest(doc(f"i-1:{k}", list(refs)))
            refs.append(cap.Reference("m", f"i-1:{k}", at))
    # Our chain of the same three transitions: one alert held, the latest.
    ours = AlertState()
    for _, xml in cap.incident_chain(list(enumerate(ts)), agreement(), "m"):
        ours.ingest(xml)
    [[held]] = ours.by_incident().values()
    assert held.findtext("c:identifier", namespaces=NS) == "truceline:test-ceasefire:i-1:2"
