"""NASA FIRMS active-fire CSV: one fire pixel per row -> kind thermal_anomaly.

Three schemas, told apart by the header (case-insensitive):

- VIIRS 375 m: latitude, longitude, bright_ti4, scan, track, acq_date, acq_time,
  satellite, confidence (l/n/h or low/nominal/high), version, bright_ti5, frp, daynight
  [, instrument, type].
- MODIS 1 km: the same with brightness and bright_t31, and confidence 0-100.
- Date-only extracts (e.g. the yearly Ukraine files): latitude, longitude, acq_date.

Conventions (see docs/adapters.md):
- observed_at is acq_date + acq_time UTC. acq_time may be HHMM (also as an integer
  without leading zeros, e.g. 45 = 00:45), HH:MM or HH:MM:SS.
- Date-only rows are stamped 00:00Z of acq_date; the true time is anywhere in that UTC
  day, so `time_uncertainty_s` is 86400 and the fill is recorded as a repair.
- The point is the pixel centre; uncertainty_m is half the pixel diagonal, from scan x
  track (km). Without scan/track: the nominal pixel, 375 m for VIIRS, 1 km for MODIS and
  for date-only rows (their instrument is not recorded; 1 km is the conservative choice).
- confidence is normalized to [0, 1]: MODIS percent / 100; the VIIRS classes take the
  middle of the MODIS range FIRMS gives for the same class (low < 30, nominal 30-80,
  high > 80): low 0.15, nominal 0.55, high 0.9.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from truceline.adapters.base import Adapter, FieldError, Record, RowContext, RowError, SourceError
from truceline.adapters.fields import iso_date, lonlat, need, number, text
from truceline.adapters.tabular import csv_header, csv_records
from truceline.codec.jcs import canonicalize
from truceline.observation import Attributes, Kind, Observation, Perception, Point, format_time

VIIRS_CONFIDENCE = {"l": 0.15, "low": 0.15, "n": 0.55, "nominal": 0.55, "h": 0.9, "high": 0.9}
NOMINAL_PIXEL_KM = {"VIIRS": 0.375, "MODIS": 1.0, "UNKNOWN": 1.0}
DAY_S = 86_400
_HHMM = re.compile(r"^\d{1,4}$")
_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")
DATE_ONLY_REPAIR = "acq_time: absent (date-only schema); observed_at set to 00:00Z of acq_date"


def _string(value: str) -> str:
    # RFC 8785 strings are what the C JSON encoder writes without ASCII escaping (the same
    # encoder `jcs.canonicalize` uses); a lone surrogate fails at UTF-8 encoding later
    return json.dumps(value, ensure_ascii=False)


def _number(value: float | int) -> str:
    # repr is ES6's shortest form in this range (as in `jcs.canonicalize`'s fast path)
    if type(value) is float and 1e-4 <= abs(value) < 1e16 and not value.is_integer():
        return repr(value)
    return canonicalize(value).decode("ascii")


def _schema(header: list[str]) -> str:
    names = set(header)
    if {"latitude", "longitude", "acq_date"} - names:
        raise SourceError(
            f"not a FIRMS CSV: header {header!r:.200} lacks latitude, longitude or acq_date"
        )
    if "bright_ti4" in names:
        return "VIIRS"
    if "brightness" in names:
        return "MODIS"
    if names == {"latitude", "longitude", "acq_date"}:
        return "DATE_ONLY"
    raise SourceError(
        f"not a FIRMS CSV: header {header!r:.200} has neither bright_ti4 (VIIRS) nor "
        "brightness (MODIS), and is not the three-column latitude,longitude,acq_date form"
    )


def acq_clock(raw: str) -> timedelta:
    """HHMM (1-4 digits), HH:MM or HH:MM:SS -> time of day."""
    raw = raw.strip()
    if _HHMM.match(raw):
        hours, minutes, seconds = int(raw) // 100, int(raw) % 100, 0
    else:
        match = _CLOCK.match(raw)
        if not match:
            raise FieldError("acq_time", f"{raw!r:.40} is not HHMM, HH:MM or HH:MM:SS")
        hours, minutes, seconds = int(match[1]), int(match[2]), int(match[3] or 0)
    if hours > 23 or minutes > 59 or seconds > 59:
        raise FieldError("acq_time", f"{raw!r:.40} is not a time of day")
    return timedelta(hours=hours, minutes=minutes, seconds=seconds)


def pixel_uncertainty_m(scan_km: float, track_km: float) -> float:
    """Half the pixel diagonal: the farthest the fire can be from the pixel centre."""
    return round(500.0 * math.hypot(scan_km, track_km), 1)


class FirmsAdapter(Adapter):
    format = "firms"

    def __init__(self, uploader: str | None = None) -> None:
        super().__init__(uploader)
        self.schema = "UNKNOWN"
        self._days: dict[str, datetime] = {}
        self._times: dict[datetime, str] = {}

    def _midnight(self, raw: str) -> datetime:
        # a file holds few distinct dates, so parse each once
        found = self._days.get(raw)
        if found is None:
            day = iso_date(raw, "acq_date")
            found = self._days[raw] = datetime(day.year, day.month, day.day, tzinfo=UTC)
        return found

    def records(self, path: Path) -> Iterator[Record | RowError]:
        self.schema = _schema(csv_header(path))
        return csv_records(path)

    def convert(self, value: dict[str, Any], ctx: RowContext) -> Observation:
        schema = self.schema
        coords = lonlat(value, "latitude", "longitude")
        observed_at = self._midnight(text(value, "acq_date") or "")
        attrs: dict[str, Any] = {"perception": Perception.recorded}
        if schema == "DATE_ONLY":
            ctx.repair(DATE_ONLY_REPAIR)
            attrs["time_uncertainty_s"] = DAY_S
            pixel = NOMINAL_PIXEL_KM["UNKNOWN"]
            uncertainty = pixel_uncertainty_m(pixel, pixel)
        else:
            observed_at += acq_clock(text(value, "acq_time") or "")
            attrs["instrument"] = (text(value, "instrument", required=False) or schema).upper()
            for name in ("satellite", "version", "daynight", "type"):
                found = text(value, name, required=False)
                if found is not None:
                    attrs["firms_type" if name == "type" else name] = found
            scan = number(value, "scan", required=False, low=0.0, high=50.0)
            track = number(value, "track", required=False, low=0.0, high=50.0)
            if scan is not None and track is not None:
                attrs["pixel_km"] = [scan, track]
                uncertainty = pixel_uncertainty_m(scan, track)
            else:
                pixel = NOMINAL_PIXEL_KM[schema]
                ctx.repair(f"scan/track: absent; nominal {schema} pixel of {pixel} km assumed")
                uncertainty = pixel_uncertainty_m(pixel, pixel)
            frp = number(value, "frp", required=False, low=0.0)
            if frp is not None:
                attrs["frp_mw"] = frp
            if schema == "VIIRS":
                attrs["bright_ti4_k"] = number(value, "bright_ti4", required=False, low=0.0)
                attrs["bright_ti5_k"] = number(value, "bright_ti5", required=False, low=0.0)
                raw_conf = text(value, "confidence", required=False)
                if raw_conf is not None:
                    key = raw_conf.lower()
                    if key not in VIIRS_CONFIDENCE:
                        raise FieldError(
                            "confidence", f"{raw_conf!r:.40} is not l/n/h or low/nominal/high"
                        )
                    attrs["confidence"] = VIIRS_CONFIDENCE[key]
                    attrs["confidence_class"] = raw_conf
            else:
                attrs["brightness_k"] = number(value, "brightness", required=False, low=0.0)
                attrs["bright_t31_k"] = number(value, "bright_t31", required=False, low=0.0)
                pct = number(value, "confidence", required=False, low=0.0, high=100.0)
                if pct is not None:
                    attrs["confidence"] = pct / 100.0
        attrs["provenance"] = ctx.provenance()
        attrs = {k: v for k, v in attrs.items() if v is not None}
        return Observation(
            sensor="import",
            seq=ctx.row,
            observed_at=observed_at,
            kind=Kind.thermal_anomaly,
            geometry=Point(coordinates=coords),
            uncertainty_m=need(uncertainty, "scan"),
            attributes=Attributes(**attrs),
        )

    def payload(self, observation: Observation, sensor: str, seq: int) -> bytes | None:
        """Date-only rows (the yearly files, 10^5 rows): their payload written directly, the
        keys in RFC 8785 order, instead of model_dump + canonicalize (≈ 55 µs a row). The
        observation is the validated model `convert` built; every value comes from it.
        Any other shape returns None (the general path)."""
        attrs = observation.attributes
        prov = attrs.provenance
        point = observation.geometry
        if (
            self.schema != "DATE_ONLY"
            or not isinstance(point, Point)
            or prov is None
            or prov.repairs != [DATE_ONLY_REPAIR]
            or attrs.model_fields_set != {"perception", "time_uncertainty_s", "provenance"}
            or attrs.media_sha256
            or attrs.model_extra != {"time_uncertainty_s": DAY_S}
            or observation.model_fields_set
            != {"sensor", "seq", "observed_at", "kind", "geometry", "uncertainty_m", "attributes"}
        ):
            return None
        when = self._times.get(observation.observed_at)
        if when is None:
            when = self._times[observation.observed_at] = _string(
                format_time(observation.observed_at)
            )
        coords = ",".join(_number(c) for c in point.coordinates)
        text = (
            '{"attributes":{"media_sha256":[],"perception":'
            + _string(attrs.perception.value if attrs.perception is not None else "")
            + ',"provenance":{"format":'
            + _string(prov.format)
            + ',"repairs":['
            + _string(DATE_ONLY_REPAIR)
            + '],"row":'
            + _number(prov.row)
            + ',"sha256":'
            + _string(prov.sha256)
            + ',"source":'
            + _string(prov.source)
            + (',"uploader":' + _string(prov.uploader) if prov.uploader is not None else "")
            + '},"time_uncertainty_s":'
            + _number(DAY_S)
            + '},"geometry":{"coordinates":['
            + coords
            + '],"type":"Point"},"kind":'
            + _string(observation.kind.value)
            + ',"observed_at":'
            + when
            + ',"sensor":'
            + _string(sensor)
            + ',"seq":'
            + _number(seq)
            + ',"uncertainty_m":'
            + _number(observation.uncertainty_m)
            + "}"
        )
        return text.encode("utf-8")
