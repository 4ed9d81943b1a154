"""An observer team's report through the CLI: `truceline init` on the example agreement,
`ingest --format observer --now`, `fuse --now`, `incidents`. Weak sightings are accepted,
and the team's own kinds reach the rules (weapons missing from a declared holding site,
access denied)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from tests.simulated_home import cli

REPO = Path(__file__).resolve().parents[2]
REPORT = """\
team,team_lat,team_lon,time,perception,kind,direction,distance,weapon,count,site,status
SMM-ZAP-1,47.70,35.60,2026-03-05T09:00:00Z,heard,explosion,SSE,,,3,,
SMM-ZAP-1,47.70,35.60,2026-03-05T09:10:00Z,heard,explosion,S,more than 5 km,,1,,
SMM-ZAP-1,47.70,35.60,2026-03-05T09:20:00Z,heard,explosion,,,,1,,
SMM-ZAP-1,48.05,35.40,2026-03-05T10:00:00Z,seen,site inspection,,,tank,9,hs-north-1,
SMM-ZAP-1,48.05,35.40,2026-03-05T10:05:00Z,seen,weapons missing,,,tank,3,hs-north-1,
SMM-ZAP-1,47.80,35.60,2026-03-05T11:00:00Z,seen,access denied,,,,,,checkpoint closed
SMM-ZAP-1,47.60,35.30,2026-03-05T11:30:00Z,seen,corridor status,,,,,corridor-vasylivka,closed
SMM-ZAP-1,47.60,35.30,2026-03-05T11:40:00Z,seen,demining,,,,,corridor-vasylivka,cleared
"""


def test_observer_report_through_the_cli(tmp_path: Path) -> None:
    home = str(tmp_path / "home")
    report = tmp_path / "team.csv"
    report.write_text(REPORT)
    cli("init", "--home", home, "--agreement", str(REPO / "examples" / "agreement.yaml"))
    out = cli(
        "ingest",
        "--home",
        home,
        "--format",
        "observer",
        "--now",
        "2026-03-05T13:00:00Z",
        str(report),
    )
    assert "accepted 8, rejected 0" in out
    cli("fuse", "--home", home, "--now", "2026-03-05T13:05:00Z")
    rows = list(csv.DictReader(io.StringIO(cli("incidents", "--home", home, "--format", "csv"))))
    verdicts = {r["kind"]: (r["rules"], r["accused"], r["grade"]) for r in rows}
    # One imported file is one source: breaches, but weak until a second source sees them.
    assert verdicts == {
        "weapons_missing": ("art-4.1", "party-a", "weak"),
        "access_denied": ("art-4.2", "party-a", "weak"),
    }
