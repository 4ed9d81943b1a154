"""CIR / Bellingcat "Russia-Ukraine Monitor Map" events.csv -> third-party reports.

Columns: entry, date, event_group, title, brief description, lat, lon, country,
province, district, town/city, arms/munition, violence level, link, geolocation.

Conventions (docs/adapters.md):
- perception is `reported`: these are open-source claims geolocated by volunteers.
- kind by event_group (the month suffix is ignored): "Bombing or Explosion" ->
  explosion; "... Infrastructure Damage", "Civilian Casualty" -> impact; "Russian
  Firing Positions" -> launch; "Russian Military Presence", "Russian Allies
  Presence/Losses" -> troop_movement; "Ground Battle" -> small_arms; "Munitions" ->
  impact; anything else -> third_party_report. The group itself is kept in attributes.
- observed_at is 00:00Z of `date` (date-only), with time_uncertainty_s 86400 and a repair.
- uncertainty_m: 1000 m when a geolocation link is given, 5000 m otherwise (town-level).
- A date more than a day after the post it cites (a Twitter status id encodes its post
  time) cannot be right; such rows are RowErrors on `date` (they look like year typos,
  but guessing the year would be a silent repair).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from truceline.adapters.base import Adapter, FieldError, Record, RowContext, RowError
from truceline.adapters.fields import iso_date, lonlat, text, utc_midnight
from truceline.adapters.tabular import csv_records
from truceline.observation import Attributes, Kind, Observation, Perception, Point

GEOLOCATED_M = 1_000.0
TOWN_LEVEL_M = 5_000.0
DAY_S = 86_400
_TWITTER_EPOCH_MS = 1_288_834_974_657
_STATUS = re.compile(r"(?:twitter|x)\.com/[^/]+/status(?:es)?/(\d{15,20})")

GROUP_KINDS: tuple[tuple[str, Kind], ...] = (
    ("bombing or explosion", Kind.explosion),
    ("infrastructure damage", Kind.impact),
    ("civilian casualty", Kind.impact),
    ("munitions", Kind.impact),
    ("firing positions", Kind.launch),
    ("military presence", Kind.troop_movement),
    ("allies presence", Kind.troop_movement),
    ("ground battle", Kind.small_arms),
)


def group_kind(group: str) -> Kind:
    lowered = group.lower()
    for needle, kind in GROUP_KINDS:
        if needle in lowered:
            return kind
    return Kind.third_party_report


def tweet_time(link: str) -> datetime | None:
    """The post time a Twitter status id encodes (snowflake: ms since 2010-11-04)."""
    match = _STATUS.search(link)
    if not match:
        return None
    ms = (int(match[1]) >> 22) + _TWITTER_EPOCH_MS
    return datetime.fromtimestamp(ms / 1000, UTC)


class CirEventsAdapter(Adapter):
    format = "cir"

    def records(self, path: Path) -> Iterator[Record | RowError]:
        return csv_records(path)

    def convert(self, value: dict[str, Any], ctx: RowContext) -> Observation:
        entry = text(value, "entry", required=False)
        coords = lonlat(value, "lat", "lon")
        day = iso_date(text(value, "date") or "", "date")
        observed_at = utc_midnight(day)
        link = text(value, "link", required=False) or ""
        posted = tweet_time(link)
        if posted is not None and observed_at > posted + timedelta(days=1):
            raise FieldError(
                "date",
                f"{day} is after the post it cites ({link} was posted "
                f"{posted:%Y-%m-%dT%H:%MZ}); a typo that cannot be fixed without guessing",
            )
        ctx.repair("date: date only; observed_at set to 00:00Z of date")
        group = text(value, "event_group", required=False) or ""
        geolocation = text(value, "geolocation", required=False)
        attrs: dict[str, Any] = {
            "perception": Perception.reported,
            "time_uncertainty_s": DAY_S,
            "entry": entry,
            "event_group": group or None,
            "title": text(value, "title", required=False),
            "description": text(value, "brief description", required=False),
            "country": text(value, "country", required=False),
            "province": text(value, "province", required=False),
            "town": text(value, "town/city", required=False),
            "munition": text(value, "arms/munition", required=False),
            "violence_level": text(value, "violence level", required=False),
            "source_link": link or None,
            "geolocation_link": geolocation,
        }
        attrs["provenance"] = ctx.provenance()
        return Observation(
            sensor="import",
            seq=ctx.row,
            observed_at=observed_at,
            kind=group_kind(group),
            geometry=Point(coordinates=coords),
            uncertainty_m=GEOLOCATED_M if geolocation else TOWN_LEVEL_M,
            attributes=Attributes(**{k: v for k, v in attrs.items() if v is not None}),
        )
