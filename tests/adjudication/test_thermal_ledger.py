"""Satellite fires through the whole path: FIRMS files imported by the gateway into a real
log, `truceline fuse`, `truceline replay`. A later import re-judges an earlier fire."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import yaml
from typer.testing import CliRunner

from truceline.adjudication.service import recompute
from truceline.agreement.load import load_agreement_text
from truceline.cli import app
from truceline.clock import FixedClock
from truceline.home import Home
from truceline.ingest.bootstrap import init_home
from truceline.ingest.service import Mission

REPO = Path(__file__).resolve().parents[2]
FARM, FRESH = (35.62, 47.555), (35.90, 47.61)  # both in the example's buffer zone


def firms(path: Path, pixels: list[tuple[tuple[float, float], date, int]]) -> Path:
    """A date-only FIRMS file (the yearly files' schema): n pixels ~30 m apart per entry."""
    lines = ["latitude,longitude,acq_date"]
    for (lon, lat), day, n in pixels:
        lines += [f"{lat + k * 3e-4:.5f},{lon:.5f},{day.isoformat()}" for k in range(n)]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_a_later_import_turns_an_earlier_fire_into_a_breach(tmp_path: Path) -> None:
    # effective 2026-03-01; a mission importing a year of archive says so (docs/agreement.md)
    doc = yaml.safe_load((REPO / "examples/agreement.yaml").read_text())
    doc["time"]["max_age_s"] = 400 * 86_400
    text = yaml.safe_dump(doc)
    root = tmp_path / "home"
    clock = FixedClock(datetime(2026, 4, 1, tzinfo=UTC))
    init_home(root, load_agreement_text(text), text, None, None, None, clock)
    home = Home(root)
    year_before = [(FARM, date(2025, 3, 1) + timedelta(days=d), 3) for d in range(31)]
    week1 = [(FARM, date(2026, 3, 5), 4), (FRESH, date(2026, 3, 5), 4)]
    week2 = [(FARM, date(2026, 3, 12), 4), (FRESH, date(2026, 3, 12), 4)]
    runner = CliRunner()

    def fuse() -> dict[str, int]:
        result = runner.invoke(app, ["fuse", "--home", str(root), "--now", "2026-04-01T00:00:00Z"])
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    with Mission(home, clock) as mission:
        mission.import_file("firms", firms(tmp_path / "history.csv", year_before))
        mission.import_file("firms", firms(tmp_path / "week1.csv", week1))
        first_import = mission.ledger.size
    assert fuse()["transitions"] == 0  # one day beyond the season is no war yet
    with Mission(home, clock) as mission:
        mission.import_file("firms", firms(tmp_path / "week2.csv", week2))
    after = fuse()
    assert after["transitions"] == after["appended"] == 2
    verdicts = recompute(home)
    by_incident = {
        r.incident: (r, cause) for r, cause in zip(verdicts.emitted, verdicts.triggers, strict=True)
    }
    early = [(r, cause) for r, cause in by_incident.values() if max(r.evidence) < first_import]
    assert len(early) == 1  # the week-1 fire at the fresh cell, and not the farm
    record, cause = early[0]
    assert record.rules == ["art-2.2"] and record.kind == "thermal_anomaly"
    assert cause >= first_import  # re-judged by a pixel of the second import
    result = runner.invoke(app, ["replay", "--home", str(root)])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["matched"] == 2 and report["differences"] == []
