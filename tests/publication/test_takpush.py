"""CoT to TAK: `truceline cot push` over TCP and mutual TLS to a server reading with
pytak's reader, and `truceline alert --format cot` outputs concatenated into a stream."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from simulated_home import Mission, cli, cli_result, runner
from truceline.cli import app
from truceline.publication.xml import validate

from .tak_peer import TakServer, make_pki, read_stream


@pytest.fixture(scope="module")
def xsd(vectors: Path) -> Path:
    return vectors / "cot" / "mitre" / "CoT Base-Event Schema (PUBLIC RELEASE).xsd"


def check_events(events: list[bytes], mission: Mission, xsd: Path) -> None:
    """One valid event per incident, fresh: generated now, stale later, started at the event."""
    latest = {i["incident"]: i for i in mission.incidents()}
    now = datetime.now(UTC)
    uids = []
    for data in events:
        doc = validate(data, xsd)  # each chunk pytak cut is a whole document
        uids.append(doc.get("uid"))
        ident = doc.get("uid").removeprefix("truceline.")
        time, stale = (datetime.fromisoformat(doc.get(k)) for k in ("time", "stale"))
        assert abs(time - now) < timedelta(minutes=2)
        assert stale > now
        assert doc.get("start").startswith(latest[ident]["at"].rstrip("Z")[:19])
        assert doc.find("detail/truceline").get("state") == latest[ident]["state"]
    assert sorted(uids) == sorted(f"truceline.{k}" for k in latest)
    hows = {validate(d, xsd).get("how") for d in events}
    assert "m-f" in hows and hows - {"m-f"}  # fused where several sensors saw it, not always


def test_push_over_tcp(simulated_mission: Mission, xsd: Path) -> None:
    with TakServer() as server:
        out = cli(
            "cot", "push", "--home", simulated_mission.h, "--url", f"tcp://127.0.0.1:{server.port}"
        )
        server.wait()
    [events] = server.received
    assert json.loads(out)["events"] == len(events) == len(simulated_mission.incidents())
    check_events(events, simulated_mission, xsd)


def test_push_over_mutual_tls(simulated_mission: Mission, xsd: Path, tmp_path: Path) -> None:
    pki = make_pki(tmp_path)
    with TakServer(pki.server_context()) as server:
        url = f"tls://127.0.0.1:{server.port}"
        args = ["--cert", str(pki.client_cert), "--key", str(pki.client_key), "--ca", str(pki.ca)]
        out = cli("cot", "push", "--home", simulated_mission.h, "--url", url, *args)
        server.wait()
    [events] = server.received
    assert json.loads(out)["events"] == len(events)
    check_events(events, simulated_mission, xsd)


def test_push_refuses_a_server_it_cannot_verify(simulated_mission: Mission, tmp_path: Path) -> None:
    pki = make_pki(tmp_path, "real")
    other = make_pki(tmp_path, "other")
    with TakServer(pki.server_context()) as server:
        url = f"tls://127.0.0.1:{server.port}"
        args = ["--cert", str(pki.client_cert), "--key", str(pki.client_key), "--ca", str(other.ca)]
        result = cli_result("cot", "push", "--home", simulated_mission.h, "--url", url, *args)
    assert result.exit_code == 2
    assert "cannot connect" in result.output and "CERTIFICATE_VERIFY_FAILED" in result.output


@pytest.mark.parametrize(
    ("url", "extra", "says"),
    [
        ("http://127.0.0.1:8087", [], "expected tcp://host:port"),
        ("tcp://127.0.0.1", [], "expected tcp://host:port"),
        ("tcp://127.0.0.1:8087", ["--ca", "x.pem"], "need a tls:// URL"),
        ("tcp://127.0.0.1:1", [], "cannot connect"),
    ],
)
def test_push_errors_name_the_fault(
    simulated_mission: Mission, url: str, extra: list[str], says: str
) -> None:
    result = cli_result("cot", "push", "--home", simulated_mission.h, "--url", url, *extra)
    assert result.exit_code == 2 and says in result.output


def test_cli_events_concatenated_frame_one_by_one(simulated_mission: Mission, xsd: Path) -> None:
    """Ten `truceline alert --format cot` outputs, concatenated as a shell would, read by
    pytak's reader: ten documents, each valid."""
    idents = [i["incident"] for i in simulated_mission.incidents()][:10]
    assert len(idents) == 10
    stream = b""
    for ident in idents:
        result = runner.invoke(
            app, ["alert", "--home", simulated_mission.h, "--incident", ident, "--format", "cot"]
        )
        assert result.exit_code == 0, result.output
        stream += result.stdout_bytes
    events = read_stream(stream)
    assert [validate(e, xsd).get("uid") for e in events] == [f"truceline.{i}" for i in idents]
