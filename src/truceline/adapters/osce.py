"""OSCE SMM daily-report headline counts (the hand-extracted table) -> counted reports.

Columns: report_id, issued_date, period_end_1930_local, period_hours, region,
ceasefire_violations, explosions, prev_period_ceasefire_violations, notes, source_url.

Conventions (docs/adapters.md):
- One observation per row: kind third_party_report (the mission imports the SMM's
  published tally), perception reported, attributes.count = ceasefire_violations,
  attributes.explosions, report_id, region, source_url.
- Location: the centre of the region's bounding box (REGIONS below, from the PeaceRep
  oblast bounds), uncertainty_m = half its diagonal: the counts are per oblast.
- Time: SMM reporting periods end at 19:30 Kyiv time on period_end; observed_at is that
  instant in UTC. A blank period_end is taken as the day before issued_date (the SMM
  issues the next day), recorded as a repair. period_hours defaults to 24 (the daily
  report), recorded as a repair; time_uncertainty_s = period_hours x 3600 before it.
- A row with 0 violations observed nothing (attributes.count is >= 1): RowError on
  ceasefire_violations.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from truceline.adapters.base import Adapter, FieldError, Record, RowContext, RowError
from truceline.adapters.fields import integer, iso_date, text
from truceline.adapters.tabular import csv_records
from truceline.observation import Attributes, Kind, Observation, Perception, Point

KYIV = ZoneInfo("Europe/Kyiv")
PERIOD_END = time(19, 30)
MAX_PERIOD_HOURS = 24 * 366  # the longest period an SMM report covered is a week; a year is ample

# Oblast bounding boxes (lon_min, lat_min, lon_max, lat_max), from PeaceRep's
# ukraine_bounds.json (peacerep/ukraine-map @ c6b5555d).
REGIONS: dict[str, tuple[float, float, float, float]] = {
    "donetsk": (36.54212280663402, 46.867472067165, 39.09048293012728, 49.23397996849217),
    "luhansk": (37.837104363360915, 47.82468467325913, 40.22793944797135, 50.088194879330004),
}


def region_point(name: str) -> tuple[tuple[float, float], float]:
    """(centre lon/lat, half-diagonal in metres) of a region's bounding box."""
    box = REGIONS.get(name.strip().lower())
    if box is None:
        raise FieldError("region", f"{name!r:.40} is not one of: {', '.join(sorted(REGIONS))}")
    lon0, lat0, lon1, lat1 = box
    centre = ((lon0 + lon1) / 2, (lat0 + lat1) / 2)
    km_per_deg = 111.32
    dx = (lon1 - lon0) * km_per_deg * math.cos(math.radians(centre[1]))
    dy = (lat1 - lat0) * km_per_deg
    return centre, round(500.0 * math.hypot(dx, dy), -2)


class OsceHeadlineAdapter(Adapter):
    format = "osce"

    def records(self, path: Path) -> Iterator[Record | RowError]:
        return csv_records(path)

    def convert(self, value: dict[str, Any], ctx: RowContext) -> Observation:
        report = text(value, "report_id")
        region = text(value, "region") or ""
        centre, radius = region_point(region)
        issued = iso_date(text(value, "issued_date") or "", "issued_date")
        raw_end = text(value, "period_end_1930_local", required=False)
        if raw_end is None:
            end_day = issued - timedelta(days=1)
            ctx.repair(f"period_end_1930_local: blank; taken as the day before issue, {end_day}")
        else:
            end_day = iso_date(raw_end, "period_end_1930_local")
        hours = integer(value, "period_hours", required=False, low=1, high=MAX_PERIOD_HOURS)
        if hours is None:
            hours = 24
            ctx.repair("period_hours: blank; the daily report's 24 h assumed")
        violations = integer(value, "ceasefire_violations", low=0)
        if not violations:
            raise FieldError("ceasefire_violations", "0 violations: nothing was observed")
        observed_at = datetime.combine(end_day, PERIOD_END, tzinfo=KYIV)
        attrs: dict[str, Any] = {
            "perception": Perception.reported,
            "count": violations,
            "explosions": integer(value, "explosions", required=False, low=0),
            "prev_period_ceasefire_violations": integer(
                value, "prev_period_ceasefire_violations", required=False, low=0
            ),
            "report_id": report,
            "region": region,
            "period_hours": hours,
            "time_uncertainty_s": hours * 3600,
            "notes": text(value, "notes", required=False),
            "source_url": text(value, "source_url", required=False),
        }
        attrs["provenance"] = ctx.provenance()
        return Observation(
            sensor="import",
            seq=ctx.row,
            observed_at=observed_at,
            kind=Kind.third_party_report,
            geometry=Point(coordinates=centre),
            uncertainty_m=radius,
            attributes=Attributes(**{k: v for k, v in attrs.items() if v is not None}),
        )
