"""Real data: the thermal signal jumps near the front after the invasion and stays flat in
the west, relative to the 2021 seasonal baseline (FIRMS + DeepStateMap)."""

from __future__ import annotations

from pathlib import Path

import pytest

from truceline.fusion.warfire import read_fires, study


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
