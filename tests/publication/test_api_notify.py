"""Publication routes over a real home, and logged enforcement transitions pushed as webhooks."""

from __future__ import annotations

import base64
import json
import time
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from fastapi import FastAPI
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from enforcement._world import T0, entry, incident, sanctions_home
from truceline.adjudication.verdict import INCIDENT_TYPE
from truceline.authority import Authority
from truceline.cli import app
from truceline.clock import FixedClock
from truceline.enforcement.appender import open_appender
from truceline.home import Home
from truceline.publication.api import router
from truceline.publication.notify import logged_events
from truceline.publication.webhooks import verify
from truceline.publication.xml import validate

from ._notifyhome import FAST
from ._receivers import SECRET, Receiver

NOW = T0 + timedelta(days=1)


@pytest.fixture
def home(tmp_path: Path) -> Home:
    h = sanctions_home(tmp_path / "home", routine=0)
    ledger = h.ledger()
    ledger.append([entry(INCIDENT_TYPE, incident("i1", "verified", T0, grade="fair"))])
    ledger.append([entry(INCIDENT_TYPE, incident("i1", "confirmed", T0 + timedelta(hours=1)))])
    ledger.close()
    return h


def test_routes(home: Home, vectors: Path) -> None:
    app = FastAPI()
    app.include_router(router(home, FixedClock(NOW)))
    client = TestClient(app)
    geo = client.get("/publication/incidents.geojson")
    assert geo.status_code == 200 and geo.headers["content-type"].startswith("application/geo+json")
    [feature] = geo.json()["features"]
    assert feature["properties"]["state"] == "confirmed"

    cap_xml = client.get("/publication/incidents/i1/cap").content
    doc = validate(cap_xml, vectors / "cap12" / "schema" / "CAP-v1.2.xsd")
    ns = {"c": "urn:oasis:names:tc:emergency:cap:1.2"}
    assert doc.findtext("c:msgType", namespaces=ns) == "Update"
    # It replaces the alert of entry i1 was verified by: that alert alone is referenced.
    [ref] = doc.findtext("c:references", namespaces=ns).split()
    assert ref.split(",")[1].startswith("truceline:test-ceasefire:i1:")
    assert ref.split(",")[1] != doc.findtext("c:identifier", namespaces=ns)

    cot_xml = client.get("/publication/incidents/i1/cot").content
    validate(cot_xml, vectors / "cot" / "mitre" / "CoT Base-Event Schema (PUBLIC RELEASE).xsd")
    assert client.get("/publication/incidents/nope/cap").status_code == 404


def test_one_shot_notify_pushes_logged_transitions_once(
    home: Home, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`truceline notify` (no --follow): one pass; a failed attempt is left queued for the
    next pass (exit 1), which delivers it; a pass after that sends nothing."""
    rx = Receiver(fail_first=1)
    try:
        ledger = home.ledger()
        open_appender(home, ledger, NOW, write=True).run(NOW)
        events = list(logged_events(ledger, Authority()))
        ledger.close()
        assert {e["event"] for e in events} == {"countdown_started"}
        cfg = tmp_path / "publication.yaml"
        hooks = [
            {"id": "guarantors", "url": rx.url, "secret_env": "G_SECRET"},
            {
                "id": "press",
                "url": rx.url,
                "secret_env": "G_SECRET",
                "events": ["inspection_reported"],
            },
        ]
        delivery = {**FAST, "retry_schedule_s": [0, 0.5, 0.5]}
        cfg.write_text(yaml.safe_dump({"delivery": delivery, "webhooks": hooks}))
        monkeypatch.setenv("G_SECRET", "whsec_" + base64.b64encode(SECRET).decode())
        args = ["notify", "--home", str(home.root), "--config", str(cfg)]
        first = CliRunner().invoke(app, args)
        assert first.exit_code == 1, first.output
        out = json.loads(first.stdout)
        assert (out["queued"], out["delivered"], out["failed_attempts"]) == (1, 0, 1)
        [g, p] = out["subscribers"]
        assert (g["id"], g["health"], g["backlog"], p["backlog"]) == ("guarantors", "failing", 1, 0)
        time.sleep(0.6)  # the retry is due 0.5 s after the failure
        second = CliRunner().invoke(app, args)
        assert second.exit_code == 0, second.output
        assert json.loads(second.stdout)["delivered"] == 1
        [bad, good] = rx.got
        assert bad.id == good.id and good.status == 204
        verify(good.headers, good.body, secret=SECRET)
        assert b'"countdown_started"' in good.body and b'"index"' in good.body
        third = json.loads(CliRunner().invoke(app, args).stdout)
        assert (third["queued"], third["delivered"], len(rx.got)) == (0, 0, 2)
        monkeypatch.delenv("G_SECRET")
        r = CliRunner().invoke(app, args)
        assert r.exit_code == 2 and "secret_env" in r.output
    finally:
        rx.close()


@pytest.mark.parametrize("events", [["countdown_start"], "countdown_started"])
def test_a_misspelt_event_is_refused_naming_it(
    home: Home, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, events: object
) -> None:
    """A subscription to an event name that no transition carries would silently never
    fire; `notify` refuses the configuration, naming the field."""
    cfg = tmp_path / "publication.yaml"
    hook = {"id": "press", "url": "http://127.0.0.1:9/", "secret_env": "G_SECRET"}
    cfg.write_text(yaml.safe_dump({"webhooks": [hook | {"events": events}]}))
    monkeypatch.setenv("G_SECRET", "whsec_" + base64.b64encode(SECRET).decode())
    r = CliRunner().invoke(app, ["notify", "--home", str(home.root), "--config", str(cfg)])
    assert r.exit_code == 2, r.output
    assert "webhooks[0].events" in r.output
