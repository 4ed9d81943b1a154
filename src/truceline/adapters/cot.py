"""Cursor-on-Target (CoT 2.0 XML, as TAK servers and feeders emit it) -> observations.

The reader takes a .cot file, a stream of concatenated <event>s, or a feeder's console
log with events mixed into other output: it cuts out every `<event ...>...</event>`
and counts the lines that hold no part of an event as `counts.noise` (not rows). A row is
one event, numbered from 0 in file order. Each event is parsed on its own by lxml with
entity expansion, DTD loading and network access switched off.

Mapping (docs/adapters.md has the full table):
- type `a-<affiliation>-<dimension>-<function>`: hostile and any other affiliation alike.
  Artillery, rocket artillery, armour, air defence and weapon/vehicle equipment ->
  heavy_weapon_sighting (with weapon_class); other ground units and SOF ->
  troop_movement; UAVs -> uav_sighting; military aircraft and sea combatants ->
  heavy_weapon_sighting. Installations (G-I), non-atoms (b-, u-, t-: drawings, routes,
  tasking) and the sender's own position (an event carrying detail/takv, the TAK self
  report or a feeder heartbeat) are RowErrors on field `type`/`detail/takv`: they are not
  observations of anything.
- observed_at = event@time. uncertainty_m = point@ce; ce = 9999999 means unknown and is
  set to the 1,000,000 m ceiling, recorded as a repair.
- how `m-r` (relayed) and `h-*` from a third-party feed are `reported`; `m-*` machine
  sources `recorded`; `h-*` human entries `seen`.
- A timestamp in 1970 that becomes plausible when its epoch value is multiplied by 1000
  (seconds that were read as milliseconds) is corrected and the correction recorded:
  plausible means from 2000 up to a day after a reference, which is the event's time for
  link@production_time (e.g. the deepstate feeder's "1970-01-20T11:55:31.924Z") and the
  event's stale time for event@time. No wall clock is involved.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from lxml import etree

from truceline.adapters.base import Adapter, FieldError, Record, RowContext, RowError, clip
from truceline.adapters.lines import xml_pieces
from truceline.observation import (
    Attributes,
    Kind,
    Observation,
    Perception,
    Point,
    WeaponClass,
    format_time,
)
from truceline.publication.xml import safe_parser
from truceline.rfc3339 import MAX_FRACTION_DIGITS

UNKNOWN_ERROR = 9_999_999.0
CEILING_M = 1_000_000.0
MAX_EVENT_CHARS = 1 << 20  # an event longer than this is refused, keeping memory bounded
REMARKS_LIMIT = 2_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_PLAUSIBLE_FROM = datetime(2000, 1, 1, tzinfo=UTC)
_LATEST = datetime(2100, 1, 1, tzinfo=UTC)
_FRACTION = re.compile(r":\d\d\.(\d+)")

AFFILIATIONS = {
    "p": "pending",
    "u": "unknown",
    "a": "assumed_friend",
    "f": "friend",
    "n": "neutral",
    "s": "suspect",
    "h": "hostile",
    "j": "joker",
    "k": "faker",
    "o": "none",
    "x": "other",
}

# (dimension-function prefix, kind, weapon class); the longest matching prefix wins.
TYPE_MAP: tuple[tuple[str, Kind, WeaponClass | None], ...] = (
    ("G-U-C-F-R", Kind.heavy_weapon_sighting, WeaponClass.mlrs),  # rocket artillery
    ("G-U-C-F", Kind.heavy_weapon_sighting, WeaponClass.artillery),  # field artillery
    ("G-U-C-A", Kind.heavy_weapon_sighting, WeaponClass.tank),  # armour
    ("G-U-C-D", Kind.heavy_weapon_sighting, WeaponClass.missile),  # air defence
    ("G-E-W-R", Kind.heavy_weapon_sighting, WeaponClass.mlrs),  # rocket launcher
    ("G-E-W-M", Kind.heavy_weapon_sighting, WeaponClass.missile),  # missile launcher
    ("G-E-W-H", Kind.heavy_weapon_sighting, WeaponClass.artillery),  # howitzer
    ("G-E-W-G", Kind.heavy_weapon_sighting, WeaponClass.artillery),  # gun
    ("G-E-W-O", Kind.heavy_weapon_sighting, WeaponClass.mortar),  # mortar
    ("G-E-W", Kind.heavy_weapon_sighting, WeaponClass.unknown),  # other weapon
    ("G-E-V-A-T", Kind.heavy_weapon_sighting, WeaponClass.tank),
    ("G-E-V-A", Kind.heavy_weapon_sighting, WeaponClass.unknown),  # armoured vehicle
    ("G-U", Kind.troop_movement, None),  # any other ground unit
    ("G-E", Kind.troop_movement, None),  # other ground equipment
    ("G", Kind.troop_movement, None),  # ground, no function given
    ("F", Kind.troop_movement, None),  # special operations forces
    ("A-M-F-Q", Kind.uav_sighting, WeaponClass.drone),
    ("A-C-F-Q", Kind.uav_sighting, WeaponClass.drone),
    ("A-M", Kind.heavy_weapon_sighting, WeaponClass.aircraft),
    ("S-C", Kind.heavy_weapon_sighting, WeaponClass.unknown),  # sea combatant
)


def map_type(cot_type: str) -> tuple[str, Kind, WeaponClass | None]:
    """CoT type -> (affiliation, kind, weapon class); FieldError when it is no observation."""
    base = cot_type.split(";", 1)[0]
    parts = base.split("-")
    if parts[0] != "a" or len(parts) < 3:
        raise FieldError(
            "type",
            f"{cot_type!r:.60} is not an atom (a-...): drawings, routes, "
            "points and tasking are not observations",
        )
    affiliation = AFFILIATIONS.get(parts[1])
    if affiliation is None:
        raise FieldError("type", f"{cot_type!r:.60}: unknown affiliation {parts[1]!r:.10}")
    rest = "-".join(parts[2:])
    if rest == "G-I" or rest.startswith("G-I-"):
        raise FieldError("type", f"{cot_type}: a ground installation, not an observable event")
    for prefix, kind, weapon in TYPE_MAP:
        if rest == prefix or rest.startswith(prefix + "-"):
            return affiliation, kind, weapon
    raise FieldError("type", f"{cot_type!r:.60}: no observation kind for this CoT type")


def cot_time(raw: str | None, name: str) -> datetime:
    if raw is None or not raw.strip():
        raise FieldError(name, "missing")
    digits = _FRACTION.search(raw)
    if digits is not None and len(digits[1]) > MAX_FRACTION_DIGITS:
        # fromisoformat would drop the digits past microseconds: refused, not truncated
        raise FieldError(name, f"{raw!r:.60} has {len(digits[1])} fractional digits, at most 6")
    try:
        value = datetime.fromisoformat(raw.strip())
        if value.tzinfo is None:
            # CoT times are UTC by definition (the schema examples all end in Z)
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
    except (ValueError, OverflowError):
        raise FieldError(name, f"{raw!r:.60} is not an xs:dateTime in range") from None


def seconds_as_milliseconds(value: datetime, reference: datetime) -> datetime | None:
    """The corrected time if `value` is an epoch-seconds count that was read as milliseconds."""
    if value.year != 1970:
        return None
    fixed = _EPOCH + (value - _EPOCH) * 1000
    if _PLAUSIBLE_FROM <= fixed <= min(reference, _LATEST) + timedelta(days=1):
        return fixed
    return None


def _attr_float(elem: Any, name: str, label: str) -> float | None:
    raw = elem.get(name)
    if raw is None:
        return None
    try:
        value = float(raw)
    except ValueError:
        raise FieldError(label, f"{raw!r:.40} is not a number") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise FieldError(label, f"{raw!r:.40} is not a finite number")
    return value


def _fmt(value: datetime) -> str:
    return format_time(value)


def _event_tag(line: str, pos: int) -> int:
    """Index of the next `<event` start tag at or after pos (not `<eventful>`), or -1."""
    while True:
        found = line.find("<event", pos)
        if found < 0:
            return -1
        after = line[found + 6 : found + 7]
        if not after or after.isspace() or after in ">/":
            return found
        pos = found + 6


@dataclass
class _Scan:
    """Cuts events out of a text stream line by line, holding at most one event in memory."""

    noise: int = 0

    def events(self, lines: Iterator[str]) -> Iterator[tuple[str, bool]]:
        """(event text, complete) for every <event in the stream, in order."""
        buf: list[str] | None = None
        size = 0
        for line in lines:
            pos = 0
            touched = buf is not None
            while True:
                if buf is None:
                    start = _event_tag(line, pos)
                    if start < 0:
                        break
                    touched = True
                    buf, size, pos = [], 0, start
                    search_from = start + 6
                else:
                    search_from = pos
                end = line.find("</event>", pos)
                nxt = _event_tag(line, search_from)
                if nxt >= 0 and (end < 0 or nxt < end):
                    # a new event starts before this one closed: this one was cut off
                    buf.append(line[pos:nxt])
                    yield "".join(buf), False
                    buf, pos = None, nxt
                    continue
                if end < 0:
                    if size <= MAX_EVENT_CHARS:
                        buf.append(line[pos:])
                        size += len(line) - pos
                    break
                buf.append(line[pos : end + 8])
                complete = size <= MAX_EVENT_CHARS
                yield "".join(buf), complete
                buf, pos = None, end + 8
            if not touched and line.strip() and not line.lstrip().startswith("<?xml"):
                self.noise += 1
        if buf is not None:
            yield "".join(buf), False


class CotAdapter(Adapter):
    format = "cot"

    def records(self, path: Path) -> Iterator[Record | RowError]:
        scan = _Scan()
        with path.open(encoding="utf-8", errors="replace") as fh:
            for row, (chunk, complete) in enumerate(scan.events(xml_pieces(fh))):
                self.counts.noise = scan.noise
                if not complete:
                    yield RowError(
                        row,
                        "event",
                        "truncated: no closing </event> (or longer than "
                        f"{MAX_EVENT_CHARS} characters)",
                        clip(chunk),
                    )
                    continue
                try:
                    elem = etree.fromstring(chunk.encode("utf-8"), safe_parser(strip=True))
                except etree.XMLSyntaxError as exc:
                    yield RowError(row, "event", f"not well-formed XML: {exc}", clip(chunk))
                    continue
                yield Record(row, chunk, elem)
        self.counts.noise = scan.noise

    def convert(self, value: Any, ctx: RowContext) -> Observation:
        event = value
        if event.tag != "event":
            raise FieldError("event", f"root element is <{event.tag}>, not <event>")
        cot_type = event.get("type")
        if not cot_type:
            raise FieldError("type", "missing")
        detail = event.find("detail")
        if detail is not None and detail.find("takv") is not None:
            raise FieldError(
                "detail/takv",
                "the sender's own position report (TAK self "
                "report or feeder heartbeat), not an observation",
            )
        affiliation, kind, weapon = map_type(cot_type)
        time = cot_time(event.get("time"), "time")
        # the event's own stale time bounds a repaired event time (never the wall clock)
        stale_raw = event.get("stale")
        bound = _LATEST
        if stale_raw:
            with contextlib.suppress(FieldError):
                bound = max(cot_time(stale_raw, "stale"), _PLAUSIBLE_FROM)
        fixed = seconds_as_milliseconds(time, bound)
        if fixed is not None:
            ctx.repair(
                f"time: {event.get('time')} read seconds as milliseconds, corrected to {_fmt(fixed)}"
            )
            time = fixed
        elif time < _PLAUSIBLE_FROM:
            raise FieldError("time", f"{event.get('time')} is before 2000")
        point = event.find("point")
        if point is None:
            raise FieldError("point", "missing")
        lat = _attr_float(point, "lat", "point@lat")
        lon = _attr_float(point, "lon", "point@lon")
        if lat is None or lon is None:
            raise FieldError("point@lat" if lat is None else "point@lon", "missing")
        if not -90 <= lat <= 90:
            raise FieldError("point@lat", f"{lat} is outside [-90, 90]")
        if not -180 <= lon <= 180:
            raise FieldError("point@lon", f"{lon} is outside [-180, 180]")
        ce = _attr_float(point, "ce", "point@ce")
        if ce is None or ce >= UNKNOWN_ERROR:
            ctx.repair(
                f"point@ce: {point.get('ce', 'absent')} means unknown; uncertainty set to the {CEILING_M:.0f} m ceiling"
            )
            uncertainty = CEILING_M
        elif ce < 0:
            raise FieldError("point@ce", f"{ce} is negative")
        else:
            uncertainty = min(ce, CEILING_M)
            if ce > CEILING_M:
                ctx.repair(f"point@ce: {ce} above the ceiling, set to {CEILING_M:.0f} m")
        how = event.get("how") or ""
        if how == "m-r":  # relayed from another source: a report, not our own sighting
            perception = Perception.reported
        elif how.startswith("m-"):
            perception = Perception.recorded
        elif how.startswith("h-"):
            perception = Perception.seen
        else:
            perception = Perception.reported
        attrs: dict[str, Any] = {
            "perception": perception,
            "cot_type": cot_type,
            "cot_uid": event.get("uid"),
            "affiliation": affiliation,
            "how": how or None,
        }
        if weapon is not None:
            attrs["weapon_class"] = weapon
        for name in ("hae", "le"):
            found = _attr_float(point, name, f"point@{name}")
            if found is not None and found < UNKNOWN_ERROR:
                attrs[f"{name}_m"] = found
        stale = event.get("stale")
        if stale:
            attrs["stale"] = _fmt(cot_time(stale, "stale"))
        if detail is not None:
            self._detail(detail, time, attrs, ctx)
        attrs["provenance"] = ctx.provenance()
        return Observation(
            sensor="import",
            seq=ctx.row,
            observed_at=time,
            kind=kind,
            geometry=Point(coordinates=(lon, lat)),
            uncertainty_m=uncertainty,
            attributes=Attributes(**{k: v for k, v in attrs.items() if v is not None}),
        )

    @staticmethod
    def _detail(detail: Any, time: datetime, attrs: dict[str, Any], ctx: RowContext) -> None:
        contact = detail.find("contact")
        if contact is not None and contact.get("callsign"):
            attrs["callsign"] = contact.get("callsign").strip()
        remarks = detail.find("remarks")
        if remarks is not None and remarks.text and remarks.text.strip():
            note = remarks.text.strip()
            if len(note) > REMARKS_LIMIT:
                ctx.repair(f"detail/remarks: {len(note)} characters cut to {REMARKS_LIMIT}")
                note = note[:REMARKS_LIMIT]
            attrs["remarks"] = note
        link = detail.find("link")
        if link is not None and link.get("production_time"):
            raw = link.get("production_time")
            produced = cot_time(raw, "link@production_time")
            fixed = seconds_as_milliseconds(produced, time)
            if fixed is not None:
                ctx.repair(
                    f"link@production_time: {raw} read seconds as milliseconds, corrected to {_fmt(fixed)}"
                )
                produced = fixed
            attrs["production_time"] = _fmt(produced)
            if link.get("parent_callsign"):
                attrs["parent_callsign"] = link.get("parent_callsign")
