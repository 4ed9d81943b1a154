"""What a file's own metadata says against the report that names it: its hash, the time and
place in its EXIF, and a C2PA manifest's signature, hashes, signer, time and place
(c2pacheck.py). Mismatches are flagged, not hidden:
a photo taken 30 km from where the team reported, or a day earlier, is shown as such on
the incident page, and the report still stands for what the team said.

A pure function of the bytes, the signed observation and this installation's C2PA trust
anchors, so anyone holding the log, the file and the same anchors gets the same checks.
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


def _check(name: str, status: str, detail: str) -> dict[str, Any]:
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


def _time_check(
    name: str, source: str, taken: tuple[datetime, bool] | None, obs: Observation
) -> dict[str, Any]:
    if taken is None:
        return _check(name, "absent", f"{source} states no time it was taken")
    when, zoned = taken
    gap = abs(when - obs.observed_at)
    limit = TIME_TOLERANCE if zoned else UNZONED_TOLERANCE
    zone = "" if zoned else " (no time zone stated: its local time, read as UTC)"
    return _check(
        name,
        "ok" if gap <= limit else "flag",
        f"{source}: taken {when.isoformat()}{zone}, {gap.total_seconds() / 60:.0f} min from "
        f"the report's {obs.observed_at.isoformat()}",
    )


def _place_check(
    name: str, source: str, place: tuple[float, float] | None, obs: Observation
) -> dict[str, Any]:
    if place is None:
        return _check(name, "absent", f"{source} states no position")
    dist = _distance_m(place, obs.lonlat)
    allowed = obs.uncertainty_m + (obs.attributes.position_accuracy_m or 0) + PLACE_TOLERANCE_M
    return _check(
        name,
        "ok" if dist <= allowed else "flag",
        f"{source}: taken at {place[1]:.5f}, {place[0]:.5f}, {dist:.0f} m from the report's "
        f"position (allowed {allowed:.0f} m)",
    )


_C2PA_STATUS = {"trusted": "ok", "untrusted": "untrusted", "invalid": "flag", "unreadable": "flag"}


def _c2pa(data: bytes, obs: Observation, anchors: str | None) -> list[dict[str, Any]]:
    from truceline.field.c2pacheck import validate
    from truceline.field.media import sniff

    result = validate(data, sniff(data) or "application/octet-stream", anchors)
    if result is None:
        return [_check("c2pa", "absent", "no C2PA manifest")]
    signer = f"signer {result.signer_subject or '?'}, issued by {result.signer_issuer or '?'}"
    if result.state == "trusted":
        detail = f"valid signature, trusted signer ({signer}); the claim's hashes match the file"
    elif result.state == "untrusted":
        detail = (
            f"valid signature, untrusted signer ({signer}: no trust anchor of this "
            "installation issued it); the claim's hashes match the file"
        )
    else:
        detail = f"INVALID manifest ({signer}): " + "; ".join(result.failures)
    head = {**_check("c2pa", _C2PA_STATUS[result.state], detail), "manifest": result.as_json()}
    source = "the C2PA manifest"
    if result.state != "trusted":
        source += f" ({'untrusted' if result.state == 'untrusted' else 'invalid'})"
    return [
        head,
        _time_check("c2pa_time", source, result.captured_at, obs),
        _place_check("c2pa_place", source, result.place, obs),
    ]


def media_checks(
    data: bytes, sha256: str, obs: Observation, anchors: str | None = None
) -> list[dict[str, Any]]:
    """Each check: {"check", "status": ok | flag | absent | untrusted, "detail"}; the c2pa
    check also has "manifest" (c2pacheck.C2paResult.as_json). `anchors`: the PEM C2PA trust
    anchors of this installation (c2pacheck.trust_anchors)."""
    actual = hashlib.sha256(data).hexdigest()
    out = [
        _check("sha256", "ok", f"matches the signed report {obs.sensor} #{obs.seq}")
        if actual == sha256
        else _check("sha256", "flag", f"the file's SHA-256 is {actual}, the report names {sha256}")
    ]
    meta = _exif(data)
    exif, gps = meta if meta is not None else ({}, {})
    out.append(_time_check("time", "EXIF", _media_time(exif), obs))
    out.append(_place_check("place", "EXIF", _media_place(gps), obs))
    out.extend(_c2pa(data, obs, anchors))
    return out
