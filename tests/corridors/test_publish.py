"""`truceline corridors --publish`: a signed record of the forecast; `--published` (the
insurer's export) and `--verify` from a mirror fetched over HTTP; the HTTP routes."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.corridors.conftest import Sim, cli
from tests.served_home import serve_home
from typer.testing import CliRunner

from truceline.api import create_app
from truceline.cli import app
from truceline.clock import FixedClock
from truceline.codec.entries import decode
from truceline.corridors.record import FORECAST_TYPE
from truceline.home import Home

runner = CliRunner()
AT = "2026-06-05T00:00:00Z"
ROAD = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "geometry": {"type": "LineString", "coordinates": [[35.0, 47.9], [35.2, 48.0]]},
            "properties": {
                "id": "road-1",
                "windows": [{"start": "2026-06-05T06:00:00Z", "end": "2026-06-05T12:00:00Z"}],
            },
        }
    ],
}


@pytest.fixture(scope="module")
def published(deterred: Sim, tmp_path_factory: pytest.TempPathFactory) -> Sim:
    """A copy of the mission with two forecasts published: the agreement's corridors, a file."""
    root = tmp_path_factory.mktemp("published")
    home = root / "home"
    shutil.copytree(deterred.home, home)
    road = root / "road.geojson"
    road.write_text(json.dumps(ROAD))
    for extra in ([], ["--corridors", str(road)]):
        result = runner.invoke(
            app, ["corridors", "--home", str(home), "--at", AT, "--publish", *extra]
        )
        assert result.exit_code == 0, result.output
    return Sim(home, deterred.sim)


def test_publish_logs_a_signed_record_equal_to_the_forecast(published: Sim) -> None:
    ledger = Home(published.home).reader()
    try:
        records = [r for i, e in ledger.scan() if (r := decode(i, e, (FORECAST_TYPE,)))]
    finally:
        ledger.close()
    assert len(records) == 2
    first = records[0].payload
    assert first["publisher"] and first["corridors_source"] == "agreement"
    doc = json.loads(cli("corridors", "--home", published.h, "--at", AT))
    # the log has grown by the records since: the forecast now reads a longer log, but the
    # probabilities come from the same breaches
    assert [r["p_breach"] for r in first["rows"]] == [f["p_breach"] for f in doc["forecasts"]]
    assert records[1].payload["corridors"]["features"][0]["properties"]["id"] == "road-1"


def test_export_lists_every_published_row(published: Sim) -> None:
    doc = json.loads(cli("corridors", "--home", published.h, "--published"))
    assert [len(p["rows"]) for p in doc["published"]] == [4, 1]
    text = cli("corridors", "--home", published.h, "--published", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["corridor"] for r in rows] == [f"corridor-{i}" for i in (1, 2, 3, 4)] + ["road-1"]
    assert rows[0]["index"] == str(doc["published"][0]["index"])


def test_a_mirror_recomputes_every_published_forecast(published: Sim, tmp_path: Path) -> None:
    mirror = tmp_path / "mirror"
    with serve_home(published.home) as url:
        cli("mirror", f"{url}/log", "--home", str(mirror))
    out = json.loads(cli("corridors", "--home", str(mirror), "--verify"))
    assert [r["result"] for r in out["verified"]] == ["equal", "equal"]
    # a mirror cannot publish: it holds no publisher key
    result = runner.invoke(app, ["corridors", "--home", str(mirror), "--at", AT, "--publish"])
    assert result.exit_code == 2 and "cannot publish" in result.stderr


def test_a_forged_forecast_record_is_ignored_and_a_changed_one_fails(
    published: Sim, tmp_path: Path
) -> None:
    """A record signed by a sensor key is not a forecast of the mission; one whose rows
    differ from what the log implies makes --verify fail."""
    from truceline.codec import keys
    from truceline.codec.records import seal

    home = tmp_path / "home"
    shutil.copytree(published.home, home)
    ledger = Home(home).reader()
    try:
        payload = next(r for i, e in ledger.scan() if (r := decode(i, e, (FORECAST_TYPE,)))).payload
    finally:
        ledger.close()
    changed = payload | {"rows": [payload["rows"][0] | {"p_breach": 0.001}] + payload["rows"][1:]}
    sensor = keys.load_private_key(published.sim / "keys" / "acoustic-mission-001.key")
    forged = seal(FORECAST_TYPE, changed, sensor, keys.key_id(sensor.public_key()))
    (tmp_path / "forged.json").write_bytes(forged)
    cli("log", "append", "--home", str(home), str(tmp_path / "forged.json"))
    out = json.loads(cli("corridors", "--home", str(home), "--verify"))
    assert len(out["verified"]) == 2  # the forged record is not the mission's
    # the publisher itself publishing a changed forecast is caught by recomputation
    from truceline.report.publish import publisher_key

    key, keyid, _ = publisher_key(Home(home))
    (tmp_path / "changed.json").write_bytes(seal(FORECAST_TYPE, changed, key, keyid))
    cli("log", "append", "--home", str(home), str(tmp_path / "changed.json"))
    result = runner.invoke(app, ["corridors", "--home", str(home), "--verify"])
    assert result.exit_code == 1
    verdicts = json.loads(result.stdout)["verified"]
    assert [v["result"] for v in verdicts] == ["equal", "equal", "differs"]
    assert verdicts[2]["field"] == "rows"


def test_http_routes(published: Sim) -> None:
    from datetime import datetime

    client = TestClient(create_app(Home(published.home), FixedClock(datetime.fromisoformat(AT))))
    got = client.get("/corridors", params={"at": AT, "window": "24h"})
    assert got.status_code == 200
    cli_doc = json.loads(cli("corridors", "--home", published.h, "--at", AT))
    assert got.json() == cli_doc
    csv_got = client.get("/corridors", params={"at": AT, "format": "csv"})
    assert csv_got.headers["content-type"].startswith("text/csv")
    assert csv_got.text.splitlines()[0].startswith("corridor,name,window_start")
    assert client.get("/corridors", params={"at": AT, "window": "soon"}).status_code == 422
    assert client.get("/corridors", params={"at": "yesterday"}).status_code == 422
    export = client.get("/corridors/published").json()["published"]
    assert len(export) == 2
    verified = client.get("/corridors/verify").json()["verified"]
    assert [v["result"] for v in verified] == ["equal", "equal"]
