"""Every error the app answers is an RFC 9457 problem document (`truceline.problem`):
`application/problem+json` with type, title, status and detail, and the field at fault in
`errors` when one is; reached through the real app the way a client reaches it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient

from truceline.api import create_app
from truceline.home import Home
from truceline.ingest.formats import MAX_SUBMISSION_BYTES


@pytest.fixture(scope="module")
def client(api_home: tuple[Path, Ed25519PrivateKey]) -> Iterator[TestClient]:
    with TestClient(create_app(Home(api_home[0]))) as c:
        yield c


def is_problem(r: httpx.Response, status: int, field: str | None = None) -> dict[str, object]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json", r.headers
    doc = r.json()
    assert doc["status"] == status and doc["type"] == "about:blank"
    assert isinstance(doc["title"], str) and doc["title"]
    assert isinstance(doc["detail"], str) and doc["detail"]
    if field is not None:
        assert field in [e["field"] for e in doc["errors"]], doc
        assert all(e["reason"] for e in doc["errors"])
    return doc


def test_a_parameter_of_the_wrong_form(client: TestClient) -> None:
    doc = is_problem(client.get("/enforcement/penalties?now=0.5"), 422, "now")
    assert doc["title"] == "Unprocessable Content"
    assert doc["detail"].startswith("now: expected an RFC 3339")  # type: ignore[union-attr]
    is_problem(client.get(f"/quarantine?offset={2**63}&limit=0"), 422, "offset")
    doc = is_problem(client.get(f"/quarantine?offset={2**63}&limit=0"), 422, "limit")
    assert len(doc["errors"]) == 2  # type: ignore[arg-type]


def test_a_bad_body_names_the_body(client: TestClient) -> None:
    doc = is_problem(client.post("/observations", content=b""), 400, "body")
    assert doc["detail"].startswith("body: ")  # type: ignore[union-attr]
    is_problem(
        client.post(
            "/observations", content=b"x", headers={"content-length": str(MAX_SUBMISSION_BYTES + 1)}
        ),
        413,
        "body",
    )
    is_problem(client.post("/enforcement/votes", content=b"[]"), 422, "body")


def test_an_unsigned_import_is_401_with_its_challenge(client: TestClient) -> None:
    r = client.post("/ingest/firms", content=b"latitude,longitude,acq_date\n")
    is_problem(r, 401)
    assert r.headers["www-authenticate"] == "Signature"


def test_routing_errors(client: TestClient) -> None:
    is_problem(client.get("/no/such/route"), 404)
    is_problem(client.delete("/observations"), 405)
    is_problem(client.post("/ingest/nope", content=b""), 404, "format")
    is_problem(client.get("/incidents/nope"), 404)
    is_problem(client.get("/log/tile/0/999"), 404)


def test_a_cross_site_write(client: TestClient) -> None:
    r = client.post("/observations", content=b"{}", headers={"origin": "https://evil.example"})
    assert "cross-site" in is_problem(r, 403)["detail"]  # type: ignore[operator]


def test_successes_stay_as_they_were(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/log/checkpoint").headers["content-type"].startswith("text/plain")
