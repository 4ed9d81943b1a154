"""Cursor-on-Target 2.0 events for TAK clients, one per incident.

- uid truceline.<incident>; type a detection bit (MITRE types.txt):
  b-d-i-m / b-d-i-b impact or projectile track (mortar / ballistic), b-d-l-m / b-d-l-b
  launch, b-d otherwise;
- how m-f (machine, fused: the incident is fused from several sensors);
- time/start = the incident's event time, stale = start + `stale_s`;
- point: lat, lon, hae and le unknown (9999999.0, the CoT convention), ce = the
  incident's location uncertainty in metres;
- detail: remarks (human text), and a `truceline` element with the machine fields.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from lxml import etree

from truceline.adjudication.verdict import IncidentTransition
from truceline.observation import WeaponClass

UNKNOWN = "9999999.0"


def cot_time(moment: datetime) -> str:
    m = moment.astimezone(UTC)
    return m.strftime("%Y-%m-%dT%H:%M:%S.") + f"{m.microsecond // 1000:03d}Z"


def cot_type(t: IncidentTransition) -> str:
    sub = "m" if t.weapon_class is WeaponClass.mortar else "b"
    if t.kind in ("impact", "projectile"):  # a projectile track's location is its impact
        return f"b-d-i-{sub}"
    if t.kind == "launch":
        return f"b-d-l-{sub}"
    return "b-d"


def incident_event(t: IncidentTransition, stale_s: float = 3600) -> bytes:
    lon, lat = t.location
    event = etree.Element(
        "event",
        version="2.0",
        uid=f"truceline.{t.incident}",
        type=cot_type(t),
        time=cot_time(t.at),
        start=cot_time(t.at),
        stale=cot_time(t.at + timedelta(seconds=stale_s)),
        how="m-f",
    )
    etree.SubElement(
        event,
        "point",
        lat=f"{lat:.7f}",
        lon=f"{lon:.7f}",
        hae=UNKNOWN,
        ce=f"{t.uncertainty_m:.1f}",
        le=UNKNOWN,
    )
    detail = etree.SubElement(event, "detail")
    who = f", attributed to {t.accused}" if t.accused else ""
    etree.SubElement(
        detail, "remarks"
    ).text = (
        f"{t.state.value} {t.kind} ({t.grade.value}){who}; rules {', '.join(t.rules) or 'none'}"
    )
    etree.SubElement(
        detail,
        "truceline",
        incident=t.incident,
        state=t.state.value,
        grade=t.grade.value,
        accused=t.accused or "",
        rules=" ".join(t.rules),
        agreement=f"{t.agreement.id}@{t.agreement.version}",
    )
    return etree.tostring(event, xml_declaration=True, encoding="UTF-8", standalone=True)
