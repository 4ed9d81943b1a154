"""Through a real tile log: fuse writes transitions idempotently, replay recomputes them,
the stream gives the batch's verdicts, disputes go to inspection, exports are complete."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from truceline.adjudication.service import fuse, recompute, replay
from truceline.adjudication.stream import StreamAdjudicator
from truceline.adjudication.verdict import State, seal_transition
from truceline.agreement.load import load_agreement
from truceline.cli import app
from truceline.clock import FixedClock

from .helpers import SENSORS, T0, obs, radar
from .homes import MissionHome


def scenario(h: MissionHome) -> None:
    h.append(
        [
            radar("radar-m1", 1, 0),
            obs(
                "acoustic-g1",
                1,
                20,
                "explosion",
                (36.55, 47.78),
                50,
                bearing_deg=110.0,
                distance_band_m=(3000, 6000),
            ),
        ]
    )
    h.append([obs("seismic-a1", 1, 5, "explosion", (36.621, 47.751), 300)])
    # A second event, later, seen by one radar only; and an unrelated explosion.
    h.append([radar("radar-m2", 1, 3600, impact=(36.30, 47.80), origin=(36.31, 47.60))])
    h.append([obs("seismic-b1", 1, 3700, "explosion", (35.0, 47.0), 300)])


def test_fuse_is_idempotent_and_replay_agrees(tmp_path: Path) -> None:
    h = MissionHome(tmp_path / "home", SENSORS)
    scenario(h)
    first = fuse(h.home)
    assert first["appended"] == first["transitions"] > 0
    assert first["by_grade"] == {"confirmed": 1, "weak": 1}
    again = fuse(h.home)
    assert again["appended"] == 0
    report = replay(h.home)
    assert report.ok and report.matched == first["transitions"] and report.pending == 0
    # New evidence after the fuse is pending, not a difference.
    h.log.append([h.seal(radar("radar-a1", 5, 3605, impact=(36.30, 47.80), origin=(36.31, 47.60)))])
    report = replay(h.home)
    assert report.ok and report.pending >= 1


def test_replay_detects_a_forged_transition(tmp_path: Path) -> None:
    h = MissionHome(tmp_path / "home", SENSORS)
    scenario(h)
    fuse(h.home)
    verdicts = recompute(h.home)
    forged = verdicts.emitted[0].model_copy(update={"accused": "party-a", "reason": "forged"})
    key, keyid = h.adjudicator
    h.log.append([seal_transition(forged, key, keyid)])
    report = replay(h.home)
    assert not report.ok and report.differences[0].kind == "extra"
    result = CliRunner().invoke(app, ["replay", "--home", str(h.home.root)])
    assert result.exit_code == 1
    assert json.loads(result.stdout)["differences"][0]["kind"] == "extra"


def test_stream_gives_the_batch_verdicts(tmp_path: Path) -> None:
    h = MissionHome(tmp_path / "home", SENSORS)
    scenario(h)
    agreement = load_agreement(h.home.agreement)
    batch = recompute(h.home)
    _, ref = batch.view.agreement(agreement)
    stream = StreamAdjudicator(agreement, ref)
    key, keyid = h.adjudicator
    appended = stream.follow(h.log, lambda rec: seal_transition(rec, key, keyid))
    assert [r.model_dump() for r in stream.engine.emitted] == [
        r.model_dump() for r in batch.emitted
    ]
    assert stream.triggers == batch.triggers and appended == len(batch.emitted)
    # What the stream logged is exactly what a replay recomputes.
    assert replay(h.home).ok
    # And the stream's own transitions, read back, change nothing.
    assert stream.follow(h.log, lambda rec: seal_transition(rec, key, keyid)) == 0


@pytest.mark.parametrize("chunk", [1, 2, 5])
def test_chunked_stream_gives_the_batch_verdicts(tmp_path: Path, chunk: int) -> None:
    """Fusing several entries per step (one append per step, overlapped with the next
    step's fusion) changes nothing: same transitions, same triggers, replay agrees, with
    a dispute and later evidence falling inside the chunks."""
    h = MissionHome(tmp_path / "home", SENSORS)
    scenario(h)
    incident = recompute(h.home).engine.incidents()[0]
    h.dispute(incident.incident, "party-b", "our guns were silent")
    h.append([radar("radar-a1", 5, 3605, impact=(36.30, 47.80), origin=(36.31, 47.60))])
    agreement = load_agreement(h.home.agreement)
    batch = recompute(h.home)
    _, ref = batch.view.agreement(agreement)
    stream = StreamAdjudicator(agreement, ref)
    key, keyid = h.adjudicator
    appended = stream.follow(h.log, lambda rec: seal_transition(rec, key, keyid), chunk=chunk)
    assert State.disputed in {r.state for r in batch.emitted}
    assert [r.model_dump() for r in stream.engine.emitted] == [
        r.model_dump() for r in batch.emitted
    ]
    assert stream.triggers == batch.triggers and appended == len(batch.emitted)
    assert replay(h.home).ok
    assert stream.follow(h.log, lambda rec: seal_transition(rec, key, keyid), chunk=chunk) == 0


def test_dispute_then_inspection(tmp_path: Path) -> None:
    h = MissionHome(tmp_path / "home", SENSORS)
    scenario(h)
    fuse(h.home, FixedClock(T0 + timedelta(hours=2)))
    incident = recompute(h.home).engine.incidents()[0]
    assert incident.state is State.verified and incident.accused == "party-b"
    # Only the accused may dispute, with its own key.
    h.dispute(incident.incident, "party-a")
    h.dispute(incident.incident, "party-b", signer="party-a")
    assert recompute(h.home).engine.incidents()[0].state is State.verified
    h.dispute(incident.incident, "party-b", "our guns were silent")
    states = [r.state for r in recompute(h.home).emitted if r.incident == incident.incident]
    assert states[-2:] == [State.disputed, State.inspection]
    fuse(h.home, FixedClock(T0 + timedelta(hours=3)))
    # The dispute opens an inspection when its transition is logged, which enforcement
    # schedules on the log: only then, and within its window, does a team's finding count.
    h.schedule_inspections(T0 + timedelta(hours=4))
    h.append(
        [
            obs(
                "patrol-m1",
                1,
                86400,
                "inspection_report",
                (36.62, 47.75),
                50,
                incident=incident.incident,
                finding="confirmed",
            )
        ]
    )
    fuse(h.home, FixedClock(T0 + timedelta(days=1, hours=1)))
    final = recompute(h.home).engine.incidents()[0]
    assert final.state is State.confirmed
    # Every verdict recomputes; the dispute party-a signed in party-b's name is named.
    report = replay(h.home)
    assert not report.differences and report.matched == report.logged
    [(index, reason)] = report.refused
    assert "is not a key of 'party-b'" in reason and not report.ok


def test_incidents_export(tmp_path: Path) -> None:
    h = MissionHome(tmp_path / "home", SENSORS)
    scenario(h)
    fuse(h.home)
    runner = CliRunner()
    out = runner.invoke(app, ["incidents", "--home", str(h.home.root), "--format", "geojson"])
    assert out.exit_code == 0, out.output
    features = json.loads(out.stdout)["features"]
    assert [f["id"] for f in features] == [
        "inc-13",
        "inc-16",
    ]  # 0-1 genesis, 2-12 register the sensors
    props = features[0]["properties"]
    assert props["accused"] == "party-b" and props["grade"] == "confirmed"
    assert props["evidence"] == [13, 14, 15] and props["rules"] == ["art-1.1"]
    out = runner.invoke(app, ["incidents", "--home", str(h.home.root), "--format", "csv"])
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    assert rows[0]["incident"] == "inc-13" and float(rows[0]["uncertainty_m"]) > 0
    assert rows[1]["grade"] == "weak" and rows[1]["accused"] == "party-b"


def test_missing_home_is_a_clear_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["fuse", "--home", str(tmp_path / "nowhere")])
    assert result.exit_code == 2 and "no log" in result.output
    result = CliRunner().invoke(app, ["replay", "--home", str(tmp_path / "nowhere")])
    assert result.exit_code == 2 and "no log" in result.output


def test_api_lists_logged_incidents(tmp_path: Path) -> None:
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from truceline.adjudication.api import router

    h = MissionHome(tmp_path / "home", SENSORS)
    scenario(h)
    fuse(h.home)
    app = FastAPI()
    app.include_router(router(h.home))
    client = TestClient(app)
    listed = client.get("/incidents").json()
    assert [r["incident"] for r in listed] == ["inc-13", "inc-16"]
    assert client.get("/incidents", params={"grade": "confirmed"}).json()[0]["accused"] == "party-b"
    history = client.get("/incidents/inc-13").json()["transitions"]
    assert [t["state"] for t in history] == ["reported", "verified", "verified"]
    assert client.get("/incidents/inc-999").status_code == 404
    geo = client.get("/incidents.geojson").json()
    assert len(geo["features"]) == 2
    # A transition signed by an unknown key is not shown.
    from truceline.codec.keys import generate, key_id

    rogue = generate()
    forged = recompute(h.home).emitted[-1].model_copy(update={"incident": "inc-666"})
    h.log.append([seal_transition(forged, rogue, key_id(rogue.public_key()))])
    assert "inc-666" not in [r["incident"] for r in client.get("/incidents").json()]


def test_the_service_stream_follows_the_log_and_matches_replay(tmp_path: Path) -> None:
    import threading

    from truceline.adjudication.service import stream_forever

    h = MissionHome(tmp_path / "home", SENSORS)
    stop = threading.Event()
    seen: list[int] = []
    worker = threading.Thread(
        target=stream_forever, args=(h.home, stop, 0.05, lambda n, size: seen.append(size))
    )
    worker.start()
    try:
        scenario(h)  # appended while the stream runs
        deadline = 200
        while deadline and (not seen or seen[-1] < h.log.size):
            stop.wait(0.05)
            deadline -= 1
        stop.wait(0.3)
    finally:
        stop.set()
        worker.join(10)
    report = replay(h.home)
    assert report.ok and report.matched == len(recompute(h.home).emitted) > 0


@pytest.mark.parametrize("chunk", [1, 5])
def test_stream_rejudges_a_back_dated_revocation_as_the_batch_does(
    tmp_path: Path, chunk: int
) -> None:
    """The revocation of the acoustic array (dated before its report) re-judges the
    confirmed incident at the revocation's entry, in the stream as in the batch."""
    from truceline.codec.keys import key_id
    from truceline.registry.model import Revoke
    from truceline.registry.state import seal_event

    h = MissionHome(tmp_path / "home", SENSORS)
    scenario(h)
    revoke = Revoke(effective_at=T0 - timedelta(hours=1), sensor_id="acoustic-g1", reason="x")
    [at] = h.log.append([seal_event(revoke, h.mission, key_id(h.mission.public_key()))])
    h.append([radar("radar-a1", 5, 3605, impact=(36.30, 47.80), origin=(36.31, 47.60))])
    agreement = load_agreement(h.home.agreement)
    batch = recompute(h.home)
    _, ref = batch.view.agreement(agreement)
    rejudged = [r for r, cause in zip(batch.emitted, batch.triggers, strict=True) if cause == at]
    assert len(rejudged) == 1 and rejudged[0].state is State.verified
    assert rejudged[0].reason.startswith("re-judged: sensor acoustic-g1 revoked from")
    stream = StreamAdjudicator(agreement, ref)
    key, keyid = h.adjudicator
    stream.follow(h.log, lambda rec: seal_transition(rec, key, keyid), chunk=chunk)
    assert [r.model_dump() for r in stream.engine.emitted] == [
        r.model_dump() for r in batch.emitted
    ]
    assert stream.triggers == batch.triggers
    assert replay(h.home).ok
