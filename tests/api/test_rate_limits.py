"""Per-principal write limits (`truceline.ratelimit`) through the real app, on its injected
clock: a principal that floods is refused 429 with Retry-After, and another principal (a
different key, or an anonymous address) is not delayed by it."""

from __future__ import annotations

import http.client
import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient

from ingest.hostile import import_headers, observation, sign_payload
from served_home import serve_home
from truceline.api import create_app
from truceline.clock import FixedClock
from truceline.codec.jcs import canonicalize
from truceline.home import Home, HomeError
from truceline.ratelimit import WriteLimit

CSV = b"latitude,longitude,acq_date\n"  # a FIRMS file with no rows: imports nothing


def app(home: Path, limit: WriteLimit) -> tuple[TestClient, FixedClock]:
    clock = FixedClock(datetime.now(UTC))  # the importer signs with the wall clock
    return TestClient(create_app(Home(home), clock, limit)), clock


def test_one_principal_flooding_does_not_delay_another(
    api_home: tuple[Path, Ed25519PrivateKey],
) -> None:
    home, radar = api_home
    client, clock = app(home, WriteLimit(rate=0.5, burst=3))
    envelope = sign_payload(canonicalize(observation(1, clock.now())), radar)

    statuses = [client.post("/observations", content=envelope).status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 429, 429]
    refused = client.post("/observations", content=envelope)
    assert refused.status_code == 429
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.headers["retry-after"] == "2"  # one token at 0.5 a second
    assert "too many writes by keyid:" in refused.json()["detail"]

    # The importer (another key) and an anonymous client are not held back by the radar.
    for _ in range(3):
        r = client.post("/ingest/firms", content=CSV, headers=import_headers("/ingest/firms", CSV))
        assert r.status_code == 200, r.text
    assert client.post("/observations", content=b"not an envelope").status_code == 200

    clock.advance(2)  # one token back for the radar, and only one
    assert client.post("/observations", content=envelope).status_code == 200
    assert client.post("/observations", content=envelope).status_code == 429


def test_anonymous_writes_are_limited_by_address_before_the_body_is_read(
    api_home: tuple[Path, Ed25519PrivateKey],
) -> None:
    client, clock = app(api_home[0], WriteLimit(rate=1, burst=2))
    unsigned = [client.post("/ingest/firms", content=CSV).status_code for _ in range(3)]
    assert unsigned == [401, 401, 429]
    assert client.post("/enforcement/votes", content=b"{}").status_code == 429  # same address
    # A valid signature is its own principal, even from that address.
    r = client.post("/ingest/firms", content=CSV, headers=import_headers("/ingest/firms", CSV))
    assert r.status_code == 200, r.text
    clock.advance(1)
    assert client.post("/enforcement/votes", content=b"{}").status_code == 422


def test_a_forged_signature_is_charged_to_its_sender(
    api_home: tuple[Path, Ed25519PrivateKey],
) -> None:
    """Claiming a registered keyid without its key spends the sender's tokens, not the key's."""
    client, _ = app(api_home[0], WriteLimit(rate=1, burst=2))
    forged = {**import_headers("/ingest/firms", CSV), "content-digest": "sha-256=:AAAA:"}
    assert [
        client.post("/ingest/firms", content=CSV, headers=forged).status_code for _ in range(3)
    ] == [401, 401, 429]
    for _ in range(2):
        r = client.post("/ingest/firms", content=CSV, headers=import_headers("/ingest/firms", CSV))
        assert r.status_code == 200, r.text


def test_the_home_sets_the_limit(tmp_path: Path) -> None:
    assert Home(tmp_path).write_limit() == WriteLimit(20.0, 200)
    (tmp_path / "write_limit").write_text("5 50\n")
    assert Home(tmp_path).write_limit() == WriteLimit(5.0, 50)
    for bad in ("5", "fast 50", "0 50", "5 0", "nan 5", "5 50 1"):
        (tmp_path / "write_limit").write_text(bad)
        with pytest.raises(HomeError, match="write_limit"):
            Home(tmp_path).write_limit()


def test_a_flood_of_bodies_is_refused_before_they_are_read(
    api_home: tuple[Path, Ed25519PrivateKey], tmp_path: Path
) -> None:
    """`POST /observations` is charged to the client's address before its body is read:
    once the address has spent its burst, a request announcing 64 MiB is answered 429
    with Retry-After by the real server while not one byte of the body has been sent."""
    home = tmp_path / "home"
    shutil.copytree(api_home[0], home)
    (home / "write_limit").write_text("0.01 2\n")  # a token per 100 s: none comes back here
    with serve_home(home) as base:
        port = int(base.rsplit(":", 1)[1])
        for _ in range(2):  # the burst, on bodies no key signed (charged to the address)
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            conn.request("POST", "/observations", body=b"not an envelope")
            assert conn.getresponse().status == 200
            conn.close()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.putrequest("POST", "/observations")
        conn.putheader("Content-Type", "application/x-ndjson")
        conn.putheader("Content-Length", str(64 * 1024 * 1024))
        conn.endheaders()  # and not one byte of the body: the old order waited here
        refused = conn.getresponse()
        detail = json.loads(refused.read())["detail"]
        conn.close()
    assert refused.status == 429
    assert int(refused.headers["retry-after"]) >= 1
    assert "too many writes by address:127.0.0.1" in detail


def test_a_verified_key_is_charged_instead_of_the_address(
    api_home: tuple[Path, Ed25519PrivateKey],
) -> None:
    """The address pays for a signed body only until its first envelope verifies: then the
    key pays, and the address keeps its tokens for what it sends unsigned."""
    home, radar = api_home
    client, clock = app(home, WriteLimit(rate=0.001, burst=2))
    for seq in range(2):
        envelope = sign_payload(canonicalize(observation(100 + seq, clock.now())), radar)
        assert client.post("/observations", content=envelope).status_code == 200
    envelope = sign_payload(canonicalize(observation(102, clock.now())), radar)
    refused = client.post("/observations", content=envelope)
    assert refused.status_code == 429 and "keyid:" in refused.json()["detail"]
    # The address paid nothing for the radar's writes, not even for the refused one.
    assert client.post("/observations", content=b"not an envelope").status_code == 200
    assert client.post("/observations", content=b"not an envelope").status_code == 200
    refused = client.post("/observations", content=b"not an envelope")
    assert refused.status_code == 429 and "address:" in refused.json()["detail"]
