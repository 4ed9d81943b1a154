"""A back-dated revocation through the CLI: `truceline sensor revoke --effective-at` earlier
than reports already logged, then `truceline fuse` re-judges what they supported."""

from __future__ import annotations

from pathlib import Path

from truceline.adjudication.service import recompute
from truceline.codec.keys import key_id
from truceline.home import Home

from .signed_mission import (
    FEED,
    KEYS,
    PATROL_LATE,
    cli,
    fuse,
    ingest,
    open_mission,
    replay,
    strikes,
)


def test_a_back_dated_revocation_rejudges_the_incidents_it_taints(tmp_path: Path) -> None:
    home = open_mission(tmp_path)
    ingest(home, "feed.jsonl", FEED)
    ingest(home, "patrol.jsonl", PATROL_LATE)
    fuse(home)
    before = strikes(home)
    assert before["A"]["state"] == before["B"]["state"] == "verified"
    # The guarantor's camera, which alone corroborates strike B, was captured at dawn.
    out = cli(
        "sensor",
        "revoke",
        "camera-g1",
        "--home",
        home,
        "--effective-at",
        "2026-06-01T05:00:00Z",
        "--reason",
        "key captured",
    )
    revocation = int(out.split()[-1])
    summary = fuse(home)
    assert summary["appended"] == 1
    after = strikes(home)
    b = after["B"]
    assert b["state"] == "inspection"  # no longer verified, and not silently withdrawn
    assert b["grade"] == "weak"
    assert "sensor camera-g1 revoked from 2026-06-01T05:00:00Z" in b["reason"]
    assert f"(entry {revocation}: key captured)" in b["reason"]
    assert "1 of its report(s) no longer count" in b["reason"]
    assert after["A"] == before["A"]  # strike A rests on no report of the camera
    # The transition's cause is the revocation, and replay recomputes it from the log.
    verdicts = recompute(Home(Path(home)))
    caused = [
        cause
        for rec, cause in zip(verdicts.emitted, verdicts.triggers, strict=True)
        if rec.incident == b["incident"] and rec.state.value == "inspection"
    ]
    assert caused == [revocation]
    report = replay(home)
    assert report["ok"] and report["pending"] == 0
    assert report["matched"] == report["logged"] == 5  # A and B: reported, verified; B: inspection
    assert fuse(home)["appended"] == 0  # idempotent


def test_reports_dated_before_the_revocation_still_count(tmp_path: Path) -> None:
    home = open_mission(tmp_path)
    ingest(home, "feed.jsonl", FEED)
    fuse(home)
    cli(
        "sensor",
        "revoke",
        "camera-g1",
        "--home",
        home,
        "--effective-at",
        "2026-06-01T12:30:00Z",  # after the camera's report of strike B (12:00:30)
    )
    assert fuse(home)["appended"] == 0
    assert strikes(home)["B"]["state"] == "verified"
    assert replay(home)["ok"]


def test_revoking_the_sensors_key_takes_back_what_it_signed(tmp_path: Path) -> None:
    """`--keyid`: the camera's key alone, revoked back to dawn, takes back its report of
    strike B as revoking the camera does."""
    home = open_mission(tmp_path)
    ingest(home, "feed.jsonl", FEED)
    fuse(home)
    keyid = key_id(KEYS["camera-g1"].public_key())
    cli(
        "sensor",
        "revoke",
        "camera-g1",
        "--home",
        home,
        "--keyid",
        keyid,
        "--effective-at",
        "2026-06-01T05:00:00Z",
    )
    assert fuse(home)["appended"] == 1
    b = strikes(home)["B"]
    assert b["state"] == "inspection"
    assert f"key {keyid} of sensor camera-g1 revoked from 2026-06-01T05:00:00Z" in b["reason"]
    assert replay(home)["ok"]
