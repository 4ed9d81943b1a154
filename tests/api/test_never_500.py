"""Each request issue #11 found answered with a 500 now gets a 4xx naming the value at
fault, through the real app (TestClient re-raises anything the app lets out)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient

from ingest.hostile import import_headers
from truceline.api import create_app
from truceline.home import Home

TOO_BIG = str(2**63)  # one past what a 64-bit store column holds


@pytest.fixture(scope="module")
def client(api_home: tuple[Path, Ed25519PrivateKey]) -> Iterator[TestClient]:
    with TestClient(create_app(Home(api_home[0]))) as c:
        yield c


@pytest.mark.parametrize(
    "route",
    [
        "/enforcement/penalties",
        "/enforcement/inspections",
        "/enforcement/playbooks",
        "/enforcement/penalties/c-1",
    ],
)
@pytest.mark.parametrize("value", ["2026-07-17", "2026-07-17T00:00:00", "0.5", "1772366400"])
def test_time_parameters_take_rfc3339_only(client: TestClient, route: str, value: str) -> None:
    r = client.get(route, params={"now": value})
    assert r.status_code == 422, r.text
    assert "now" in r.text and "RFC 3339" in r.text


def test_agreement_time_takes_rfc3339_only(client: TestClient) -> None:
    assert client.get("/agreement", params={"at": "0.5"}).status_code == 422
    assert client.get("/agreement", params={"at": "2026-07-17"}).status_code == 422
    r = client.get("/agreement", params={"at": "2026-07-17T00:00:00Z"})
    assert r.status_code == 200 and r.json()["in_force"]


def test_an_rfc3339_time_is_still_answered(client: TestClient) -> None:
    r = client.get("/enforcement/penalties", params={"now": "2026-07-17T00:00:00+02:00"})
    assert r.status_code == 200, r.text
    assert r.json()["now"] == "2026-07-16T22:00:00Z"


@pytest.mark.parametrize(
    ("route", "name"),
    [
        (f"/quarantine?offset={TOO_BIG}", "offset"),
        (f"/quarantine/{TOO_BIG}", "id_"),
        (f"/receipts/{TOO_BIG}", "index"),
        (f"/entries/{TOO_BIG}", "index"),
        ("/quarantine/-1", "id_"),
    ],
)
def test_integers_beyond_64_bits_are_refused(client: TestClient, route: str, name: str) -> None:
    r = client.get(route)
    assert r.status_code == 422, r.text
    assert name in r.text


def test_the_largest_64_bit_values_are_answered(client: TestClient) -> None:
    big = str(2**63 - 1)
    assert client.get(f"/quarantine?offset={big}").json() == []
    assert client.get(f"/quarantine/{big}").status_code == 404
    assert client.get(f"/entries/{big}").status_code == 404


@pytest.mark.parametrize("name", ["", ".", "..", "/", "a/..", "x" * 256, "é" * 128])
def test_x_filename_that_names_no_file_is_refused(client: TestClient, name: str) -> None:
    body = b"latitude,longitude,acq_date\n"
    headers = {**import_headers("/ingest/firms", body), "x-filename": name.encode()}
    r = client.post("/ingest/firms", content=body, headers=headers)
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["field"] == "x-filename"


def test_x_filename_is_a_name_without_a_directory(client: TestClient) -> None:
    body = b"latitude,longitude,acq_date\n"
    for name, status in (("../../etc/fire.csv", 422), ("...fire.csv", 200), ("x" * 255, 200)):
        headers = import_headers("/ingest/firms", body, **{"x-filename": name})
        r = client.post("/ingest/firms", content=body, headers=headers)
        assert r.status_code == status, (name, r.text)
