"""A back-dated revocation reaches settled verdicts too, through the CLI.

An incident is disputed by the accused, inspected, and confirmed by a team's finding; its
warning case is on the log. Then a key it rests on turns out to have been captured:
`truceline sensor revoke --effective-at` back-dated, `fuse`, `enforce`. What the revoked
key signed no longer counts in that verdict either, the transition says why, the
enforcement case follows on the log, and `replay` recomputes all of it.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from truceline.adjudication.service import recompute
from truceline.home import Home
from truceline.observation import format_time

from .conftest import FAR, Mission, cli, key_file, uninspected_verified, when

TEAM = "patrol-mission-001"


def _settled_after_dispute(
    m: Mission, tmp: Path, result: str = "confirmed"
) -> tuple[dict[str, Any], str]:
    """A verified incident, disputed by its accused, inspected and settled by TEAM's
    finding `result` (CLI); the incident and the time of the finding."""
    target = uninspected_verified(m)
    accused = target["accused"]
    cli(
        "dispute",
        "--home",
        m.h,
        "--incident",
        target["incident"],
        "--as",
        accused,
        "--reason",
        "our guns were silent",
        "--key",
        key_file(m, tmp, accused),
    )
    cli("fuse", "--home", m.h)
    cli("enforce", "--home", m.h, "--now", FAR)
    inspections = json.loads(cli("inspections", "--home", m.h, "--now", FAR))["inspections"]
    item = next(i for i in inspections if i.get("incident") == target["incident"])
    found_at = format_time(when(item["opened_at"]) + timedelta(seconds=30))
    lon, lat = target["location"]
    finding = json.loads(
        cli(
            "finding",
            "--home",
            m.h,
            "--as",
            TEAM,
            "--key",
            key_file(m, tmp, TEAM, signatory=False),
            "--incident",
            target["incident"],
            "--finding",
            result,
            "--lon",
            str(lon),
            "--lat",
            str(lat),
            "--at",
            found_at,
        )
    )
    assert finding["accepted"]
    cli("fuse", "--home", m.h)
    assert m.incident(target["incident"])["state"] == result
    return target, found_at


def _revoke(m: Mission, sensor: str, since: str, reason: str) -> int:
    out = cli(
        "sensor",
        "revoke",
        sensor,
        "--home",
        m.h,
        "--effective-at",
        since,
        "--reason",
        reason,
    )
    return int(out.split()[-1])


def _case_of(m: Mission, incident: str) -> dict[str, Any]:
    penalties = json.loads(cli("penalties", "--home", m.h, "--now", FAR))["penalties"]
    return next(c for c in penalties if incident in c["incidents"])


def _verdicts_recomputed(m: Mission) -> None:
    """`truceline replay` recomputes every logged verdict from the log alone."""
    code, report = m.replay()
    assert report["differences"] == [] and report["pending"] == 0
    assert report["matched"] == report["logged"]
    assert code == 0, report


@pytest.mark.parametrize("result", ["confirmed", "dismissed"])
def test_a_finding_signed_with_a_captured_key_no_longer_settles(
    mission: Mission, tmp_path: Path, result: str
) -> None:
    """The team's device was captured before it filed the finding: the finding (a
    confirmation or a dismissal) is taken back and the incident is again awaiting the
    inspection its dispute asked for."""
    target, found_at = _settled_after_dispute(mission, tmp_path, result)
    captured = format_time(when(found_at) - timedelta(minutes=1))
    entry = _revoke(mission, TEAM, captured, "device seized")
    cli("fuse", "--home", mission.h)
    after = mission.incident(target["incident"])
    assert after["state"] == "inspection"
    assert f"re-judged: sensor {TEAM} revoked from {captured}" in after["reason"]
    assert f"(entry {entry}: device seized); 1 of its report(s) no longer count" in after["reason"]
    assert after["reason"].endswith("the inspection it awaits is still owed")
    _verdicts_recomputed(mission)


def test_revoking_what_a_confirmed_verdict_rests_on_withdraws_it_and_its_case(
    mission: Mission, tmp_path: Path
) -> None:
    """Every sensor behind a confirmed incident was compromised from before it: the
    verdict is judged again without them (no breach is left), dismissed with the
    reason, and its warning case is voided on the log by the enforcement appender."""
    target, _ = _settled_after_dispute(mission, tmp_path)
    cli("enforce", "--home", mission.h, "--now", FAR)
    assert _case_of(mission, target["incident"])["status"] != "void"
    observed = dict(recompute(Home(mission.home)).view.observations)
    sensors = sorted({observed[i].sensor for i in target["evidence"] if i in observed} - {TEAM})
    assert sensors
    since = format_time(when(target["window"][0]) - timedelta(hours=1))
    entries = [_revoke(mission, s, since, "key captured") for s in sensors]
    cli("fuse", "--home", mission.h)
    after = mission.incident(target["incident"])
    assert after["state"] == "dismissed"
    assert "re-judged: sensor" in after["reason"]
    assert f"(entry {entries[-1]}: key captured)" in after["reason"]
    assert "no prohibited act" in after["reason"]
    # The consequence goes through the agreement's path: a logged transition, not a deletion.
    appended = json.loads(cli("enforce", "--home", mission.h, "--now", FAR))
    assert appended["appended"] >= 1
    case = _case_of(mission, target["incident"])
    assert case["status"] == "void"
    _verdicts_recomputed(mission)
