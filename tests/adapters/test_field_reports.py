"""Observer-team reports, weapon-locating radar and GeoJSON: synthetic rows in the documented
layouts (no public data set has them), plus the real DeepStateMap GeoJSON."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from truceline.adapters import Row, RowError, SourceError
from truceline.adapters.fields import compass, distance_band
from truceline.adapters.geojson import GeoJsonAdapter
from truceline.adapters.observer import ObserverAdapter
from truceline.adapters.radar import RadarAdapter
from truceline.observation import Kind, Perception, WeaponClass

OBSERVER_CSV = """team,team_lat,team_lon,time,perception,kind,direction,distance,weapon,calibre,count,notes
SMM-DON-3,48.03,37.75,2021-06-21T18:05:00Z,heard,explosion,SSE,1-4 km,,,3,undetermined
SMM-DON-3,48.03,37.75,2021-06-21T18:10:00+03:00,seen,impact,south-south-east,500 m,mortar,82mm,1,
SMM-DON-3,48.03,37.75,2021-06-21T18:15:00Z,heard,explosion,SSE,,,,1,
SMM-DON-3,48.03,37.75,2021-06-21T18:20:00Z,heard,explosion,SXE,2-3 km,,,1,
SMM-DON-3,48.03,37.75,2021-06-21T18:25:00,heard,explosion,S,2-3 km,,,1,
SMM-DON-3,48.03,37.75,2021-06-21T18:30:00Z,smelled,explosion,S,2-3 km,,,1,
SMM-DON-3,48.03,37.75,2021-06-21T18:35:00Z,heard,bombing,S,2-3 km,,,1,
SMM-DON-3,48.03,37.75,2021-06-21T18:40:00Z,heard,explosion,S,more than 5 km,,,1,
SMM-DON-3,48.03,37.75,2021-06-21T18:45:00Z,heard,explosion,S,2-3 km,,,0,
"""


def test_observer_csv(tmp_path: Path) -> None:
    path = tmp_path / "patrol.csv"
    path.write_text(OBSERVER_CSV)
    adapter = ObserverAdapter()
    items = list(adapter.parse(path))
    assert adapter.counts.read == 9 == adapter.counts.parsed + adapter.counts.errors
    first, second = items[0], items[1]
    assert isinstance(first, Row) and isinstance(second, Row)
    a = first.observation
    assert a.kind is Kind.explosion and a.attributes.perception is Perception.heard
    assert a.attributes.bearing_deg == 157.5 and a.attributes.distance_band_m == (1000.0, 4000.0)
    assert a.uncertainty_m == 4000.0 and a.attributes.count == 3
    assert a.geometry.coordinates == (37.75, 48.03)  # type: ignore[union-attr]
    b = second.observation
    assert b.observed_at == datetime(2021, 6, 21, 15, 10, tzinfo=UTC)
    assert b.attributes.weapon_class is WeaponClass.mortar and b.attributes.calibre_mm == 82.0
    assert b.attributes.bearing_deg == 157.5
    errors = [(i.row, i.field) for i in items if isinstance(i, RowError)]
    assert errors == [
        (3, "direction"),
        (4, "time"),  # no offset
        (5, "perception"),
        (6, "kind"),
        (8, "count"),
    ]
    # Bearing only, and "more than 5 km": kept as weak evidence, bounded by the reach of
    # hearing (20 km), each bound written down as a repair.
    bearing_only, open_band = items[2], items[7]
    assert isinstance(bearing_only, Row) and isinstance(open_band, Row)
    c = bearing_only.observation
    assert c.attributes.bearing_deg == 157.5 and c.attributes.distance_band_m == (0.0, 20_000.0)
    assert c.uncertainty_m == 20_000.0
    assert c.attributes.model_extra["weak_evidence"] == "bearing only"
    assert c.attributes.provenance.repairs == [  # type: ignore[union-attr]
        "distance: missing; bounded at 20000 m along the direction (heard)"
    ]
    d = open_band.observation
    assert d.attributes.distance_band_m == (5000.0, 20_000.0) and d.uncertainty_m == 20_000.0
    assert d.attributes.model_extra["weak_evidence"] == "open distance 'more than 5 km'"
    assert "no far end" in d.attributes.provenance.repairs[0]  # type: ignore[union-attr]


OBSERVER_KINDS_CSV = """team,team_lat,team_lon,time,perception,kind,weapon,count,site,status,incident,finding
SMM-ZAP-1,47.60,35.40,2026-03-05T09:00:00Z,seen,demining,,,corridor-vasylivka,cleared,,
SMM-ZAP-1,47.60,35.40,2026-03-05T09:30:00Z,seen,corridor status,,,corridor-vasylivka,closed,,
SMM-ZAP-1,48.05,35.40,2026-03-05T10:00:00Z,seen,site inspection,tank,12,hs-north-1,,,
SMM-ZAP-1,48.05,35.40,2026-03-05T10:05:00Z,seen,weapons-missing,tank,3,hs-north-1,,,
SMM-ZAP-1,47.70,35.60,2026-03-05T11:00:00Z,seen,access denied,,,,checkpoint closed,,
SMM-ZAP-1,47.70,35.60,2026-03-05T12:00:00Z,seen,inspection finding,,,,,inc-42,confirmed
SMM-ZAP-1,47.70,35.60,2026-03-05T12:05:00Z,seen,inspection finding,,,,,inc-42,
SMM-ZAP-1,47.70,35.60,2026-03-05T12:10:00Z,seen,inspection_report,,,,,inc-42,maybe
"""


def test_observer_kinds_of_the_mission(tmp_path: Path) -> None:
    path = tmp_path / "team.csv"
    path.write_text(OBSERVER_KINDS_CSV)
    items = list(ObserverAdapter().parse(path))
    rows = [i.observation for i in items if isinstance(i, Row)]
    assert [o.kind for o in rows] == [
        Kind.demining,
        Kind.corridor_status,
        Kind.site_inspection,
        Kind.weapons_missing,
        Kind.access_denied,
        Kind.inspection_report,
    ]
    assert rows[1].attributes.model_extra["status"] == "closed"
    assert rows[2].attributes.model_extra["site"] == "hs-north-1" and rows[2].attributes.count == 12
    assert rows[3].attributes.weapon_class is WeaponClass.tank and rows[3].attributes.count == 3
    finding = rows[5].attributes
    assert (finding.incident, finding.finding) == ("inc-42", "confirmed")
    # A report about the team's own place: the team's position, to 100 m (a repair).
    assert rows[4].uncertainty_m == 100.0
    assert "the team's own position" in rows[4].attributes.provenance.repairs[0]  # type: ignore[union-attr]
    errors = [(i.row, i.field) for i in items if isinstance(i, RowError)]
    assert errors == [(6, "finding"), (7, "finding")]


def test_observer_jsonl(tmp_path: Path) -> None:
    path = tmp_path / "patrol.jsonl"
    good = {
        "team": "SMM-LUH-1",
        "team_lat": 48.6,
        "team_lon": 39.2,
        "time": "2022-02-18T06:00:00Z",
        "perception": "seen",
        "kind": "launch",
        "direction": "W",
        "uncertainty_m": 2500,
    }
    path.write_text(json.dumps(good) + "\n\n" + "{not json\n" + json.dumps([1, 2]) + "\n")
    items = list(ObserverAdapter().parse(path))
    assert isinstance(items[0], Row)
    assert items[0].observation.attributes.bearing_deg == 270.0
    assert items[0].observation.uncertainty_m == 2500
    assert [(i.row, i.field) for i in items[1:]] == [(1, "line"), (2, "line")]  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("raw", "band"),
    [
        ("1-4 km", (1000, 4000)),
        ("500 m", (500, 500)),
        ("less than 1 km", (0, 1000)),
        ("500 m - 2 km", (500, 2000)),
        ("3 to 5km", (3000, 5000)),
    ],
)
def test_distance_bands(raw: str, band: tuple[float, float]) -> None:
    assert distance_band(raw, "distance") == band


def test_compass_points() -> None:
    assert [compass(p, "d") for p in ("N", "ENE", "south", "north-north-west", "nnw")] == [
        0.0,
        67.5,
        180.0,
        337.5,
        337.5,
    ]


RADAR_CSV = """radar,time,origin_lat,origin_lon,impact_lat,impact_lon,cep_m,impact_cep_m,weapon_class,calibre,track_id
TPQ-50-A,2024-05-01T03:12:09Z,47.70,35.30,47.55,35.50,85,40,artillery,152mm,T-0012
TPQ-50-A,2024-05-01T03:13:00Z,47.70,35.30,47.55,35.50,85,,mortar,,T-0013
TPQ-50-A,2024-05-01T03:14:00Z,47.70,35.30,47.55,35.50,-1,,mortar,,T-0014
TPQ-50-A,2024-05-01T03:15:00Z,47.70,185.30,47.55,35.50,85,,mortar,,T-0015
TPQ-50-A,2024-05-01T03:16:00Z,47.70,35.30,47.55,35.50,85,,catapult,,T-0016
"""


def test_radar(tmp_path: Path) -> None:
    path = tmp_path / "radar.csv"
    path.write_text(RADAR_CSV)
    items = list(RadarAdapter().parse(path))
    a = items[0]
    assert isinstance(a, Row)
    obs = a.observation
    assert obs.kind is Kind.projectile and obs.attributes.perception is Perception.recorded
    assert obs.geometry.coordinates == (35.5, 47.55)  # type: ignore[union-attr]
    assert obs.attributes.origin is not None
    assert obs.attributes.origin.coordinates == (35.3, 47.7) and obs.attributes.origin.cep_m == 85
    assert obs.uncertainty_m == 40 and obs.attributes.calibre_mm == 152
    b = items[1]
    assert isinstance(b, Row) and b.observation.uncertainty_m == 85
    assert b.observation.attributes.provenance.repairs == [  # type: ignore[union-attr]
        "impact_cep_m: absent; the origin's cep_m used for the impact"
    ]
    assert [(i.row, i.field) for i in items[2:]] == [
        (2, "cep_m"),
        (3, "origin_lon"),
        (4, "weapon_class"),
    ]  # type: ignore[union-attr]


def _feature(props: dict, geometry: dict | None = None) -> dict:
    return {
        "type": "Feature",
        "geometry": geometry or {"type": "Point", "coordinates": [35.5, 47.5, 0]},
        "properties": props,
    }


def test_geojson_collection_and_errors(tmp_path: Path) -> None:
    good = {
        "kind": "impact",
        "time": "2024-05-01T03:12:09Z",
        "uncertainty_m": 50,
        "weapon_class": "artillery",
        "crater": "fresh",
    }
    features = [
        _feature(good),
        _feature({**good, "kind": "earthquake"}),
        _feature({k: v for k, v in good.items() if k != "time"}),
        _feature(good, {"type": "MultiPoint", "coordinates": [[1, 2]]}),
        _feature({**good, "confidence": 3}),
        _feature({**good, "provenance": {}}),
        _feature(
            good, {"type": "Polygon", "coordinates": [[[35, 47], [36, 47], [36, 48], [35, 47]]]}
        ),
        _feature(good, {"type": "Point", "coordinates": [200, 47]}),
        "not a feature",
    ]
    path = tmp_path / "reports.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    adapter = GeoJsonAdapter()
    items = list(adapter.parse(path))
    assert adapter.counts.read == 9 == adapter.counts.parsed + adapter.counts.errors
    first = items[0]
    assert isinstance(first, Row)
    assert first.observation.geometry.coordinates == (35.5, 47.5)  # type: ignore[union-attr]
    assert first.observation.attributes.provenance.repairs == [  # type: ignore[union-attr]
        "geometry: third coordinate (height) dropped"
    ]
    assert (first.observation.attributes.model_extra or {})["crater"] == "fresh"
    assert isinstance(items[6], Row)
    assert [(i.row, i.field) for i in items if isinstance(i, RowError)] == [
        (1, "properties.kind"),
        (2, "properties.time"),
        (3, "geometry.type"),
        (4, "properties.confidence"),
        (5, "properties.provenance"),
        (7, "geometry.coordinates"),
        (8, "type"),
    ]


def test_geojson_sequence(tmp_path: Path) -> None:
    path = tmp_path / "reports.geojsonl"
    good = _feature(
        {"kind": "explosion", "observed_at": "2024-05-01T03:12:09Z", "uncertainty_m": 900}
    )
    path.write_text(json.dumps(good) + "\n" + '{"type": "Feature", "geometry": NaN}\n')
    items = list(GeoJsonAdapter().parse(path))
    assert isinstance(items[0], Row) and isinstance(items[1], RowError)
    assert items[1].field == "feature"


def test_geojson_real_deepstate_file(data: Path) -> None:
    # a real FeatureCollection: one MultiPolygon of occupied territory, no properties
    adapter = GeoJsonAdapter()
    items = list(adapter.parse(data / "deepstate-map-data/deepstatemap_data_20250811.geojson"))
    assert adapter.counts.read == 1 == adapter.counts.errors
    assert isinstance(items[0], RowError) and items[0].field == "geometry.type"
    assert "MultiPolygon" in items[0].reason


def test_geojson_not_a_collection(tmp_path: Path) -> None:
    path = tmp_path / "x.geojson"
    path.write_text('{"type": "Topology"}')
    with pytest.raises(SourceError):
        list(GeoJsonAdapter().parse(path))
