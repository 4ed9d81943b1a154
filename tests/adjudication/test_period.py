"""Issue #11: nothing dated outside the agreement period is judged a breach.

The same three-source breach (a mission radar, a guarantor's acoustic array, a party's
seismic sensor: Confirmed when in period) is logged 9 days before `effective_from`, in
period, and after `time.effective_until`. Only the one in period is verified; the others
are logged once as dismissed with the reason, through `truceline fuse`, `incidents` and
`replay`, and a forged Confirmed verdict for one of them is a replay difference.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from typer.testing import CliRunner

from truceline.adjudication.service import recompute
from truceline.adjudication.verdict import State, seal_transition
from truceline.cli import app
from truceline.observation import Observation

from .helpers import SENSORS, obs, radar
from .homes import MissionHome

DAY = 86_400.0
runner = CliRunner()


def _breach(seq: int, at: float) -> list[Observation]:
    return [
        radar("radar-m1", seq, at),
        obs(
            "acoustic-g1",
            seq,
            at + 20,
            "explosion",
            (36.55, 47.78),
            50,
            bearing_deg=110.0,
            distance_band_m=(3000, 6000),
        ),
        obs("seismic-a1", seq, at + 5, "explosion", (36.621, 47.751), 300),
    ]


def _cli(*args: str, code: int = 0) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, result.output
    return result.stdout


def test_breaches_outside_the_period_are_logged_not_judged(tmp_path: Path) -> None:
    # T0 is 2026-03-05T10:00Z; the agreement took effect 2026-03-01 and ends on 03-08
    def ends(doc: dict) -> None:
        doc["time"] = {**doc.get("time", {}), "effective_until": "2026-03-08T00:00:00Z"}

    h = MissionHome(tmp_path / "home", SENSORS, amend=ends)
    h.append(_breach(1, -9 * DAY))  # 2026-02-24: before effective_from
    h.append(_breach(2, 0))  # in period
    h.append(_breach(3, 3 * DAY))  # 2026-03-08T10:00Z: after effective_until

    home = str(h.home.root)
    out = json.loads(_cli("fuse", "--home", home))
    assert out["by_state"] == {"dismissed": 2, "verified": 1}, out
    rows = list(csv.DictReader(io.StringIO(_cli("incidents", "--home", home, "--format", "csv"))))
    by_state = {r["state"]: r for r in rows}
    assert set(by_state) == {"dismissed", "verified"} and len(rows) == 3
    assert by_state["verified"]["grade"] == "confirmed"
    reasons = sorted(r["reason"] for r in rows if r["state"] == "dismissed")
    assert reasons[0].startswith(
        "outside the agreement period: first evidence 2026-02-24T10:00:00Z is before "
        "effective_from 2026-03-01T00:00:00Z; not judged (would breach art-1.1)"
    )
    assert "is at or after time.effective_until 2026-03-08T00:00:00Z" in reasons[1]
    assert all(r["rules"] == "" for r in rows if r["state"] == "dismissed")
    assert json.loads(_cli("replay", "--home", home))["ok"] is True

    # an inspection finding cannot confirm it afterwards
    before = recompute(h.home).emitted
    first = next(t for t in before if t.state is State.dismissed)
    h.append(
        [
            obs(
                "patrol-m1",
                9,
                -9 * DAY + 600,
                "inspection_report",
                (36.62, 47.75),
                50,
                incident=first.incident,
                finding="confirmed",
            )
        ]
    )
    after = recompute(h.home)
    assert [t.model_dump() for t in after.emitted] == [t.model_dump() for t in before]

    # a forged Confirmed verdict for it is caught by replay
    forged = first.model_copy(update={"state": State.confirmed, "rules": ["art-1.1"]})
    key, keyid = h.adjudicator
    h.log.append([seal_transition(forged, key, keyid)])
    report = json.loads(_cli("replay", "--home", home, code=1))
    assert report["ok"] is False and report["differences"][0]["kind"] in ("extra", "mismatch")


def test_a_back_dated_report_does_not_move_a_logged_incident_out(tmp_path: Path) -> None:
    """A breach one minute after effective_from, logged first; then a report by another
    sensor dated two minutes earlier (before effective_from) joins it. The incident keeps
    the time of its first logged evidence and stays verified."""
    h = MissionHome(tmp_path / "home", SENSORS)
    start = -(4 * DAY + 10 * 3600)  # T0 is 2026-03-05T10:00Z: this is 2026-03-01T00:00Z
    h.append(_breach(1, start + 60))
    (late,) = h.append([radar("radar-b1", 1, start - 60)])  # a new source: re-judged
    verdicts = recompute(h.home)
    latest = {t.incident: t for t in verdicts.emitted}
    assert [t.state for t in latest.values()] == [State.verified]
    (incident,) = latest
    assert late in verdicts.engine.members()[incident]  # it joined, and moved nothing out
