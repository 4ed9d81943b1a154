"""A simulated mission with deterred corridors, built once through the CLI (about 20 s)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from truceline.cli import app

runner = CliRunner()
SEED = 31  # never used in tuning (tuning used seeds 1, 101 and 202)
DAYS = 6


def cli(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, (args, result.output)
    return result.stdout


@dataclass
class Sim:
    home: Path
    sim: Path

    @property
    def h(self) -> str:
        return str(self.home)


def build(root: Path, days: int) -> Sim:
    """simulate (preset `deterrence`, `days` days), init, sensor add, ingest, fuse."""
    sim, home = root / "sim", root / "home"
    done = f"2026-06-{days + 1:02d}T00:30:00Z"
    cli("simulate", "--seed", str(SEED), "--scenario", "deterrence", "--days", str(days),
        "--out", str(sim), "--workers", "1")  # fmt: skip
    cli("init", "--home", str(home), "--agreement", str(sim / "agreement.yaml"),
        "--signers", str(sim / "keys" / "signatories"))  # fmt: skip
    cli("sensor", "add", "--home", str(home), "--from", str(sim / "sensors.json"),
        "--effective-at", "2026-05-01T00:00:00Z")  # fmt: skip
    cli("ingest", "--home", str(home), "--now", done, str(sim / "observations.jsonl"))
    cli("fuse", "--home", str(home), "--now", done)
    return Sim(home, sim)


@pytest.fixture(scope="session")
def deterred(tmp_path_factory: pytest.TempPathFactory) -> Sim:
    return build(tmp_path_factory.mktemp("corridors"), DAYS)


def build_daily(root: Path, seed: int, days: int, scenario: Path) -> Sim:
    """simulate, init, sensor add, then each day: ingest that day's observations and fuse,
    half an hour after it ended (the mission running daily, so a breach is verified on the
    day after it, not all at the end), then the scripted penalties' notifications."""
    import base64
    import json
    from datetime import UTC, datetime, timedelta

    sim, home = root / "sim", root / "home"
    cli("simulate", "--seed", str(seed), "--scenario", str(scenario), "--days", str(days),
        "--out", str(sim), "--workers", "1")  # fmt: skip
    cli("init", "--home", str(home), "--agreement", str(sim / "agreement.yaml"),
        "--signers", str(sim / "keys" / "signatories"))  # fmt: skip
    cli("sensor", "add", "--home", str(home), "--from", str(sim / "sensors.json"),
        "--effective-at", "2026-05-01T00:00:00Z")  # fmt: skip
    start = datetime(2026, 6, 1, tzinfo=UTC)
    by_day: list[list[bytes]] = [[] for _ in range(days + 1)]
    for line in (sim / "observations.jsonl").read_bytes().splitlines():
        payload = json.loads(base64.b64decode(json.loads(line)["payload"]))
        t = datetime.fromisoformat(payload["observed_at"].replace("Z", "+00:00"))
        by_day[min(max((t - start).days, 0), days)].append(line)
    for k, lines in enumerate(by_day):
        if not lines:
            continue
        part = root / f"day-{k}.jsonl"
        part.write_bytes(b"\n".join(lines) + b"\n")
        done = (start + timedelta(days=k + 1, minutes=30)).isoformat().replace("+00:00", "Z")
        cli("ingest", "--home", str(home), "--now", done, str(part))
        cli("fuse", "--home", str(home), "--now", done)
        part.unlink()
    notify_scripted(home, sim)
    return Sim(home, sim)


def notify_scripted(home: Path, sim: Path) -> None:
    """Put the simulator's scripted penalties on the log: a guarantor's notification of
    rung `scripted-k` at each penalty's pending time (the act a guarantor would have signed
    then), so the case opens then and takes effect when the simulator's penalty does."""
    import json
    from datetime import datetime

    from truceline.codec.keys import key_id, load_private_key
    from truceline.codec.records import seal
    from truceline.enforcement.appender import open_appender
    from truceline.enforcement.records import NOTIFICATION_TYPE
    from truceline.enforcement.submit import submit
    from truceline.home import Home

    lines = [json.loads(x) for x in (sim / "truth.jsonl").read_text().splitlines()]
    penalties = [x for x in lines if x["type"] == "penalty"]
    private = load_private_key(sim / "keys" / "signatories" / "guarantor-a.key")
    h = Home(home)
    for k, pen in enumerate(penalties, 1):
        at = pen["pending_from"] or pen["in_force_from"]
        body = {"rung": f"scripted-{k}", "accused": pen["party"], "notifier": "guarantor-a"}
        entry = seal(NOTIFICATION_TYPE, body | {"at": at}, private, key_id(private.public_key()))
        now = datetime.fromisoformat(at.replace("Z", "+00:00"))
        ledger = h.ledger()
        try:
            got = submit(open_appender(h, ledger, now, write=True), entry, now)
        finally:
            ledger.close()
        assert got.counted, got.reason
