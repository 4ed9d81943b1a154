"""`truceline corridors` through the CLI: the forecast, its formats, its errors."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from tests.corridors.conftest import Sim, cli
from typer.testing import CliRunner

from truceline.cli import app

runner = CliRunner()
AT = "2026-06-05T00:00:00Z"


def forecast(sim: Sim, *extra: str) -> dict:  # type: ignore[type-arg]
    return json.loads(cli("corridors", "--home", sim.h, "--at", AT, "--window", "24h", *extra))


def test_one_row_per_corridor_window_with_interval_and_drivers(deterred: Sim) -> None:
    doc = forecast(deterred)
    rows = doc["forecasts"]
    assert [r["corridor"] for r in rows] == [f"corridor-{i}" for i in (1, 2, 3, 4)]
    for r in rows:
        assert r["window_start"] == "2026-06-05T05:00:00Z" and r["open_hours"] == 10.0
        assert 0 <= r["p_low"] <= r["p_breach"] <= r["p_high"] <= 1
        assert r["expected"] > 0
        d = r["drivers"]
        assert set(d["penalty"]) == {"east", "west"} and d["host"] in ("east", "west")
        assert 0 <= d["sensor_coverage"] <= 1 and 0 <= d["front_share"] <= 1
    # the watched corridor is seen as watched
    cov = {r["corridor"]: r["drivers"]["sensor_coverage"] for r in rows}
    assert cov["corridor-1"] > cov["corridor-2"]
    assert doc["model"]["rows"] == 4 * 4  # four full days of four corridors before AT


def test_same_log_same_bytes_and_csv_matches(deterred: Sim, tmp_path: Path) -> None:
    a = cli("corridors", "--home", deterred.h, "--at", AT)
    assert a == cli("corridors", "--home", deterred.h, "--at", AT)
    text = cli("corridors", "--home", deterred.h, "--at", AT, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [float(r["p_breach"]) for r in rows] == [
        f["p_breach"] for f in json.loads(a)["forecasts"]
    ]


def _file(tmp_path: Path, feature: dict) -> str:  # type: ignore[type-arg]
    path = tmp_path / "c.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))
    return str(path)


def _feature(coords: list, windows: list) -> dict:  # type: ignore[type-arg]
    return {
        "type": "Feature",
        "geometry": {"type": "LineString", "coordinates": coords},
        "properties": {"id": "road-1", "width_m": 3000, "windows": windows},
    }


GOOD = [[35.0, 47.9], [35.2, 48.0]]
DAY5 = [{"start": "2026-06-05T06:00:00Z", "end": "2026-06-05T12:00:00Z"}]


def test_corridors_file_is_used(deterred: Sim, tmp_path: Path) -> None:
    doc = forecast(deterred, "--corridors", _file(tmp_path, _feature(GOOD, DAY5)))
    [row] = doc["forecasts"]
    assert row["corridor"] == "road-1" and row["open_hours"] == 6.0


def error(sim: Sim, path: str) -> str:
    result = runner.invoke(app, ["corridors", "--home", sim.h, "--at", AT, "--corridors", path])
    assert result.exit_code == 2, result.output
    return result.stderr


def test_bad_corridor_files_are_refused_with_the_field(deterred: Sim, tmp_path: Path) -> None:
    crossing = [[35.0, 47.9], [35.2, 48.0], [35.2, 47.9], [35.0, 48.0]]
    assert "road-1).geometry: the LineString crosses itself" in error(
        deterred, _file(tmp_path, _feature(crossing, DAY5))
    )
    point = _feature(GOOD, DAY5) | {"geometry": {"type": "Point", "coordinates": [35, 48]}}
    assert "geometry: expected a LineString" in error(deterred, _file(tmp_path, point))
    back = [{"start": "2026-06-05T12:00:00Z", "end": "2026-06-05T06:00:00Z"}]
    assert "windows[0]: ends (2026-06-05T06:00:00Z) before it starts" in error(
        deterred, _file(tmp_path, _feature(GOOD, back))
    )
    old = [{"start": "2025-01-01T06:00:00Z", "end": "2025-01-01T12:00:00Z"}]
    assert "corridor road-1: windows: none open between the log's first evidence" in error(
        deterred, _file(tmp_path, _feature(GOOD, old))
    )
    (tmp_path / "x.geojson").write_text("{not json")
    assert "not JSON" in error(deterred, str(tmp_path / "x.geojson"))


def test_bad_window_is_refused(deterred: Sim) -> None:
    result = runner.invoke(app, ["corridors", "--home", deterred.h, "--at", AT, "--window", "soon"])
    assert result.exit_code == 2 and "--window: expected a duration" in result.stderr


def test_score_against_the_simulators_truth(deterred: Sim, tmp_path: Path) -> None:
    truth = str(deterred.sim / "truth.jsonl")
    args = ["--at", "2026-06-03T00:00:00Z", "--days", "4", "--score", truth]
    doc = json.loads(cli("corridors", "--home", deterred.h, *args))
    assert doc["forecasts"] == 4
    for name in ("forecast", "naive_log_share", "true_hazard"):
        assert doc[name]["windows"] == 16  # 4 days x 4 corridors
        assert 0 <= doc[name]["brier"] <= 1
    assert doc["true_hazard"]["mean_abs_error_vs_true_p"] == 0
    # calibrated in the mean: dividing the log's rate by the mission's own coverage (which
    # the weak incidents of the parties' radars do not need) forecast 0.75 here against a
    # true 0.50; now 0.45
    assert abs(doc["forecast"]["mean_p"] - doc["forecast"]["mean_true_p"]) < 0.15
    missing = runner.invoke(
        app, ["corridors", "--home", deterred.h, *args[:4], "--score", str(tmp_path / "no.jsonl")]
    )
    assert missing.exit_code == 2 and "--score:" in missing.stderr
