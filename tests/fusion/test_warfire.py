"""Real data: the thermal signal jumps near the front after the invasion and stays flat in
the west, relative to the 2021 seasonal baseline (FIRMS + DeepStateMap)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from shapely.geometry import Point

from truceline.fusion.warfire import layer_status, read_fires, read_snapshot, study


@pytest.mark.slow
def test_front_jumps_and_west_stays_flat(data: Path) -> None:
    result = study(
        data / "gianman89-war-fire-model",
        data / "deepstatemaps-history" / "1654066641.geojson",
    )
    for period in ("2022_war", "2023"):
        front, west = result[period]["front"], result[period]["west"]
        assert front["ratio"] >= 2.0, (period, front)
        assert 0.5 <= west["ratio"] <= 1.6, (period, west)
        assert result[period]["front_over_west"] >= 2.0
        # The Economist-style excess is concentrated at the front.
        assert front["excess"] > 4 * west["excess"]
    assert len(result["monthly"]) == 24


def test_reader_names_the_bad_line(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_text("LATITUDE,LONGITUDE,ACQ_DATE\n47.1,37.6,2022-01-01\n47.2,x,2022-01-02\n")
    with pytest.raises(ValueError, match=r"f.csv:3"):
        read_fires(path)
    path.write_text("LAT,LON\n")
    with pytest.raises(ValueError, match="missing columns"):
        read_fires(path)
    path.write_text("LATITUDE,LONGITUDE,ACQ_DATE\n47.1,37.6,2022-01-01\n")
    assert len(read_fires(path)) == 1


# Places whose side never changed over the archives' span (2022-04 to 2026-08).
HELD = {"Simferopol": (34.10, 44.95), "Donetsk": (37.80, 48.00), "Melitopol": (35.37, 46.85)}
FREE = {"Kyiv": (30.52, 50.45), "Tiraspol (Transnistria, Moldova)": (29.63, 46.84)}


def _snapshot_day(path: Path) -> date:
    if path.stem.isdigit():  # deepstatemaps-history: <unix time>.geojson
        return datetime.fromtimestamp(int(path.stem), UTC).date()
    return datetime.strptime(path.stem.rsplit("_", 1)[1], "%Y%m%d").date()


@pytest.mark.slow
def test_every_deepstate_snapshot_loads(data: Path) -> None:
    """Every snapshot of both archives, in all three naming schemes (Ukrainian only until
    2022-05-11, "UA /// EN", "UA /// EN /// geoJSON.status.*") and the unnamed daily
    layer, gives an occupied area that holds what was held and nothing else."""
    paths = sorted((data / "deepstatemaps-history").glob("*.geojson"))
    paths += sorted((data / "deepstate-map-data").glob("*.geojson"))
    assert len(paths) == 159
    areas: dict[str, dict[date, float]] = {}
    for path in paths:
        snap = read_snapshot(path)
        occupied_km2 = snap.area_km2("occupied")
        print(
            f"{path.parent.name}/{path.name} {_snapshot_day(path)}: "
            + ", ".join(
                f"{k} {snap.polygons[k]} polygons {snap.area_km2(k):,.0f} km2"
                for k in sorted(snap.layers)
            )
        )
        assert 100_000 < occupied_km2 < 130_000, (path.name, occupied_km2)
        occ = snap.layers["occupied"]
        for name, (lon, lat) in HELD.items():
            assert occ.contains(Point(lon, lat)), (path.name, name)
        for name, (lon, lat) in FREE.items():
            assert not occ.contains(Point(lon, lat)), (path.name, name)
        if path.parent.name == "deepstatemaps-history":
            assert {"contested", "liberated"} <= set(snap.layers), path.name
        areas.setdefault(path.parent.name, {})[_snapshot_day(path)] = occupied_km2
    # The two archives, read independently, agree on the days both hold.
    history, daily = areas["deepstatemaps-history"], areas["deepstate-map-data"]
    both = sorted(set(history) & set(daily))
    assert len(both) >= 5
    for day in both:
        assert abs(history[day] / daily[day] - 1) < 0.005, (day, history[day], daily[day])
    # Day to day, the occupied area moves by less than 2 % (2022-05 and 2025-08 daily).
    for series in areas.values():
        days = sorted(series)
        for a, b in zip(days, days[1:], strict=False):
            if (b - a).days == 1:
                assert abs(series[b] / series[a] - 1) < 0.02, (a, b)


def test_layer_status_reads_every_naming_scheme() -> None:
    assert layer_status("Окуповано", "#a52714") == "occupied"
    assert layer_status("Ізюм. Окуповано\xa0", None) == "occupied"  # no colour: the name
    assert layer_status("ОРДЛО", "#000000") == "occupied"
    assert layer_status("Окупований Крим /// Occupied Crimea", "#880e4f") == "occupied"
    assert layer_status("Придністров'я /// Transnistria", "#880e4f") is None
    assert layer_status("Звільнено 25.03 /// Taken back 25.03", "#0f9d58") == "liberated"
    assert layer_status("Під питанням", "#bcaaa4") == "contested"
    assert layer_status("Статус невідомий /// Unknown status /// geoJSON.status.unknown", None) == (
        "contested"
    )
    # The map's colour wins over a name that lags (2022-06-06, Sieverodonetsk).
    assert layer_status("Сєвєродонецьк. Території, що окуповано.", "#bcaaa4") == "contested"
    assert layer_status("Зміїний", "#a52714") == "occupied"  # Snake Island, spring 2022
    assert layer_status("Зміїний", "#0f9d58") == "liberated"
    assert layer_status("", None) == "occupied"  # deepstate-map-data's single layer
    assert layer_status("Окупована Абхазія.", "#ff5252") == "occupied"  # the box drops it
