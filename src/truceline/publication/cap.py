"""OASIS CAP 1.2 alerts for incidents and penalties, built with lxml.

Mapping (the schema's fixed element order is followed):
- identifier: truceline:<agreement>:<incident>:<state>:<event time>; sender: the mission;
  sent: CAP dateTime (numeric offset, UTC written -00:00, no fractions);
- status Actual, msgType Alert (or Update, with `references` to the earlier alert),
  scope Public;
- info: category Security; urgency from state (verified/confirmed -> Immediate,
  else Expected); severity from the breached act's severity (5 Extreme, 3-4 Severe,
  2 Moderate, 1 Minor); certainty from the grade (Airwars ladder -> CAP:
  confirmed Observed, fair Likely, weak/contested Possible, discounted Unlikely);
- area: a circle "lat,lon radius_km" from the incident's location and uncertainty.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from lxml import etree

from truceline.adjudication.verdict import IncidentTransition, State
from truceline.agreement.model import Agreement
from truceline.agreement.rules import Grade

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"

CERTAINTY = {
    Grade.confirmed: "Observed",
    Grade.fair: "Likely",
    Grade.weak: "Possible",
    Grade.contested: "Possible",
    Grade.discounted: "Unlikely",
}


def cap_time(moment: datetime) -> str:
    """CAP 1.2 dateTime: 2026-03-05T13:00:00-00:00 (no Z, no fraction)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S") + "-00:00"


def severity(level: int) -> str:
    return {5: "Extreme", 4: "Severe", 3: "Severe", 2: "Moderate"}.get(level, "Minor")


@dataclass(frozen=True)
class Reference:
    sender: str
    identifier: str
    sent: datetime


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
    area_desc: str
    lonlat: tuple[float, float]
    radius_km: float
    references: list[Reference] = field(default_factory=list)
    parameters: dict[str, str] = field(default_factory=dict)
    sender_name: str = "Truceline ceasefire verification"


def build(alert: AlertInput) -> bytes:
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
    el(root, "msgType", "Update" if alert.references else "Alert")
    el(root, "scope", "Public")
    if alert.references:
        el(
            root,
            "references",
            " ".join(f"{r.sender},{r.identifier},{cap_time(r.sent)}" for r in alert.references),
        )
    info = el(root, "info")
    el(info, "language", "en-US")
    el(info, "category", "Security")
    el(info, "event", alert.event)
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
    area = el(info, "area")
    el(area, "areaDesc", alert.area_desc)
    lon, lat = alert.lonlat
    el(area, "circle", f"{lat:.6f},{lon:.6f} {alert.radius_km:.3f}")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def alert_id(agreement_id: str, t: IncidentTransition) -> str:
    """One alert per transition: the incident, its state and the transition's event time."""
    return f"truceline:{agreement_id}:{t.incident}:{t.state.value}:{t.at.astimezone(UTC):%Y%m%dT%H%M%S%f}"


def incident_alert(
    t: IncidentTransition,
    agreement: Agreement,
    sender: str,
    previous: list[Reference] | None = None,
) -> bytes:
    acts = {a.id: a for a in agreement.prohibited_acts}
    breached = [acts[r] for r in t.rules if r in acts]
    level = max((a.severity for a in breached), default=1)
    what = ", ".join(sorted({a.act.value for a in breached})) or t.kind
    who = f" attributed to {t.accused}" if t.accused else ""
    return build(
        AlertInput(
            identifier=alert_id(agreement.id, t),
            sender=sender,
            sent=t.at,
            event=f"Ceasefire violation: {what}",
            headline=f"{t.state.value.capitalize()} {t.kind}{who} ({t.grade.value})",
            description=(
                f"Incident {t.incident} is {t.state.value} with grade {t.grade.value}{who}. "
                f"Rules: {', '.join(t.rules) or 'none'}. Evidence: ledger entries "
                f"{', '.join(map(str, t.evidence))}. {t.reason}".strip()
            ),
            urgency="Immediate" if t.state in (State.verified, State.confirmed) else "Expected",
            severity=severity(level),
            certainty=CERTAINTY[t.grade],
            area_desc=f"Within {t.uncertainty_m:.0f} m of {t.location[1]:.5f}, {t.location[0]:.5f}",
            lonlat=t.location,
            radius_km=max(t.uncertainty_m, 1.0) / 1000.0,
            references=previous or [],
            parameters={
                "incident": t.incident,
                "agreement": f"{t.agreement.id}@{t.agreement.version}",
                "evidence": " ".join(map(str, t.evidence)),
            },
        )
    )
