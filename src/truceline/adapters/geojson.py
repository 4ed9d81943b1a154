"""GeoJSON (RFC 7946) features -> observations, one row per feature.

Input: a FeatureCollection, a single Feature, or GeoJSON text sequences / one Feature per
line (.geojsonl, .geojsons, .jsonl, .ndjson: streamed line by line). A FeatureCollection
is read whole, so it is at most MAX_COLLECTION_BYTES (64 MiB); larger collections must be
converted to one feature per line. A line is at most 1 MiB; JSON nests at most 64 levels
(`codec.jsonlimits`).

Feature properties (documented names):
  kind           required  an observation kind (explosion, impact, ...)
  time           required  RFC 3339 with offset (`observed_at` is accepted as well)
  uncertainty_m  required  metres
  perception, weapon_class, calibre_mm, bearing_deg, distance_band_m, count, frp_mw,
  confidence, media_sha256   optional, as in Observation.attributes
  any other property is kept in attributes; `provenance` is reserved.

Geometry: Point, LineString or Polygon (longitude first). A third coordinate (height)
is dropped and recorded as a repair; other geometry types are a RowError.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from truceline.adapters.base import (
    Adapter,
    FieldError,
    Record,
    RowContext,
    RowError,
    SourceError,
    clip,
    describe_validation,
)
from truceline.adapters.fields import enum_value, need, number, rfc3339, text
from truceline.adapters.lines import MAX_LINE_CHARS, lines
from truceline.adapters.tabular import JSONL_SUFFIXES
from truceline.codec import jcs
from truceline.observation import Attributes, Kind, Observation

MAX_COLLECTION_BYTES = 64 * 1024 * 1024
GEOMETRY_TYPES = ("Point", "LineString", "Polygon")
RESERVED = ("provenance",)
TIME_KEYS = ("time", "observed_at")


def loads(raw: str) -> Any:
    """JSON as RFC 8785 reads it (`jcs.loads`): no NaN/Infinity (which Python's json
    accepts), integers beyond 2^53 as doubles, nested at most 64 levels."""
    return jcs.loads(raw)


def _flat(position: Any, ctx: RowContext, state: dict[str, bool]) -> tuple[float, float]:
    if not isinstance(position, list) or len(position) < 2:
        raise FieldError("geometry.coordinates", f"position {position!r:.60} is not [lon, lat]")
    if len(position) > 3:
        raise FieldError(
            "geometry.coordinates", f"position {position!r:.60} has more than 3 numbers"
        )
    if len(position) == 3 and not state.get("z"):
        state["z"] = True
        ctx.repair("geometry: third coordinate (height) dropped")
    lon, lat = position[0], position[1]
    for val in (lon, lat):
        if isinstance(val, bool) or not isinstance(val, int | float):
            raise FieldError("geometry.coordinates", f"{val!r:.30} is not a number")
    if not -180 <= lon <= 180:
        raise FieldError("geometry.coordinates", f"longitude {lon} is outside [-180, 180]")
    if not -90 <= lat <= 90:
        raise FieldError("geometry.coordinates", f"latitude {lat} is outside [-90, 90]")
    return (float(lon), float(lat))


def geometry(raw: Any, ctx: RowContext) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise FieldError("geometry", "missing or not an object (null geometry)")
    kind = raw.get("type")
    if kind not in GEOMETRY_TYPES:
        raise FieldError("geometry.type", f"{kind!r:.40} is not one of {', '.join(GEOMETRY_TYPES)}")
    coords: Any = raw.get("coordinates")
    state: dict[str, bool] = {}
    try:
        if kind == "Point":
            flat: Any = _flat(coords, ctx, state)
        elif kind == "LineString":
            flat = [_flat(p, ctx, state) for p in coords]
        else:
            flat = [[_flat(p, ctx, state) for p in ring] for ring in coords]
    except TypeError:
        raise FieldError("geometry.coordinates", f"not nested as a {kind} needs") from None
    return {"type": kind, "coordinates": flat}


class GeoJsonAdapter(Adapter):
    format = "geojson"

    def records(self, path: Path) -> Iterator[Record | RowError]:
        if path.suffix.lower() in JSONL_SUFFIXES:
            return self._sequence(path)
        return self._collection(path)

    @staticmethod
    def _sequence(path: Path) -> Iterator[Record | RowError]:
        with path.open(encoding="utf-8", errors="replace") as fh:
            row = 0
            for line, whole in lines(fh):
                line = line.strip().lstrip("\x1e")  # RFC 8142 record separator
                if not line:
                    continue
                current, row = row, row + 1
                if not whole:
                    yield RowError(
                        current, "feature", f"longer than {MAX_LINE_CHARS} characters", clip(line)
                    )
                    continue
                try:
                    yield Record(current, line, loads(line))
                except ValueError as exc:
                    yield RowError(current, "feature", f"not JSON: {exc}", clip(line))

    @staticmethod
    def _collection(path: Path) -> Iterator[Record | RowError]:
        size = os.path.getsize(path)
        if size > MAX_COLLECTION_BYTES:
            raise SourceError(
                f"{path.name}: {size} bytes, a FeatureCollection is read whole and may have at "
                f"most {MAX_COLLECTION_BYTES}: write one feature per line (.geojsonl) instead"
            )
        try:
            doc = loads(path.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            raise SourceError(f"{path.name}: not JSON: {exc}") from None
        if isinstance(doc, dict) and doc.get("type") == "Feature":
            features: Any = [doc]
        elif isinstance(doc, dict) and doc.get("type") == "FeatureCollection":
            features = doc.get("features")
            if not isinstance(features, list):
                raise SourceError(f"{path.name}: FeatureCollection without a features list")
        else:
            raise SourceError(f"{path.name}: not a GeoJSON Feature or FeatureCollection")
        for row, feature in enumerate(features):
            yield Record(row, json.dumps(feature)[:600], feature)

    def convert(self, value: Any, ctx: RowContext) -> Observation:
        if not isinstance(value, dict) or value.get("type") != "Feature":
            raise FieldError("type", "not a GeoJSON Feature object")
        props = value.get("properties")
        if props is None:
            props = {}
        if not isinstance(props, dict):
            raise FieldError("properties", "not an object")
        geom = geometry(value.get("geometry"), ctx)
        try:
            kind = enum_value(Kind, text(props, "kind") or "", "kind")
            time_key = next((k for k in TIME_KEYS if props.get(k) not in (None, "")), "time")
            observed_at = rfc3339(text(props, time_key) or "", time_key)
            uncertainty = need(
                number(props, "uncertainty_m", low=0.0, high=1_000_000.0), "uncertainty_m"
            )
        except FieldError as exc:  # name the field where it sits in the feature
            raise FieldError(f"properties.{exc.field}", exc.reason) from None
        for key in RESERVED:
            if key in props:
                raise FieldError(f"properties.{key}", "reserved: set by the adapter")
        attrs = {
            k: v
            for k, v in props.items()
            if k not in ("kind", "uncertainty_m", *TIME_KEYS) and v is not None
        }
        if "id" in value and value["id"] is not None:
            attrs.setdefault("feature_id", value["id"])
        attrs["provenance"] = ctx.provenance()
        try:
            attributes = Attributes.model_validate(attrs)
        except ValidationError as exc:
            loc, msg = describe_validation(exc)
            raise FieldError(f"properties.{loc}", msg) from None
        return Observation.model_validate(
            {
                "sensor": "import",
                "seq": ctx.row,
                "observed_at": observed_at,
                "kind": kind,
                "geometry": geom,
                "uncertainty_m": uncertainty,
                "attributes": attributes,
            }
        )
