"""`truceline metrics` and GET /metrics over a simulated home built through the CLI."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from simulated_home import Mission, cli_result, runner
from truceline.api import create_app
from truceline.cli import app
from truceline.home import Home

RANGE = ("--from", "2026-05-31", "--to", "2026-06-03")


def metrics(home: str, *extra: str) -> bytes:
    result = runner.invoke(app, ["metrics", "--home", home, *RANGE, *extra])
    assert result.exit_code == 0, result.output
    return result.stdout_bytes


def rows(doc: dict[str, Any], **where: Any) -> list[dict[str, Any]]:
    return [r for r in doc["rows"] if all(r[k] == v for k, v in where.items())]


@pytest.fixture(scope="module")
def outputs(simulated_mission: Mission) -> dict[str, bytes]:
    return {fmt: metrics(simulated_mission.h, "--format", fmt) for fmt in ("json", "csv")}


@pytest.fixture(scope="module")
def doc(outputs: dict[str, bytes]) -> dict[str, Any]:
    return json.loads(outputs["json"])


def test_breaches_match_the_logged_incidents(
    doc: dict[str, Any], simulated_mission: Mission
) -> None:
    assert doc["schema"] == "truceline.metrics/1"
    assert doc["periods"] == [
        "2026-05-31T00:00:00Z",
        "2026-06-01T00:00:00Z",
        "2026-06-02T00:00:00Z",
    ]
    standing = ("verified", "confirmed", "disputed", "inspection")
    want: dict[str, int] = {}
    for i in simulated_mission.incidents():
        if i["state"] in standing and i["rules"] and i["accused"]:
            want[i["accused"]] = want.get(i["accused"], 0) + 1
    got = {
        party: sum(
            r["value"] for r in rows(doc, metric="verified_breaches", key="all", party=party)
        )
        for party in want
    }
    assert got == want and sum(want.values()) > 10
    for party in want:
        total = sum(
            r["value"] for r in rows(doc, metric="verified_breaches", key="all", party=party)
        )
        by_grade = rows(doc, metric="verified_breaches", party=party)
        assert sum(r["value"] for r in by_grade if r["key"].startswith("grade:")) == total
        assert sum(r["value"] for r in by_grade if r["key"].startswith("weapon:")) == total
        # every period of every party has its figure, zeros included, with an interval
        series = rows(doc, metric="verified_breaches", key="all", party=party)
        assert [r["period"] for r in series] == doc["periods"]
        assert all(r["low"] <= r["value"] <= r["high"] for r in series)


def test_osce_counts_intervals_and_denominators(doc: dict[str, Any]) -> None:
    fire = rows(doc, metric="observed_fire")
    assert {r["key"].split(":")[0] for r in fire} >= {"impact", "launch", "explosion"}
    assert {r["party"] for r in fire} <= {"west", "east", "-"}
    sensors = rows(doc, metric="sensors_reporting", party="all")
    for r in sensors:
        assert r["of"] > 0 and r["n"] <= r["of"] and r["low"] <= r["value"] <= r["high"]
    busy = rows(doc, metric="sensors_reporting", party="all", period="2026-06-01T00:00:00Z")[0]
    assert busy["n"] > 10
    [cov] = rows(doc, metric="line_coverage", period="2026-06-01T00:00:00Z")
    assert 0.5 < cov["value"] <= 1.0
    [quiet] = rows(doc, metric="line_coverage", period="2026-05-31T00:00:00Z")
    assert quiet["value"] == 0  # the simulation starts on June 1st
    delays = rows(doc, metric="time_to_verification_s", key="p50")
    assert delays and all(r["n"] >= 1 for r in delays)
    assert rows(doc, metric="inspections") and rows(doc, metric="penalty_cases")
    change = rows(doc, metric="verified_breaches_change", period="2026-06-02T00:00:00Z")
    assert change and all(r["of"] is not None for r in change)


def test_a_mirror_gives_the_same_bytes(
    simulated_mission: Mission, outputs: dict[str, bytes], tmp_path: Path
) -> None:
    """Copy the home without its private parts (keys/, log.key): the public data alone
    gives byte-identical JSON and CSV, and no key is created."""
    mirror = tmp_path / "mirror"
    shutil.copytree(
        simulated_mission.home,
        mirror,
        ignore=lambda d, names: [n for n in names if n in ("keys", "log.key")],
    )
    for fmt in ("json", "csv"):
        assert metrics(str(mirror), "--format", fmt) == outputs[fmt]
    assert not (mirror / "keys").exists() and not (mirror / "log.key").exists()


def test_http_route_returns_the_cli_json(
    simulated_mission: Mission, outputs: dict[str, bytes]
) -> None:
    client = TestClient(create_app(Home(simulated_mission.home)))
    answer = client.get("/metrics", params={"from": "2026-05-31", "to": "2026-06-03", "by": "day"})
    assert answer.status_code == 200
    assert answer.content == outputs["json"]
    weekly = client.get("/metrics", params={"from": "2026-05-31", "to": "2026-06-03", "by": "week"})
    assert weekly.json()["periods"] == ["2026-05-25T00:00:00Z", "2026-06-01T00:00:00Z"]
    bad = client.get("/metrics", params={"from": "2026-06-03", "to": "2026-06-01"})
    assert bad.status_code == 422 and "is not after --from" in bad.json()["detail"]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("--from", "2026-06-03", "--to", "2026-06-01"), "--to:"),
        (("--from", "June 1st", "--to", "2026-06-03"), "--from: expected a date"),
        (("--from", "2026-06-01T00:00:00", "--to", "2026-06-03"), "expected a timezone"),
    ],
)
def test_errors_name_the_option(
    simulated_mission: Mission, args: tuple[str, ...], says: str
) -> None:
    result = cli_result("metrics", "--home", simulated_mission.h, *args)
    assert result.exit_code == 2 and says in result.output


def test_no_home_is_a_clean_error(tmp_path: Path) -> None:
    result = cli_result("metrics", "--home", str(tmp_path), *RANGE)
    assert result.exit_code == 2 and "no log here" in result.output
    assert not any(tmp_path.iterdir())


def test_csv_has_the_json_rows(doc: dict[str, Any], outputs: dict[str, bytes]) -> None:
    table = list(csv.DictReader(io.StringIO(outputs["csv"].decode())))
    assert [(r["metric"], r["party"], r["key"]) for r in table] == [
        (r["metric"], r["party"], r["key"]) for r in doc["rows"]
    ]
