"""Adapters: third-party source files -> observations, one Row or RowError per source row.

`ADAPTERS` maps the `--format` name of `truceline ingest` to the adapter class;
`adapters.gateway.Gateway` signs the observations as the registered import gateway.
"""

from __future__ import annotations

from truceline.adapters.base import (
    Adapter,
    Counts,
    FieldError,
    Parsed,
    Row,
    RowError,
    SourceError,
)
from truceline.adapters.cir import CirEventsAdapter
from truceline.adapters.cot import CotAdapter
from truceline.adapters.firms import FirmsAdapter
from truceline.adapters.geojson import GeoJsonAdapter
from truceline.adapters.observer import ObserverAdapter
from truceline.adapters.osce import OsceHeadlineAdapter
from truceline.adapters.radar import RadarAdapter
from truceline.adapters.xform import XFormAdapter

ADAPTERS: dict[str, type[Adapter]] = {
    cls.format: cls
    for cls in (
        FirmsAdapter,
        CotAdapter,
        GeoJsonAdapter,
        ObserverAdapter,
        RadarAdapter,
        CirEventsAdapter,
        OsceHeadlineAdapter,
        XFormAdapter,
    )
}

__all__ = [
    "ADAPTERS",
    "Adapter",
    "Counts",
    "FieldError",
    "Parsed",
    "Row",
    "RowError",
    "SourceError",
]
