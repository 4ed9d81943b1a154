"""The HTTP routes and the CLI commands over a real mission home (tile log, SQLite store)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from truceline.adjudication.verdict import INCIDENT_TYPE
from truceline.clock import FixedClock
from truceline.codec.keys import save_private_key
from truceline.enforcement.api import router
from truceline.enforcement.records import INSPECTION_REQUEST_TYPE, VOTE_TYPE
from truceline.home import Home
from truceline.observation import format_time

from ._world import T0, entry, incident, sanctions_home

NOW = T0 + timedelta(days=1)


@pytest.fixture
def home(tmp_path: Path) -> Home:
    h = sanctions_home(tmp_path / "home", routine=1)
    ledger = h.ledger()
    ledger.append([entry(INCIDENT_TYPE, incident("i1", "verified", T0))])
    ledger.close()
    return h


def vote(voter: str, choice: str, signer: str | None = None, at=NOW, case: str = "") -> bytes:
    obj = {"case": case, "voter": voter, "choice": choice, "cast_at": format_time(at)}
    return entry(VOTE_TYPE, obj, signer or voter)


def test_routes(home: Home) -> None:
    app = FastAPI()
    app.include_router(router(home, FixedClock(NOW)))
    client = TestClient(app)
    got = client.get("/enforcement/penalties").json()
    [case] = got["penalties"]
    assert case["status"] == "countdown" and case["effective_at"] == "2026-04-05T00:00:00Z"
    cid = case["case"]

    r = client.post("/enforcement/votes", content=vote("g1", "block", case=cid))
    assert r.status_code == 201 and r.json()["counted"] is True
    r = client.post("/enforcement/votes", content=vote("g1", "allow", case=cid))
    assert r.status_code == 201 and not r.json()["counted"] and "duplicate" in r.json()["reason"]
    r = client.post("/enforcement/votes", content=vote("party-a", "block", case=cid))
    assert r.status_code == 201 and "accused" in r.json()["reason"]

    for body, field in [
        (b"not json", "body"),
        (vote("g2", "block", signer="g3", case=cid), "signatures"),
        (vote("g2", "block", at=NOW - timedelta(hours=1), case=cid), "payload.cast_at"),
        (
            entry(
                VOTE_TYPE,
                {"case": cid, "voter": "g2", "choice": "maybe", "cast_at": format_time(NOW)},
                "g2",
            ),
            "payload.choice",
        ),
    ]:
        r = client.post("/enforcement/votes", content=body)
        assert r.status_code == 422 and r.json()["detail"].startswith(field), r.json()

    req = {
        "requester": "party-b",
        "at": format_time(NOW),
        "location": [35.5, 47.6],
        "reason": "shelling",
    }
    r = client.post(
        "/enforcement/inspection-requests", content=entry(INSPECTION_REQUEST_TYPE, req, "party-b")
    )
    assert r.status_code == 201 and r.json()["counted"]
    insp = client.get("/enforcement/inspections").json()
    assert any(
        i["origin"] == "requested" and i["due_by"] == format_time(NOW + timedelta(hours=48))
        for i in insp["inspections"]
    )
    assert set(insp["coverage"]) == {"z1", "z2"}
    assert client.get("/enforcement/playbooks").status_code == 200

    after = client.get("/enforcement/penalties", params={"now": "2026-04-05T00:00:00Z"}).json()
    assert after["penalties"][0]["status"] == "in_force"  # one block vote < majority 2
    assert after["penalties"][0]["votes"] == {"g1": "block"}


def test_cli(home: Home, tmp_path: Path) -> None:
    from truceline.cli import app

    from ._world import KEYS

    runner = CliRunner()
    out = runner.invoke(app, ["penalties", "--home", str(home.root), "--now", format_time(NOW)])
    assert out.exit_code == 0, out.output
    cid = json.loads(out.output)["penalties"][0]["case"]
    keyfile = save_private_key(tmp_path / "g2.key", KEYS["g2"])
    vote_args = [
        "vote",
        "--home",
        str(home.root),
        "--case",
        cid,
        "--voter",
        "g2",
        "--choice",
        "allow",
    ]
    out = runner.invoke(app, [*vote_args, "--key", str(keyfile)])
    # Cast now (by the wall clock), long after the window closed: logged, not counted.
    assert out.exit_code == 0, out.output
    assert (
        json.loads(out.output)["counted"] is False
        and "late vote" in json.loads(out.output)["reason"]
    )
    wrong = save_private_key(tmp_path / "g3.key", KEYS["g3"])
    out = runner.invoke(app, [*vote_args, "--key", str(wrong)])
    assert out.exit_code == 1 and "signatures" in out.output
    out = runner.invoke(app, ["enforce", "--home", str(home.root), "--now", "2026-04-05T00:00:00Z"])
    assert out.exit_code == 0 and json.loads(out.output)["appended"] > 0
    again = runner.invoke(
        app, ["enforce", "--home", str(home.root), "--now", "2026-04-05T00:00:00Z"]
    )
    assert json.loads(again.output)["appended"] == 0
    out = runner.invoke(app, ["inspections", "--home", str(home.root), "--now", format_time(NOW)])
    assert out.exit_code == 0 and json.loads(out.output)["coverage"]["z1"]["required"] == 1
    bad = runner.invoke(app, ["penalties", "--home", str(tmp_path / "nowhere")])
    assert bad.exit_code == 2


def test_enforce_follow_is_a_process_of_its_own(home: Home) -> None:
    """`truceline enforce --follow` as a real process beside this one's writer: the
    countdown of a breach verified on the log after it started, then a clean stop on
    SIGTERM with its count."""
    import signal
    import subprocess
    import sys
    import time

    from .test_appender import events

    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from truceline.cli import app; app()",
            "enforce",
            "--home",
            str(home.root),
            "--follow",
            "--poll",
            "0.02",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    ledger = home.ledger()
    try:
        ledger.append([entry(INCIDENT_TYPE, incident("i2", "verified", T0 + timedelta(hours=1)))])
        deadline = time.monotonic() + 60  # a bound on a hang, not a speed check
        started: list[dict] = []
        while len(started) < 2 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
            ledger.refresh()
            started = [e for e in events(ledger) if e["event"] == "countdown_started"]
        assert len(started) == 2, proc.stderr.read() if proc.poll() is not None else started
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        ledger.refresh()
        total = len(events(ledger))
        assert out.strip().endswith(f"{total} enforcement transition(s) appended")
    finally:
        if proc.poll() is None:
            proc.kill()
        ledger.close()


def test_late_evidence_opens_the_windows_when_it_is_logged(tmp_path: Path) -> None:
    """A breach whose evidence arrived 40 days after the event: the countdown and the vote
    window start when its transition was logged (signed `logged_at`), so the parties get
    the whole window; judged by event time, the penalty would be in force at once."""
    from truceline.adjudication.verdict import IncidentTransition, seal_transition
    from truceline.cli import app

    from ._world import ADJUDICATOR, KEYIDS, KEYS

    logged = T0 + timedelta(days=40)
    now = format_time(logged + timedelta(hours=1))
    runner = CliRunner()
    outcome = {}
    for late in (True, False):
        h = sanctions_home(tmp_path / f"home-{late}", routine=0)
        t = IncidentTransition.model_validate(incident("i1", "confirmed", T0))
        ledger = h.ledger()
        ledger.append(
            [seal_transition(t, KEYS[ADJUDICATOR], KEYIDS[ADJUDICATOR], logged if late else None)]
        )
        ledger.close()
        out = runner.invoke(app, ["enforce", "--home", str(h.root), "--now", now])
        assert out.exit_code == 0, out.output
        out = runner.invoke(app, ["penalties", "--home", str(h.root), "--now", now])
        [case] = json.loads(out.output)["penalties"]
        outcome[late] = case
    assert outcome[False]["status"] == "in_force"  # what the issue found: no vote possible
    assert outcome[True]["status"] == "countdown"
    assert outcome[True]["opened_at"] == format_time(logged)
    assert outcome[True]["vote_deadline"] > now
