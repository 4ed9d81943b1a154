"""`truceline corridors --track-record` and GET /corridors/track-record: each published
window that has closed, beside what the log shows happened in it, and the scores of the
published probabilities; all through the CLI and HTTP, on the simulated mission."""

from __future__ import annotations

import csv
import io
import json
import math
import shutil
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.corridors.conftest import Sim, cli

from truceline.api import create_app
from truceline.clock import FixedClock
from truceline.home import Home
from truceline.observation import format_time

WIDTH_M = 2000.0


def _t(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _km(a: list[float], b: list[float]) -> float:
    """Equirectangular distance, good to well under 1 % over a few km."""
    lat = math.radians((a[1] + b[1]) / 2)
    dx = math.radians(b[0] - a[0]) * math.cos(lat)
    dy = math.radians(b[1] - a[1])
    return 6371.0 * math.hypot(dx, dy)


def _road(cid: str, at: list[float], start: datetime, end: datetime) -> dict[str, Any]:
    lon, lat = at
    return {
        "type": "Feature",
        "geometry": {"type": "LineString", "coordinates": [[lon - 0.01, lat], [lon + 0.01, lat]]},
        "properties": {
            "id": cid,
            "width_m": WIDTH_M,
            "windows": [{"start": format_time(start), "end": format_time(end)}],
        },
    }


def _struck_and_quiet(home: Path) -> tuple[dict[str, Any], datetime, datetime]:
    """A verified breach naming its weapon (what a forecast counts), and a two-hour span
    before it with no incident at all within 10 km of it: the road through it was struck
    in its hour and quiet then."""
    features = json.loads(cli("incidents", "--home", str(home)))["features"]
    incidents = [(f["properties"], f["geometry"]["coordinates"]) for f in features if f["geometry"]]
    for props, where in incidents:
        if props["state"] != "verified" or not props["weapon_class"] or not props["rules"]:
            continue
        t = _t(props["window"][0])
        quiet = (t - timedelta(hours=4), t - timedelta(hours=2))
        if any(
            quiet[0] - timedelta(hours=1) <= _t(p["window"][0]) < quiet[1] + timedelta(hours=1)
            and _km(w, where) < 10
            for p, w in incidents
        ):
            continue
        if t - timedelta(hours=4) > _t(min(p["window"][0] for p, _ in incidents)):
            return {"location": where, "at": t}, *quiet
    raise AssertionError("no verified breach with a quiet span before it in this log")


@pytest.fixture(scope="module")
def tracked(deterred: Sim, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A copy of the mission with forecasts published for two roads through one verified
    breach (one open in the breach's hour, one in a quiet span before it) and one road
    whose window has not closed by the log's last evidence."""
    root = tmp_path_factory.mktemp("tracked")
    home = root / "home"
    shutil.copytree(deterred.home, home)
    hit, q0, q1 = _struck_and_quiet(home)
    t, where = hit["at"], hit["location"]
    roads = {
        "type": "FeatureCollection",
        "features": [
            _road("struck", where, t - timedelta(minutes=30), t + timedelta(minutes=30)),
            _road("quiet", where, q0, q1),
        ],
    }
    (root / "roads.geojson").write_text(json.dumps(roads))
    at = format_time(q0 - timedelta(hours=1))
    cli("corridors", "--home", str(home), "--at", at, "--corridors", str(root / "roads.geojson"),
        "--publish")  # fmt: skip
    last = max(
        _t(f["properties"]["window"][1])
        for f in json.loads(cli("incidents", "--home", str(home)))["features"]
    )
    later = {
        "type": "FeatureCollection",
        "features": [_road("later", where, last - timedelta(hours=1), last + timedelta(days=2))],
    }
    (root / "later.geojson").write_text(json.dumps(later))
    cli("corridors", "--home", str(home), "--at", format_time(last - timedelta(hours=2)),
        "--corridors", str(root / "later.geojson"), "--publish")  # fmt: skip
    return {"home": home, "sim": deterred.sim}


def test_each_closed_window_beside_what_the_log_shows(tracked: dict[str, Any]) -> None:
    doc = json.loads(cli("corridors", "--home", str(tracked["home"]), "--track-record"))
    assert doc["records"] == 2 and doc["skipped"] == []
    outcome = {r["corridor"]: r["breached"] for r in doc["rows"]}
    assert outcome == {"struck": 1, "quiet": 0}
    assert doc["windows_open"] == 1  # "later" closes after the log's last evidence
    published = json.loads(cli("corridors", "--home", str(tracked["home"]), "--published"))
    p = {r["corridor"]: r["p_breach"] for rec in published["published"] for r in rec["rows"]}
    assert {r["corridor"]: r["p_breach"] for r in doc["rows"]} == {
        c: p[c] for c in ("struck", "quiet")
    }
    scores = doc["scores"]
    brier = sum((r["p_breach"] - r["breached"]) ** 2 for r in doc["rows"]) / 2
    assert scores["windows"] == 2 and scores["breached"] == 1
    assert scores["brier"] == round(brier, 4)
    assert scores["auc"] == (
        1.0 if p["struck"] > p["quiet"] else 0.5 if p["struck"] == p["quiet"] else 0.0
    )


def test_csv_and_http_give_the_same_record(tracked: dict[str, Any]) -> None:
    home = tracked["home"]
    doc = json.loads(cli("corridors", "--home", str(home), "--track-record"))
    text = cli("corridors", "--home", str(home), "--track-record", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(r["corridor"], int(r["breached"])) for r in rows] == [
        (r["corridor"], r["breached"]) for r in doc["rows"]
    ]
    client = TestClient(create_app(Home(home), FixedClock(_t(doc["as_of"]))))
    got = client.get("/corridors/track-record")
    assert got.status_code == 200 and got.json() == doc
    assert client.get("/corridors/track-record", params={"format": "xml"}).status_code == 422


def test_a_forecast_record_not_signed_by_the_publisher_is_not_in_the_record(
    tracked: dict[str, Any], tmp_path: Path
) -> None:
    """A party cannot pad the mission's track record: a forecast record it signs itself
    (here with a sensor's key) is not the mission's and is not scored."""
    from truceline.codec import keys
    from truceline.codec.entries import decode
    from truceline.codec.records import seal
    from truceline.corridors.record import FORECAST_TYPE

    home = tmp_path / "home"
    shutil.copytree(tracked["home"], home)
    ledger = Home(home).reader()
    try:
        payload = next(r for i, e in ledger.scan() if (r := decode(i, e, (FORECAST_TYPE,)))).payload
    finally:
        ledger.close()
    flattering = payload | {"rows": [r | {"p_breach": 0.999} for r in payload["rows"]]}
    sensor = keys.load_private_key(tracked["sim"] / "keys" / "acoustic-mission-001.key")
    (tmp_path / "forged.json").write_bytes(
        seal(FORECAST_TYPE, flattering, sensor, keys.key_id(sensor.public_key()))
    )
    cli("log", "append", "--home", str(home), str(tmp_path / "forged.json"))
    before = json.loads(cli("corridors", "--home", str(tracked["home"]), "--track-record"))
    after = json.loads(cli("corridors", "--home", str(home), "--track-record"))
    assert after["records"] == before["records"] == 2
    assert after["rows"] == before["rows"]
