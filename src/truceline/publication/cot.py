"""Cursor-on-Target 2.0 events for TAK clients, one per incident.

- uid truceline.<incident> (a TAK client replaces an event of the same uid);
  type a detection bit (MITRE types.txt): b-d-i-m / b-d-i-b impact or projectile track
  (mortar / ballistic), b-d-l-m / b-d-l-b launch, b-d otherwise;
- time = when the event is generated (CoT 2.0: the event's "birth"); start = the
  incident's event time; stale = time + the validity of its state (`VALIDITY`): how long
  a map should show it before a fresher push renews it. A state that can still change
  soon gets a short validity, a settled one a long one, and a dismissed incident only a
  minute, so that clients drop its marker;
- how: what the evidence is (MITRE how tree): m-f (fused) when two or more sensors saw
  it; for a single sensor, by its kind: h-e (an observer patrol's estimate), h-t (a
  third party's report, transcribed), m-i (imagery: satellite, camera, UAV), m-v-u
  (acoustic array, geometric means), m-v (seismic), m-a (weapon-locating radar: its
  algorithmic tracker's extrapolation), m-p (imported through a gateway without
  further pedigree). None of the sensors reports a GPS fix of the event itself, so m-g
  is never claimed;
- point: lat, lon, hae and le unknown (9999999.0, the CoT convention), ce = the
  incident's location 1-sigma in metres (MITRE: "the one sigma point for a zero mean
  normal distribution");
- detail: remarks (human text), and a `truceline` element with the machine fields.

On a stream (a TAK server's TCP or TLS port, or standard output), each event is one
complete XML document, its declaration, a newline, the `event` element, and nothing
after it (`frame`), as pytak writes them: a reader that cuts the stream after each
`</event>` gets documents that parse, however many are concatenated.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta

from lxml import etree

from truceline.adjudication.verdict import IncidentTransition, State
from truceline.observation import WeaponClass

UNKNOWN = "9999999.0"
DECLARATION = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'

# How long an incident's state stays valid on a map, counted from generation.
VALIDITY: Mapping[State, timedelta] = {
    State.reported: timedelta(minutes=30),  # one report: corroboration comes within minutes
    State.corroborated: timedelta(hours=1),
    State.verified: timedelta(hours=24),
    State.disputed: timedelta(hours=48),  # an inspection is due within 48 h (MFO rule)
    State.inspection: timedelta(hours=48),
    State.confirmed: timedelta(hours=24),
    State.dismissed: timedelta(minutes=1),
}
# A single sensor's kind -> MITRE `how` (see the module docstring).
HOW_OF_KIND: Mapping[str, str] = {
    "observer_patrol": "h-e",
    "third_party": "h-t",
    "satellite_thermal": "m-i",
    "satellite_optical": "m-i",
    "satellite_sar": "m-i",
    "camera": "m-i",
    "uav": "m-i",
    "acoustic_array": "m-v-u",
    "seismic": "m-v",
    "weapon_locating_radar": "m-a",
    "import_gateway": "m-p",
}
FUSED = "m-f"


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


def how_of(sensors: Iterable[tuple[str, str]]) -> str:
    """`how` from the evidence's (sensor id, sensor kind) pairs."""
    distinct = dict(sensors)
    if len(distinct) >= 2:
        return FUSED
    if not distinct:
        return "m-p"  # nothing on the log says where it came from
    (kind,) = distinct.values()
    return HOW_OF_KIND.get(kind, "m-p")


def incident_event(t: IncidentTransition, now: datetime, how: str = FUSED) -> bytes:
    """The `event` element of `t`, generated at `now` (no XML declaration: see `frame`)."""
    lon, lat = t.location
    event = etree.Element(
        "event",
        version="2.0",
        uid=f"truceline.{t.incident}",
        type=cot_type(t),
        time=cot_time(now),
        start=cot_time(t.at),
        stale=cot_time(now + VALIDITY[t.state]),
        how=how,
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
        evidence=str(len(t.evidence)),
    )
    return etree.tostring(event, encoding="UTF-8", xml_declaration=False)


def frame(event: bytes) -> bytes:
    """One event as a complete document on a TAK stream: declaration, newline, event."""
    return DECLARATION + b"\n" + event
