"""The device clock a field report states (attributes.clock): the server's time route the
app measures its offset against, the schema's errors naming the field, and the receipt's
check of the stated time against the report's arrival."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from simulated_home import cli

from .conftest import RECEIVED_AT, REPORTED_AT, Field

# the device's own clock ran 7 minutes slow; the app measured it with a 40 ms round trip
SLOW = {
    "device_time": "2026-06-05T01:03:00Z",
    "offset_s": 420.0,
    "accuracy_s": 0.02,
    "synced_at": "2026-06-05T00:50:00Z",
}


def send(field: Field, member: str, observed_at: str, clock: dict[str, Any]) -> dict[str, Any]:
    key, device = field.enrol(member)
    envelope = field.report(key, device["sensor"], 1, [], observed_at=observed_at, clock=clock)
    return field.submit(envelope)


def test_the_server_tells_its_clock(field: Field) -> None:
    field.clock.at = datetime.fromisoformat("2026-06-05T01:02:03.456Z")
    got = field.client.get("/field/time")
    assert got.status_code == 200 and got.headers["cache-control"] == "no-store"
    assert got.json() == {"server_time": "2026-06-05T01:02:03.456Z", "unix_ms": 1780621323456}


def test_a_measured_clock_is_stated_and_checked_at_arrival(field: Field) -> None:
    ok = send(field, "clk-a", REPORTED_AT, SLOW)  # received 5 min after REPORTED_AT
    assert ok["accepted"] and ok["time"]["status"] == "ok", ok
    assert "offset +420.000 s" in ok["time"]["detail"]
    # stated 2 minutes after the server received it, with 20 ms of stated accuracy
    late = dict(SLOW, device_time="2026-06-05T01:10:00Z")
    ahead = send(field, "clk-b", "2026-06-05T01:17:00Z", late)
    assert ahead["accepted"] and ahead["time"]["status"] == "flag", ahead
    assert "120.000 s after the server received it" in ahead["time"]["detail"]


def test_a_clock_never_measured_is_flagged(field: Field) -> None:
    never = {"device_time": REPORTED_AT, "offset_s": None, "accuracy_s": None, "synced_at": None}
    got = send(field, "clk-c", REPORTED_AT, never)
    assert got["accepted"] and got["time"]["status"] == "flag", got
    assert "never checked against the server" in got["time"]["detail"]
    # a sensor that states no clock gets no clock check
    key, device = field.enrol("clk-d")
    plain = field.submit(field.report(key, device["sensor"], 1, []))
    assert plain["accepted"] and plain["time"] is None, plain


def test_clock_fields_are_validated_naming_the_field(field: Field) -> None:
    cases = [
        # observed_at is not device_time + offset_s
        (dict(SLOW, offset_s=400.0), "payload.attributes", "must be device_time + offset_s"),
        (dict(SLOW, accuracy_s=None), "payload.attributes.clock", "stated together"),
        (dict(SLOW, accuracy_s=-1), "payload.attributes.clock.accuracy_s", "greater than"),
        (dict(SLOW, offset_s="420"), "payload.attributes.clock.offset_s", "valid number"),
        (dict(SLOW, device_time="yesterday"), "payload.attributes.clock.device_time", "RFC 3339"),
        ({**SLOW, "tz": "UTC"}, "payload.attributes.clock.tz", "Extra inputs"),
    ]
    for n, (clock, where, why) in enumerate(cases):
        got = send(field, f"clk-e{n}", REPORTED_AT, clock)
        assert not got["accepted"] and got["reason"] == "invalid_observation", got
        assert got["field"] == where and why in got["message"], (clock, got)


def test_the_cli_ingest_flags_a_time_stated_after_arrival(field: Field, tmp_path: Path) -> None:
    """`truceline ingest` runs the same receipt-time check as `POST /observations`: a
    report stated 120 s after its arrival (`--now`) with 20 ms of accuracy is flagged in
    the summary, by index, sensor and seq; one within its accuracy is not."""
    key, device = field.enrol("clk-cli")
    sensor = device["sensor"]
    ahead = dict(SLOW, device_time="2026-06-05T01:10:00Z")  # observed_at 01:17:00
    envelopes = [
        field.report(key, sensor, 1, [], observed_at=REPORTED_AT, clock=SLOW),
        field.report(key, sensor, 2, [], observed_at="2026-06-05T01:17:00Z", clock=ahead),
    ]
    batch = tmp_path / "reports.jsonl"
    batch.write_bytes(b"\n".join(envelopes) + b"\n")
    home = str(field.home)
    out = cli("ingest", "--home", home, "--now", RECEIVED_AT, "--json", str(batch))
    summary = json.loads(out)[str(batch)]
    assert summary["accepted"] == 2 and summary["rejected"] == 0, summary
    [flagged] = summary["time_flagged"]
    assert flagged["index"] == summary["last_index"], summary
    assert (flagged["sensor"], flagged["seq"]) == (sensor, 2)
    assert flagged["time"]["check"] == "clock" and flagged["time"]["status"] == "flag"
    assert "120.000 s after the server received it" in flagged["time"]["detail"]
    assert "2026-06-05T01:15:00+00:00" in flagged["time"]["detail"]  # the --now arrival
    # the text summary names the flagged report too
    never = {"device_time": REPORTED_AT, "offset_s": None, "accuracy_s": None, "synced_at": None}
    again = tmp_path / "never.jsonl"
    again.write_bytes(field.report(key, sensor, 3, [], clock=never))
    text = cli("ingest", "--home", home, "--now", RECEIVED_AT, str(again))
    assert f"{again}: accepted 1, rejected 0" in text, text
    assert f"({sensor} seq 3): time flagged: the device clock" in text, text
    assert "never checked against the server" in text, text
