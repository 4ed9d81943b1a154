"""OASIS CAP 1.2 alerts for incidents and penalties, built with lxml.

One alert per incident transition on the log, chained per incident so that a consumer
tracking alerts by (sender, identifier, sent), as CAP 1.2 section 3.2.1 `references`
defines them, always holds exactly one live alert per incident:

- identifier: truceline:<agreement>:<incident>:<ledger index of the transition>. The
  transition's entry is unique on the log, so no two messages share an identifier (an
  Update never reuses the one it updates, even at the same event time and state);
- sent: the transition's event time in whole seconds (the XSD's dateTime pattern allows
  no fraction and no Z; UTC is written -00:00). Within an incident's chain it is
  strictly increasing: a transition in the same second as the one before is sent one
  second after it, so "later" by `sent` is later in the chain. The exact event time,
  microseconds included, is the `event_time` parameter;
- msgType: Alert for the first transition of an incident, Update for later ones, Cancel
  when the incident is dismissed. An Update or Cancel `references` only the alert it
  replaces (the chain's latest), never the whole history;
- incidents: the incident id (CAP's grouping of related messages);
- status Actual, scope Public; info: category Security; urgency from state
  (verified/confirmed Immediate, dismissed Past, else Expected); severity from the
  breached act's severity (5 Extreme, 3-4 Severe, 2 Moderate, 1 Minor; a dismissal is
  Minor); certainty from the grade (Airwars ladder to CAP: confirmed Observed, fair
  Likely, weak/contested Possible, discounted Unlikely); a Cancel says AllClear;
- area: a circle "lat,lon radius_km" holding the true location with 95 % probability.
  The incident's `uncertainty_m` is the 1-sigma of its location fix along the error
  ellipse's major axis; for a circular normal error, P(r <= k sigma) = 1 - exp(-k^2/2),
  so 95 % is k = sqrt(-2 ln 0.05) = 2.4477. `areaDesc` states the containment.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from lxml import etree

from truceline.adjudication.verdict import IncidentTransition, State
from truceline.agreement.model import Agreement
from truceline.agreement.rules import Grade
from truceline.observation import format_time

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"

CERTAINTY = {
    Grade.confirmed: "Observed",
    Grade.fair: "Likely",
    Grade.weak: "Possible",
    Grade.contested: "Possible",
    Grade.discounted: "Unlikely",
}
CONTAINMENT = 0.95
"""The probability that the true location lies inside the alert's circle."""
SIGMA_FACTOR = math.sqrt(-2.0 * math.log(1.0 - CONTAINMENT))
"""Radius / sigma of a circular normal error holding CONTAINMENT of it (2.4477)."""


def cap_time(moment: datetime) -> str:
    """CAP 1.2 dateTime: 2026-03-05T13:00:00-00:00 (no Z, no fraction)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S") + "-00:00"


def whole_second(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(microsecond=0)


def severity(level: int) -> str:
    return {5: "Extreme", 4: "Severe", 3: "Severe", 2: "Moderate"}.get(level, "Minor")


def containment_radius_m(sigma_m: float) -> float:
    """The radius holding CONTAINMENT of a circular normal error of 1-sigma `sigma_m`."""
    return max(sigma_m, 1.0) * SIGMA_FACTOR


@dataclass(frozen=True)
class Reference:
    """One message as CAP's `references` names it: sender, identifier, sent."""

    sender: str
    identifier: str
    sent: datetime

    def __str__(self) -> str:
        return f"{self.sender},{self.identifier},{cap_time(self.sent)}"


@dataclass(frozen=True)
class AlertInput:
    identifier: str
    sender: str
    sent: datetime
    event: str
    headline: str
    description: str
    urgency: str
    severity: str
    certainty: str
    area_desc: str = ""
    lonlat: tuple[float, float] | None = None
    radius_km: float = 0.0
    msg_type: str | None = None  # default: Update if it references something, else Alert
    references: list[Reference] = field(default_factory=list)
    incidents: list[str] = field(default_factory=list)
    response: str | None = None  # CAP responseType, e.g. AllClear
    parameters: dict[str, str] = field(default_factory=dict)
    sender_name: str = "Truceline ceasefire verification"


