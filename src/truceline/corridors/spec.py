"""The corridors a forecast covers: the agreement's, or a GeoJSON file of LineStrings.

A corridors file is a FeatureCollection; each feature a LineString (lon, lat, WGS84) with
properties `id` (or the feature's id), `name`, `width_m` (default 2,000) and `windows`, a
list of {"start", "end"} RFC 3339 times when the corridor is open. Errors name the feature
and the field, and the whole file is refused (a forecast over part of a file would be
priced as if it were all of it).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry import LineString

from truceline.agreement.model import Agreement
from truceline.errors import TrucelineError

DEFAULT_WIDTH_M = 2000.0


class CorridorFileError(TrucelineError, ValueError):
    """A corridors file (or a corridor in it) that cannot be forecast."""

    code = "corridors"


@dataclass(frozen=True)
class CorridorSpec:
    id: str
    name: str
    line: LineString  # lon, lat
    width_m: float
    windows: tuple[tuple[datetime, datetime], ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "width_m": self.width_m,
            "coordinates": [list(c) for c in self.line.coords],
        }


def from_agreement(agreement: Agreement) -> list[CorridorSpec]:
    out = []
    for c in agreement.geography.corridors:
        lines = list(getattr(c.shape, "geoms", [c.shape]))
        line = max(lines, key=lambda g: g.length)
        windows = tuple(span for w in c.windows for span in w.occurrences())
        out.append(CorridorSpec(c.id, c.name, LineString(line.coords), float(c.width_m), windows))
    return out


def _time(where: str, value: Any) -> datetime:
    if not isinstance(value, str):
        raise CorridorFileError(f"{where}: expected an RFC 3339 time string, found {value!r}")
    try:
        t = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise CorridorFileError(f"{where}: not an RFC 3339 time: {value!r}") from None
    if t.tzinfo is None:
        raise CorridorFileError(f"{where}: the time needs a timezone (e.g. Z): {value!r}")
    return t.astimezone(UTC)


def _feature(i: int, f: Any) -> CorridorSpec:
    where = f"features[{i}]"
    if not isinstance(f, dict) or f.get("type") != "Feature":
        raise CorridorFileError(f"{where}: expected a GeoJSON Feature")
    props = f.get("properties") or {}
    if not isinstance(props, dict):
        raise CorridorFileError(f"{where}.properties: expected an object")
    ident = props.get("id", f.get("id"))
    if not isinstance(ident, str) or not ident:
        raise CorridorFileError(f"{where}: needs an `id` (a string, in properties or the feature)")
    where = f"{where} ({ident})"
    geom = f.get("geometry") or {}
    if not isinstance(geom, dict) or geom.get("type") != "LineString":
        raise CorridorFileError(f"{where}.geometry: expected a LineString")
    coords = geom.get("coordinates")
    try:
        pts = [(float(c[0]), float(c[1])) for c in coords]  # type: ignore[union-attr]
    except (TypeError, ValueError, IndexError):
        raise CorridorFileError(
            f"{where}.geometry.coordinates: expected [lon, lat] pairs"
        ) from None
    if len(pts) < 2 or len(set(pts)) < 2:
        raise CorridorFileError(f"{where}.geometry: a LineString needs two distinct positions")
    for lon, lat in pts:
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise CorridorFileError(
                f"{where}.geometry: position ({lon}, {lat}) is not a WGS84 lon, lat"
            )
    line = LineString(pts)
    if not shapely.is_valid(line) or not line.is_simple:
        raise CorridorFileError(f"{where}.geometry: the LineString crosses itself")
    width = props.get("width_m", DEFAULT_WIDTH_M)
    if isinstance(width, bool) or not isinstance(width, int | float) or not 0 < width <= 100_000:
        raise CorridorFileError(f"{where}.width_m: expected a number of metres in (0, 100,000]")
    raw = props.get("windows")
    if not isinstance(raw, list) or not raw:
        raise CorridorFileError(f"{where}.windows: expected a non-empty list of {{start, end}}")
    windows = []
    for k, w in enumerate(raw):
        if not isinstance(w, dict):
            raise CorridorFileError(f"{where}.windows[{k}]: expected {{start, end}}")
        a = _time(f"{where}.windows[{k}].start", w.get("start"))
        z = _time(f"{where}.windows[{k}].end", w.get("end"))
        if z <= a:
            raise CorridorFileError(
                f"{where}.windows[{k}]: ends ({w.get('end')}) before it starts ({w.get('start')})"
            )
        windows.append((a, z))
    name = props.get("name", "")
    return CorridorSpec(ident, str(name), line, float(width), tuple(sorted(windows)))


def load_file(path: Path) -> list[CorridorSpec]:
    try:
        doc = json.loads(path.read_bytes())
    except OSError as exc:
        raise CorridorFileError(f"{path}: cannot read: {exc.strerror}") from None
    except ValueError as exc:
        raise CorridorFileError(f"{path}: not JSON: {exc}") from None
    return parse(doc, str(path))


def parse(doc: Any, source: str = "corridors") -> list[CorridorSpec]:
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        raise CorridorFileError(f"{source}: expected a GeoJSON FeatureCollection")
    feats = doc.get("features")
    if not isinstance(feats, list) or not feats:
        raise CorridorFileError(f"{source}: features: expected a non-empty list")
    try:
        out = [_feature(i, f) for i, f in enumerate(feats)]
    except CorridorFileError as exc:
        raise CorridorFileError(f"{source}: {exc}") from None
    ids = [c.id for c in out]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise CorridorFileError(f"{source}: corridor id {dup[0]!r} given twice")
    return out


def to_geojson(corridors: list[CorridorSpec]) -> dict[str, Any]:
    """The corridors as a file `parse` reads back (what a forecast record embeds)."""
    from truceline.observation import format_time

    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "LineString", "coordinates": [list(p) for p in c.line.coords]},
                "properties": {
                    "id": c.id,
                    "name": c.name,
                    "width_m": c.width_m,
                    "windows": [
                        {"start": format_time(a), "end": format_time(z)} for a, z in c.windows
                    ],
                },
            }
            for c in corridors
        ],
    }
