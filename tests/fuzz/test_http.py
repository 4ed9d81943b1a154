"""Fuzzing the ingest routes through the FastAPI app: whatever the body, POST /observations
and POST /ingest/{format} answer 200 with per-item results, or 400/404/413 naming the
problem; never a 500 (the test client raises any exception the app lets out)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from ingest.hostile import import_headers, make_home
from truceline.adapters import ADAPTERS
from truceline.api import create_app
from truceline.codec import dsse, keys
from truceline.codec.jcs import canonicalize
from truceline.home import Home
from truceline.observation import OBSERVATION_TYPE
from truceline.ratelimit import WriteLimit

from .conftest import FUZZ, corpus
from .make_corpus import CORPUS_KEY
from .pools import deep, depths, json_values

# 405: httpx resolves `/ingest/..%2f` to `/`, the map's GET-only page; still never a 500
ALLOWED = {200, 400, 404, 405, 413}
Client = tuple[TestClient, keys.Ed25519PrivateKey]


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Client]:
    root, key = make_home(tmp_path_factory.mktemp("fuzz-http"), key=CORPUS_KEY)
    # the fuzz judges parsing, not throttling: no write limit in reach (test_rate_limits)
    with TestClient(create_app(Home(root), write_limit=WriteLimit(1e6, 10**6))) as c:
        yield c, key


def _post(client: TestClient, path: str, body: bytes) -> None:
    # a source file is signed by the registered importer, so the fuzz reaches the adapters
    headers = import_headers(path, body) if path.startswith("/ingest/") else {}
    r = client.post(path, content=body, headers=headers)
    assert r.status_code in ALLOWED, (r.status_code, r.text[:300])
    data = r.json()
    if r.status_code == 200 and path == "/observations":
        assert data["accepted"] + data["rejected"] == len(data["results"])
        for item in data["results"]:
            assert item["accepted"] or (item["reason"] and item["field"])
    elif r.status_code != 200:
        assert data["detail"]


def test_corpus_through_http(client: Client) -> None:
    c, _ = client
    for path, expect in corpus():
        if expect["parser"] == "envelope" and path.read_bytes().startswith(b"["):
            # as a body, an array: the submission itself is refused
            assert c.post("/observations", content=path.read_bytes()).status_code == 400
        elif expect["parser"] == "envelope":
            r = c.post("/observations", content=path.read_bytes())
            assert r.status_code == 200, r.text
            (item,) = r.json()["results"]
            assert (item["reason"], item["field"]) == (expect["reason"], expect["field"])
        elif expect["parser"] == "submission":
            assert c.post("/observations", content=path.read_bytes()).status_code == 400
        elif expect["parser"] in ADAPTERS:
            route = f"/ingest/{expect['parser']}"
            r = c.post(
                route,
                content=path.read_bytes(),
                headers=import_headers(route, path.read_bytes(), **{"x-filename": path.name}),
            )
            assert r.status_code in (200, 400), r.text
            if r.status_code == 200:
                assert r.json()["accepted"] == 0


bodies = st.one_of(
    st.binary(max_size=400),
    json_values.map(lambda v: json.dumps(v).encode()),
    depths.map(lambda d: deep(d).encode()),
    st.lists(json_values, max_size=5).map(
        lambda vs: b"\n".join(json.dumps(v).encode() for v in vs)
    ),
)


@FUZZ
@given(bodies)
def test_observations_route(client: Client, body: bytes) -> None:
    _post(client[0], "/observations", body)


@FUZZ
@given(json_values, st.booleans())
def test_observations_route_signed(client: Client, payload: object, as_array: bool) -> None:
    c, key = client
    try:
        raw = canonicalize(payload)
    except ValueError:
        raw = json.dumps(payload).encode()
    env = dsse.sign(OBSERVATION_TYPE, raw, key, keys.key_id(key.public_key())).to_json()
    _post(c, "/observations", b"[" + env + b"]" if as_array else env)


@FUZZ
@given(st.sampled_from([*sorted(ADAPTERS), "dsse", "nope", "..%2f"]), st.binary(max_size=300))
def test_ingest_route(client: Client, fmt: str, body: bytes) -> None:
    _post(client[0], f"/ingest/{fmt}", body)
