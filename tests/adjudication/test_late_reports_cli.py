"""Late reports through the CLI: `truceline ingest --now` then `truceline fuse --now`.

A patrol's "heard impact" ingested after the day's feed joins its incident as if it had
come in time; patrol rows ingested before the feed do not keep the feed from being fused.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .signed_mission import (
    FEED,
    PATROL_EVENING,
    PATROL_LATE,
    fuse,
    ingest,
    open_mission,
    replay,
    strikes,
)


def mission(root: Path, files: list[tuple[str, str]]) -> dict[str, dict[str, Any]]:
    """A home fed `files` (name, signed reports) in that order, then fused: the
    incidents by strike; `truceline replay` agrees."""
    home = open_mission(root)
    for name, text in files:
        ingest(home, name, text)
    fuse(home)
    replay(home)
    return strikes(home)


def verdict(incident: dict[str, Any]) -> tuple[object, ...]:
    return (
        incident["state"],
        incident["grade"],
        incident["accused"],
        tuple(incident["rules"]),
        len(incident["evidence"]),
    )


def test_a_late_patrol_report_verifies_as_if_it_came_in_time(tmp_path: Path) -> None:
    in_time = mission(
        tmp_path / "in-time",
        [("patrol.jsonl", PATROL_LATE), ("feed.jsonl", FEED), ("evening.jsonl", PATROL_EVENING)],
    )
    late = mission(
        tmp_path / "late",
        [("evening.jsonl", PATROL_EVENING), ("feed.jsonl", FEED), ("patrol.jsonl", PATROL_LATE)],
    )
    for run in (in_time, late):
        a, b = run["A"], run["B"]
        # Strike A: the radar track and the patrol's heard impact, two independent sources.
        assert a["state"] == "verified" and a["accused"] == "party-b"
        assert len(a["evidence"]) == 2
        # Strike B: the feed fused with itself, although five patrol rows dated hours
        # after it were logged before it in the late mission.
        assert b["state"] == "verified" and len(b["evidence"]) == 2
    assert verdict(late["A"]) == verdict(in_time["A"])
    assert verdict(late["B"]) == verdict(in_time["B"])
