"""Presence breaches end to end through the CLI, on a small simulated escalation.

`truceline simulate` (a day of escalation on a 200 km front, with heavy weapons moved
forward, troops in the buffer, UAVs and imaging satellites) -> `init` -> `sensor add` ->
`ingest --now` -> `fuse --now` -> `evaluate` and `incidents`."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
from tests.simulated_home import cli, init_home

SCENARIO = """\
base: escalation
name: presence-test
days: 1
world: {front_km: 200, corridors: 1, holding_sites_per_party: 2}
behaviour:
  phases:
    - {days: 1, mode: escalation, aggressor: east}
  removals_per_site_day: {escalation: 3}
  access_denials_per_100km_day: {escalation: 5}
  heavy_moves_per_100km_day: {escalation: 40}
  buffer_entries_per_100km_day: {escalation: 10}
  engagements_per_100km_day: {escalation: 5}
  corridor_attacks_per_day: 2
  site_attacks_per_day: 2
sensors:
  uav: {per_100km: 2, sorties_per_day: 3}
"""


@pytest.fixture(scope="module")
def mission(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("presence")
    (root / "scenario.yaml").write_text(SCENARIO)
    sim, home = root / "sim", root / "home"
    cli("simulate", "--seed", "3", "--scenario", str(root / "scenario.yaml"), "--out", str(sim))
    init_home(sim, home)
    cli(
        "ingest",
        "--home",
        str(home),
        "--now",
        "2026-06-02T00:30:00Z",
        str(sim / "observations.jsonl"),
    )
    cli("fuse", "--home", str(home), "--now", "2026-06-02T01:00:00Z")
    return home, sim


def test_evaluate_reports_recall_per_breach_type(mission: tuple[Path, Path]) -> None:
    home, sim = mission
    scores = json.loads(cli("evaluate", "--home", str(home), "--truth", str(sim / "truth.jsonl")))
    by_type = scores["recall_by_breach_type"]
    assert set(by_type) == {"fire", "presence", "corridor", "protected_site"}
    for kind in by_type.values():
        for recall in kind.values():
            assert recall["found"] <= recall["of"]
    presence = by_type["presence"]["over_breach_events_independent_sensors_saw"]
    assert presence["of"] >= 5 and presence["value"] >= 0.9
    # Most presence breaches are seen by one sensor or none: far below.
    assert by_type["presence"]["over_all_breach_events"]["value"] < 0.5
    assert scores["false_accusations_at_confirmed"] == 0
    assert scores["false_accusations_by_grade"].get("confirmed", 0) == 0


def test_a_weapon_seen_on_successive_passes_is_one_verified_incident(
    mission: tuple[Path, Path],
) -> None:
    home, _ = mission
    features = json.loads(cli("incidents", "--home", str(home)))["features"]
    presence = [
        f["properties"]
        for f in features
        if f["properties"]["kind"] in ("heavy_weapon_sighting", "troop_movement")
    ]
    spans = [
        (datetime.fromisoformat(p["window"][1]) - datetime.fromisoformat(p["window"][0]))
        for p in presence
        if p["state"] == "verified" and len(p["evidence"]) >= 2
    ]
    # Verified on sightings hours apart (passes, sorties), not within one association window.
    assert sum(s.total_seconds() > 3600 for s in spans) >= 5
    # A presence is judged by the ground it stands on: the withdrawal and buffer acts only.
    assert {r for p in presence for r in p["rules"]} <= {"art-2", "art-3"}


def test_weapons_missing_and_access_denied_are_verified_on_two_sources(
    mission: tuple[Path, Path],
) -> None:
    home, sim = mission
    agreement = (sim / "agreement.yaml").read_text()
    assert "holding_sites:" in agreement and "weapon_missing_from_site" in agreement
    features = json.loads(cli("incidents", "--home", str(home)))["features"]
    verified = [f["properties"] for f in features if f["properties"]["state"] == "verified"]
    by_kind = {
        kind: [p for p in verified if p["kind"] == kind]
        for kind in ("weapons_missing", "access_denied")
    }
    assert by_kind["weapons_missing"] and by_kind["access_denied"]
    assert all(p["rules"] == ["art-7"] for p in by_kind["weapons_missing"])
    assert all(p["rules"] == ["art-8"] for p in by_kind["access_denied"])
    # The party holding the site or the checkpoint answers for it.
    assert all(p["accused"] in ("east", "west") for ps in by_kind.values() for p in ps)


def test_replay_gives_the_same_presence_verdicts(mission: tuple[Path, Path]) -> None:
    home, _ = mission
    report = json.loads(cli("replay", "--home", str(home)))
    assert report["ok"] is True and report["matched"] == report["logged"] > 0
