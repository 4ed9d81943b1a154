"""What a file's own metadata says against the report that names it: its hash, the time and
place in its EXIF, a C2PA manifest if one is embedded. Mismatches are flagged, not hidden:
a photo taken 30 km from where the team reported, or a day earlier, is shown as such on
the incident page, and the report still stands for what the team said.

A pure function of the bytes and the signed observation, so anyone holding the log and the
file gets the same checks.
"""

from __future__ import annotations

import hashlib
import io
import math
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from truceline.observation import Observation

# How far the media's own time may be from the report's before it is flagged.
TIME_TOLERANCE = timedelta(minutes=30)
# EXIF times without an offset are the camera's local time: any zone, UTC-12 to UTC+14.
UNZONED_TOLERANCE = timedelta(hours=14)
# Beyond the report's own uncertainty, how far the media's GPS position may be.
PLACE_TOLERANCE_M = 1000.0

_EXIF_IFD = 0x8769
_GPS_IFD = 0x8825
_DATETIME_ORIGINAL = 0x9003
_OFFSET_TIME_ORIGINAL = 0x9011


def _check(name: str, status: str, detail: str) -> dict[str, str]:
    return {"check": name, "status": status, "detail": detail}


def _exif(data: bytes) -> tuple[dict[int, Any], dict[int, Any]] | None:
    """(Exif sub-IFD, GPS IFD) of an image, or None if it has no EXIF Pillow can read."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            exif = image.getexif()
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        return None
    if not exif:
        return None
    return dict(exif.get_ifd(_EXIF_IFD)), dict(exif.get_ifd(_GPS_IFD))


def _media_time(ifd: dict[int, Any]) -> tuple[datetime, bool] | None:
    """The time the media was taken, and whether its zone is known."""
    text = ifd.get(_DATETIME_ORIGINAL)
    if not isinstance(text, str):
        return None
    try:
        when = datetime.strptime(text.strip("\x00 "), "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    offset = ifd.get(_OFFSET_TIME_ORIGINAL)
    if isinstance(offset, str) and len(offset.strip("\x00")) == 6:
        o = offset.strip("\x00")
        sign = -1 if o[0] == "-" else 1
        delta = timedelta(hours=int(o[1:3]), minutes=int(o[4:6])) * sign
        return when.replace(tzinfo=timezone(delta)).astimezone(UTC), True
    return when.replace(tzinfo=UTC), False


def _degrees(value: Any, ref: Any) -> float:
    d, m, s = (float(x) for x in value)
    out = d + m / 60 + s / 3600
    return -out if str(ref).strip("\x00") in ("S", "W") else out


def _media_place(gps: dict[int, Any]) -> tuple[float, float] | None:
    try:
        lat = _degrees(gps[2], gps[1])
        lon = _degrees(gps[4], gps[3])
    except (KeyError, TypeError, ValueError, ZeroDivisionError):
        return None
    return (lon, lat) if math.isfinite(lat) and math.isfinite(lon) else None


def _distance_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    from truceline.enforcement.routing import haversine_km

    return haversine_km(a, b) * 1000.0


def _c2pa(data: bytes) -> dict[str, str]:
    # A C2PA manifest store is a JUMBF box labelled "c2pa" (JPEG APP11, PNG caBX, BMFF uuid).
    if b"jumb" in data and b"c2pa" in data:
        return _check(
            "c2pa",
            "unverified",
            "a C2PA manifest is embedded; this installation does not validate C2PA "
            "signatures (check it with c2patool)",
        )
    return _check("c2pa", "absent", "no C2PA manifest")


def media_checks(data: bytes, sha256: str, obs: Observation) -> list[dict[str, str]]:
    """Each check: {"check", "status": ok | flag | absent | unverified, "detail"}."""
    actual = hashlib.sha256(data).hexdigest()
    out = [
        _check("sha256", "ok", f"matches the signed report {obs.sensor} #{obs.seq}")
        if actual == sha256
        else _check("sha256", "flag", f"the file's SHA-256 is {actual}, the report names {sha256}")
    ]
    meta = _exif(data)
    exif, gps = meta if meta is not None else ({}, {})
    taken = _media_time(exif)
    if taken is None:
        out.append(_check("time", "absent", "the file states no time it was taken"))
    else:
        when, zoned = taken
        gap = abs(when - obs.observed_at)
        limit = TIME_TOLERANCE if zoned else UNZONED_TOLERANCE
        zone = "" if zoned else " (no time zone in the file: its local time, read as UTC)"
        status = "ok" if gap <= limit else "flag"
        out.append(
            _check(
                "time",
                status,
                f"taken {when.isoformat()}{zone}, {gap.total_seconds() / 60:.0f} min from "
                f"the report's {obs.observed_at.isoformat()}",
            )
        )
    place = _media_place(gps)
    if place is None:
        out.append(_check("place", "absent", "the file states no position"))
    else:
        dist = _distance_m(place, obs.lonlat)
        allowed = obs.uncertainty_m + (obs.attributes.position_accuracy_m or 0) + PLACE_TOLERANCE_M
        out.append(
            _check(
                "place",
                "ok" if dist <= allowed else "flag",
                f"taken at {place[1]:.5f}, {place[0]:.5f}, {dist:.0f} m from the report's "
                f"position (allowed {allowed:.0f} m)",
            )
        )
    out.append(_c2pa(data))
    return out
