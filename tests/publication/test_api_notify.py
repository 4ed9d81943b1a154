"""Publication routes over a real home, and logged enforcement transitions pushed as webhooks."""

from __future__ import annotations

import base64
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from fastapi import FastAPI
from fastapi.testclient import TestClient

from enforcement._world import T0, entry, incident, sanctions_home
from truceline.adjudication.verdict import INCIDENT_TYPE
from truceline.clock import FixedClock
from truceline.enforcement.appender import open_appender
from truceline.home import Home
from truceline.publication.api import router
from truceline.publication.notify import load_routes, logged_events, publish
from truceline.publication.webhooks import Deliverer, RetryPolicy, verify
from truceline.publication.xml import validate
from truceline.store.base import open_store

from .test_webhooks import SECRET, Receiver

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


def test_logged_transitions_are_pushed_once(home: Home, tmp_path: Path) -> None:
    rx = Receiver(fail=1)
    try:
        ledger = home.ledger()
        open_appender(home, ledger, NOW, write=True).run(NOW)
        events = logged_events(ledger)
        ledger.close()
        assert {e["event"] for e in events} == {"countdown_started"}

        cfg = tmp_path / "publication.yaml"
        cfg.write_text(
            yaml.safe_dump(
                {
                    "webhooks": [
                        {
                            "id": "guarantors",
                            "url": rx.url,
                            "secret_env": "G_SECRET",
                            "events": ["countdown_started"],
                        },
                        {
                            "id": "press",
                            "url": rx.url,
                            "secret_env": "G_SECRET",
                            "events": ["penalty_in_force"],
                        },
                    ]
                }
            )
        )
        routes = load_routes(cfg, {"G_SECRET": "whsec_" + base64.b64encode(SECRET).decode()})
        sleeps: list[float] = []
        d = Deliverer(
            open_store(f"sqlite:///{tmp_path / 'pub.db'}"),
            clock=FixedClock(NOW),
            policy=RetryPolicy(attempts=3, base_s=0.1),
            sleep=sleeps.append,
        )
        [out] = publish(events, routes, d)
        assert out.delivered and out.attempts == 2 and sleeps == [0.1]
        headers, body = rx.got[-1]
        verify(headers, body, secret=SECRET)
        assert b'"countdown_started"' in body and b'"index"' in body
        assert publish(events, routes, d)[0].duplicate and len(rx.got) == 2
        with pytest.raises(ValueError, match="secret_env"):
            load_routes(cfg, {})
    finally:
        rx.close()
