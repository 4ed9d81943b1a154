"""Parties and teams act through the CLI and HTTP, each act a record signed by its role:
dispute, acknowledge a playbook step, request an inspection, file an inspection finding."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from fastapi.testclient import TestClient

from truceline.codec import keys, records
from truceline.enforcement.records import ACK_TYPE
from truceline.observation import format_time

from .conftest import (
    ENFORCE_AT,
    FAR,
    Mission,
    cli,
    cli_result,
    key_file,
    server,
    uninspected_verified,
    when,
)


def test_dispute_then_inspection_then_finding(mission: Mission, tmp_path: Path) -> None:
    """The accused disputes (CLI); the adjudicator moves the incident to inspection; the
    appender schedules the inspection; a neutral team files its finding (CLI) within the
    window; the incident is confirmed. The other party cannot dispute it."""
    target = uninspected_verified(mission)
    accused = target["accused"]
    other = "west" if accused == "east" else "east"
    refused = cli_result(
        "dispute",
        "--home",
        mission.h,
        "--incident",
        target["incident"],
        "--as",
        other,
        "--key",
        key_file(mission, tmp_path, accused),
    )
    assert refused.exit_code == 1 and "signatures" in refused.output
    out = json.loads(
        cli(
            "dispute",
            "--home",
            mission.h,
            "--incident",
            target["incident"],
            "--as",
            accused,
            "--reason",
            "our guns were silent",
            "--key",
            key_file(mission, tmp_path, accused),
        )
    )
    assert out["index"] > 0
    cli("fuse", "--home", mission.h)
    assert mission.incident(target["incident"])["state"] == "inspection"
    # The dispute is dated now (the clock): the inspection it opens is scheduled from then.
    now = FAR
    cli("enforce", "--home", mission.h, "--now", now)
    inspections = json.loads(cli("inspections", "--home", mission.h, "--now", now))
    item = next(i for i in inspections["inspections"] if i.get("incident") == target["incident"])
    team = "patrol-mission-001"
    lon, lat = target["location"]
    finding = [
        "finding",
        "--home",
        mission.h,
        "--as",
        team,
        "--key",
        key_file(mission, tmp_path, team, signatory=False),
        "--incident",
        target["incident"],
        "--finding",
        "confirmed",
        "--lon",
        str(lon),
        "--lat",
        str(lat),
    ]
    late = cli_result(*finding, "--at", format_time(when(item["due_by"]) + timedelta(hours=1)))
    assert late.exit_code == 1 and "unauthorized" in late.output
    ok = json.loads(
        cli(*finding, "--at", format_time(when(item["opened_at"]) + timedelta(seconds=30)))
    )
    assert ok["accepted"]
    cli("fuse", "--home", mission.h)
    assert mission.incident(target["incident"])["state"] == "confirmed"
    assert mission.replay()[0] == 0


def test_acknowledge_over_http_and_cli(mission: Mission, tmp_path: Path) -> None:
    steps = json.loads(cli("playbooks", "--home", mission.h, "--now", ENFORCE_AT))
    assert steps, "the simulated agreement's playbooks must issue steps"
    step = steps[0]
    recipient = step["to"][0]
    # Over HTTP: the envelope the recipient signed is the whole body.
    key = mission.signatory_key(recipient)
    envelope = records.seal(
        ACK_TYPE,
        {"step": step["key"], "by": recipient, "at": format_time(when(ENFORCE_AT))},
        key,
        keys.key_id(key.public_key()),
    )
    with TestClient(server(mission.home)) as client:
        # Dated outside the allowed skew of the server's clock: refused, naming the field.
        r = client.post("/enforcement/acknowledgements", content=envelope)
        assert r.status_code == 422 and "payload.at" in r.json()["detail"]
        # The same body on another act's route: refused for its type.
        r = client.post("/enforcement/votes", content=envelope)
        assert r.status_code == 422 and "payloadType" in r.json()["detail"]
    out = json.loads(
        cli(
            "acknowledge",
            "--home",
            mission.h,
            "--step",
            step["key"],
            "--as",
            recipient,
            "--key",
            key_file(mission, tmp_path, recipient),
        )
    )
    assert out["index"] > 0 and out["counted"], out
    now = FAR
    acked = json.loads(cli("playbooks", "--home", mission.h, "--now", now))
    assert next(s for s in acked if s["key"] == step["key"])["acked_by"] == recipient
    assert cli_result("request-inspection", "--home", mission.h).exit_code == 2  # usage
    req = json.loads(
        cli(
            "request-inspection",
            "--home",
            mission.h,
            "--lon",
            "37.5",
            "--lat",
            "48.0",
            "--as",
            "guarantor-a",
            "--reason",
            "shelling reported",
            "--key",
            key_file(mission, tmp_path, "guarantor-a"),
        )
    )
    assert req["counted"], req
