"""Observer-team reports in the OSCE SMM style (CSV, or JSON Lines for .jsonl/.ndjson).

Fields (CSV header names or JSON keys):
  team          required  the patrol or post, e.g. "SMM-DON-3"
  team_lat, team_lon  required  where the team stood (WGS84)
  time          required  RFC 3339 with offset, e.g. 2021-06-21T18:05:00Z
  perception    required  seen | heard | recorded | reported
  kind          required  an observation kind: explosion, impact, launch, projectile,
                          small_arms, heavy_weapon_sighting, troop_movement, and the
                          observer's own: demining, corridor_status, site_inspection,
                          access_denied, weapons_missing, inspection_report (also written
                          "inspection finding"); spaces and hyphens read as "_"
  direction     optional  16-point compass (N, NNE, ..., NNW, or south-south-east)
  distance      optional  band from the team: "1-4 km", "500 m", "less than 1 km",
                          "more than 5 km"
  weapon        optional  weapon class assessed: mortar, artillery, mlrs, ...
  calibre       optional  assessed calibre, "82mm" or 82
  count         optional  how many (>= 1); default 1 is not written. For site_inspection
                          the weapons found, for weapons_missing the weapons missing
  site          optional  the holding site, corridor or zone id the report is about
  status        optional  what the team found it: open, closed, cleared, ... (free text)
  incident      optional  for inspection_report: the incident inspected (required there)
  finding       optional  for inspection_report: confirmed | dismissed | inconclusive
  uncertainty_m optional  overrides the default below
  notes         optional  free text

The observation stands at the team's position (that is what the team knows for sure)
with attributes.bearing_deg and attributes.distance_band_m; uncertainty_m is the far end
of the distance band, so the event lies inside the circle. A report about the team's own
place (access denied, site inspection, weapons missing, demining, corridor status,
inspection finding) with no direction, distance or uncertainty_m is the team's position
to 100 m (a repair).

Weak evidence is kept, not refused. A distance with no far end ("more than 5 km"), or
none at all, is bounded by how far the perception reaches (`REACH_M`: 20 km heard or
reported, 10 km seen or recorded): "more than 5 km" heard becomes the band 5-20 km, no
distance the band 0-20 km along the direction, or, with no direction either, a circle of
20 km around the team. Each such bound is a repair (written in provenance.repairs) and
the observation says why it is weak (attributes.weak_evidence). Its large uncertainty
gives it little weight in any location fix.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from truceline.adapters.base import Adapter, FieldError, Record, RowContext, RowError
from truceline.adapters.fields import (
    calibre,
    compass,
    distance_band,
    enum_value,
    integer,
    lonlat,
    number,
    open_lower_bound,
    rfc3339,
    text,
)
from truceline.adapters.tabular import rows
from truceline.observation import Attributes, Kind, Observation, Perception, Point, WeaponClass

# How far a team's perception reaches: the far end of a band it could not give. The OSCE
# SMM heard artillery up to about 20 km and saw up to about 10 km (the simulator's patrols
# and cameras use the same reach).
REACH_M = {
    Perception.heard: 20_000.0,
    Perception.reported: 20_000.0,
    Perception.seen: 10_000.0,
    Perception.recorded: 10_000.0,
}
# Reports about the place where the team stands (turned back, a site inspected, mines
# cleared, a corridor's state, an inspection's finding): the team's own position, to
# TEAM_POSITION_M, unless it gives a direction and distance.
AT_THE_TEAM = frozenset(
    {
        Kind.access_denied,
        Kind.site_inspection,
        Kind.weapons_missing,
        Kind.demining,
        Kind.corridor_status,
        Kind.inspection_report,
    }
)
TEAM_POSITION_M = 100.0
# Other names observers give their kinds.
KIND_ALIASES = {"inspection_finding": Kind.inspection_report}


class ObserverAdapter(Adapter):
    format = "observer"

    def records(self, path: Path) -> Iterator[Record | RowError]:
        return rows(path)

    def convert(self, value: dict[str, Any], ctx: RowContext) -> Observation:
        team = text(value, "team")
        coords = lonlat(value, "team_lat", "team_lon")
        observed_at = rfc3339(text(value, "time") or "", "time")
        perception = enum_value(Perception, text(value, "perception") or "", "perception")
        kind = _kind(text(value, "kind") or "")
        attrs: dict[str, Any] = {"perception": perception, "team": team}
        raw_dir = text(value, "direction", required=False)
        if raw_dir is not None:
            attrs["bearing_deg"] = compass(raw_dir, "direction")
        uncertainty = number(value, "uncertainty_m", required=False, low=0.0, high=1_000_000.0)
        raw_band = text(value, "distance", required=False)
        if uncertainty is None and raw_band is None and raw_dir is None and kind in AT_THE_TEAM:
            uncertainty = TEAM_POSITION_M
            ctx.repair(f"uncertainty_m: blank; {TEAM_POSITION_M:.0f} m, the team's own position")
        band = _band(raw_band, perception, uncertainty, attrs, ctx)
        if band is not None:
            attrs["distance_band_m"] = band
        raw_weapon = text(value, "weapon", required=False)
        if raw_weapon is not None:
            attrs["weapon_class"] = enum_value(WeaponClass, raw_weapon, "weapon")
        raw_cal = text(value, "calibre", required=False)
        if raw_cal is not None:
            attrs["calibre_mm"] = calibre(raw_cal, "calibre")
        attrs["count"] = integer(value, "count", required=False, low=1)
        for name in ("site", "status", "incident", "notes"):
            attrs[name] = text(value, name, required=False)
        raw_finding = text(value, "finding", required=False)
        if raw_finding is not None:
            attrs["finding"] = _finding(raw_finding)
        if kind is Kind.inspection_report and not (attrs["incident"] and raw_finding):
            field = "incident" if not attrs["incident"] else "finding"
            raise FieldError(field, "missing: an inspection finding names its incident and finding")
        if uncertainty is None:
            uncertainty = band[1] if band is not None else REACH_M[perception]
        attrs["provenance"] = ctx.provenance()
        return Observation(
            sensor="import",
            seq=ctx.row,
            observed_at=observed_at,
            kind=kind,
            geometry=Point(coordinates=coords),
            uncertainty_m=uncertainty,
            attributes=Attributes(**{k: v for k, v in attrs.items() if v is not None}),
        )


def _kind(raw: str) -> Kind:
    key = raw.strip().lower().replace(" ", "_").replace("-", "_")
    if key in KIND_ALIASES:
        return KIND_ALIASES[key]
    return enum_value(Kind, raw, "kind")


def _finding(raw: str) -> str:
    value = raw.strip().lower()
    if value not in ("confirmed", "dismissed", "inconclusive"):
        raise FieldError(
            "finding", f"{raw!r:.60} is not one of: confirmed, dismissed, inconclusive"
        )
    return value


def _band(
    raw: str | None,
    perception: Perception,
    uncertainty: float | None,
    attrs: dict[str, Any],
    ctx: RowContext,
) -> tuple[float, float] | None:
    """The distance band, bounded by the perception's reach when the team gave no far end
    (a repair, and the observation marked weak); None when uncertainty_m bounds it."""
    reach = REACH_M[perception]
    if raw is not None:
        near = open_lower_bound(raw)
        if near is None:
            return distance_band(raw, "distance")
        far = max(near, reach)
        ctx.repair(f"distance: {raw!r:.40} has no far end; bounded at {far:.0f} m ({perception})")
        attrs["weak_evidence"] = f"open distance {raw!r:.40}"
        return (near, far)
    if uncertainty is not None:
        return None
    if "bearing_deg" in attrs:
        ctx.repair(
            f"distance: missing; bounded at {reach:.0f} m along the direction ({perception})"
        )
        attrs["weak_evidence"] = "bearing only"
        return (0.0, reach)
    ctx.repair(f"distance and direction: missing; within {reach:.0f} m of the team ({perception})")
    attrs["weak_evidence"] = "no direction or distance"
    return None