def build(alert: AlertInput) -> bytes:
    """The CAP 1.2 document (XSD order); no `area` when `lonlat` is None (CAP's is optional)."""

    def el(parent: etree._Element, tag: str, text: str | None = None) -> etree._Element:
        child = etree.SubElement(parent, f"{{{CAP_NS}}}{tag}")
        if text is not None:
            child.text = text
        return child

    root = etree.Element(f"{{{CAP_NS}}}alert", nsmap={None: CAP_NS})
    el(root, "identifier", alert.identifier)
    el(root, "sender", alert.sender)
    el(root, "sent", cap_time(alert.sent))
    el(root, "status", "Actual")
    el(root, "msgType", alert.msg_type or ("Update" if alert.references else "Alert"))
    el(root, "scope", "Public")
    if alert.references:
        el(root, "references", " ".join(map(str, alert.references)))
    if alert.incidents:
        el(root, "incidents", " ".join(alert.incidents))
    info = el(root, "info")
    el(info, "language", "en-US")
    el(info, "category", "Security")
    el(info, "event", alert.event)
    if alert.response:
        el(info, "responseType", alert.response)
    el(info, "urgency", alert.urgency)
    el(info, "severity", alert.severity)
    el(info, "certainty", alert.certainty)
    el(info, "senderName", alert.sender_name)
    el(info, "headline", alert.headline)
    el(info, "description", alert.description)
    for name, value in alert.parameters.items():
        p = el(info, "parameter")
        el(p, "valueName", name)
        el(p, "value", value)
    if alert.lonlat is not None:
        area = el(info, "area")
        el(area, "areaDesc", alert.area_desc)
        lon, lat = alert.lonlat
        el(area, "circle", f"{lat:.6f},{lon:.6f} {alert.radius_km:.3f}")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def alert_id(agreement_id: str, incident: str, index: int) -> str:
    """One alert per transition entry: unique, since a ledger index is."""
    return f"truceline:{agreement_id}:{incident}:{index}"


def chain_sent(t: IncidentTransition, previous: Reference | None) -> datetime:
    """The alert's `sent`: the event time in whole seconds, after the previous alert's."""
    sent = whole_second(t.at)
    if previous is not None and sent <= previous.sent:
        sent = previous.sent + timedelta(seconds=1)
    return sent


def incident_alert(
    t: IncidentTransition,
    index: int,
    agreement: Agreement,
    sender: str,
    previous: Reference | None = None,
) -> tuple[bytes, Reference]:
    """The CAP alert of transition `t` (ledger entry `index`) and its own Reference, which
    the incident's next alert passes back as `previous`."""
    acts = {a.id: a for a in agreement.prohibited_acts}
    breached = [acts[r] for r in t.rules if r in acts]
    level = max((a.severity for a in breached), default=1)
    what = ", ".join(sorted({a.act.value for a in breached})) or t.kind
    who = f" attributed to {t.accused}" if t.accused else ""
    dismissed = t.state is State.dismissed
    me = Reference(sender, alert_id(agreement.id, t.incident, index), chain_sent(t, previous))
    lon, lat = t.location
    radius_m = containment_radius_m(t.uncertainty_m)
    if dismissed:
        urgency, sev = "Past", "Minor"
    else:
        urgency = "Immediate" if t.state in (State.verified, State.confirmed) else "Expected"
        sev = severity(level)
    xml = build(
        AlertInput(
            identifier=me.identifier,
            sender=sender,
            sent=me.sent,
            event=f"Ceasefire violation: {what}",
            headline=f"{t.state.value.capitalize()} {t.kind}{who} ({t.grade.value})",
            description=(
                f"Incident {t.incident} is {t.state.value} with grade {t.grade.value}{who}. "
                f"Rules: {', '.join(t.rules) or 'none'}. Evidence: ledger entries "
                f"{', '.join(map(str, t.evidence))}. {t.reason}".strip()
            ),
            urgency=urgency,
            severity=sev,
            certainty=CERTAINTY[t.grade],
            area_desc=(
                f"Within {radius_m:.0f} m of {lat:.5f}, {lon:.5f} with "
                f"{CONTAINMENT:.0%} probability (location 1-sigma {t.uncertainty_m:.0f} m)"
            ),
            lonlat=t.location,
            radius_km=radius_m / 1000.0,
            msg_type="Cancel" if dismissed and previous is not None else None,
            references=[previous] if previous is not None else [],
            incidents=[t.incident],
            response="AllClear" if dismissed else None,
            parameters={
                "incident": t.incident,
                "state": t.state.value,
                "agreement": f"{t.agreement.id}@{t.agreement.version}",
                "ledger_index": str(index),
                "event_time": format_time(t.at),
                "evidence": " ".join(map(str, t.evidence)),
            },
        )
    )
    return xml, me


def incident_chain(
    history: Iterable[tuple[int, IncidentTransition]], agreement: Agreement, sender: str
) -> Iterator[tuple[int, bytes]]:
    """Every alert of one incident's history (log order), each replacing the one before."""
    previous: Reference | None = None
    for index, t in history:
        xml, previous = incident_alert(t, index, agreement, sender, previous)
        yield index, xml


def sender_of(agreement: Agreement) -> str:
    return f"{agreement.id}@truceline"
