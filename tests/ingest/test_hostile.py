"""Issue #11: the hostile inputs, through the library, the CLI and HTTP, each refused with
its own reason and field (and never a RecursionError, a 500 or a silent truncation)."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from truceline.api import create_app
from truceline.codec import keys
from truceline.codec.jcs import canonicalize
from truceline.home import Home
from truceline.ingest.formats import MAX_SUBMISSION_BYTES
from truceline.observation import MAX_SEQ_JUMP, MAX_SIGNATURES

from .conftest import T0, World
from .hostile import (
    CASES,
    SENSOR,
    Case,
    deep_body,
    deep_payload,
    make_home,
    observation,
    run,
    sign_payload,
    signature_bomb,
)

IDS = [c.name for c in CASES]


def _one(world: World, envelope: bytes) -> tuple[str, str, str]:
    (r,) = world.ingestor.ingest([envelope])
    assert not r.accepted, r
    return r.reason or "", r.field or "", r.message or ""


# --- the library -------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_library_refuses(world: World, case: Case) -> None:
    key = world.sensor_keys[SENSOR]
    reason, field, message = _one(world, sign_payload(case.payload(observation(1, T0)), key))
    assert (reason, field) == (case.reason, case.field), message
    assert case.needle in message
    # the good observation is still accepted: the refusal is about the value alone
    assert world.ingestor.ingest([world.seal(observation(1, T0))])[0].accepted


def test_library_signature_bomb_and_deep_json(world: World) -> None:
    key = world.sensor_keys[SENSOR]
    good = canonicalize(observation(1, T0))
    reason, field, message = _one(world, signature_bomb(good, world.kid(SENSOR)))
    assert (reason, field) == ("too_many_signatures", "signatures")
    assert f"441 signatures, at most {MAX_SIGNATURES}" in message
    reason, field, message = _one(world, sign_payload(deep_payload(observation(1, T0)), key))
    assert (reason, field) == ("bad_payload_json", "payload")
    assert "nested 1002 levels deep, at most 64" in message
    reason, field, message = _one(world, deep_body(1000))  # an envelope that is `[[[[...`
    assert (reason, field) == ("bad_json", "$") and "at most 64" in message


def test_library_seq_cannot_lock_a_sensor_out(world: World) -> None:
    accepted = world.ingestor.ingest([world.seal(observation(10, T0))])[0]
    assert accepted.accepted
    jump = observation(10 + MAX_SEQ_JUMP + 1, T0)
    reason, field, message = _one(world, world.seal(jump))
    assert (reason, field) == ("seq_jump", "payload.seq")
    assert f"more than {MAX_SEQ_JUMP} above" in message
    # the sensor goes on: its next seq is still accepted
    assert world.ingestor.ingest([world.seal(observation(10 + MAX_SEQ_JUMP, T0))])[0].accepted


def test_library_time_bounds(world: World) -> None:
    """No agreement on this log: the defaults (30 days behind, 300 s ahead) apply."""
    now = world.clock.now()
    old = observation(1, now - timedelta(days=30, seconds=1))
    reason, field, message = _one(world, world.seal(old))
    assert (reason, field) == ("too_old", "payload.observed_at")
    assert "time.max_age_s (30 days)" in message
    ahead = observation(2, now + timedelta(seconds=301))
    reason, field, message = _one(world, world.seal(ahead))
    assert (reason, field) == ("clock_skew", "payload.observed_at")
    assert "time.max_ahead_s (300 s)" in message
    edge = [observation(3, now - timedelta(days=30)), observation(4, now + timedelta(seconds=300))]
    assert all(r.accepted for r in world.ingestor.ingest([world.seal(o) for o in edge]))


# --- the CLI and HTTP, on one mission home --------------------------------------------------


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, keys.Ed25519PrivateKey]:
    return make_home(tmp_path_factory.mktemp("hostile"))


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=5)


def _hostile(key: keys.Ed25519PrivateKey, seq: int) -> Iterator[tuple[str, bytes]]:
    base = observation(seq, _now())
    for case in CASES:
        yield case.reason, sign_payload(case.payload(base), key)
    yield "too_many_signatures", signature_bomb(canonicalize(base), keys.key_id(key.public_key()))
    yield "bad_payload_json", sign_payload(deep_payload(base), key)
    yield "too_old", sign_payload(canonicalize(observation(seq, _now() - timedelta(days=31))), key)
    yield (
        "clock_skew",
        sign_payload(canonicalize(observation(seq, _now() + timedelta(hours=1))), key),
    )


def _expected(items: list[tuple[str, bytes]]) -> dict[str, int]:
    out: dict[str, int] = {}
    for reason, _ in items:
        out[reason] = out.get(reason, 0) + 1
    return out


def test_cli_refuses(home: tuple[Path, keys.Ed25519PrivateKey], tmp_path: Path) -> None:
    root, key = home
    items = list(_hostile(key, 1))
    f = tmp_path / "hostile.jsonl"
    f.write_bytes(b"\n".join(env for _, env in items) + b"\n")
    counts = json.loads(run("ingest", "--home", str(root), "--format", "dsse", "--json", str(f)))
    assert counts[str(f)]["accepted"] == 0
    assert counts[str(f)]["rejected_by_reason"] == _expected(items)
    for case in CASES:
        listed = run("quarantine", "list", "--home", str(root), "--reason", case.reason)
        assert case.field in listed, (case.name, listed)
    # a submission nested 1,000 deep: one clear error line, exit 1, no traceback
    deep = tmp_path / "deep.json"
    deep.write_bytes(deep_body(1000))
    out = run("ingest", "--home", str(root), "--format", "dsse", str(deep), code=1)
    assert "nested 1000 levels deep, at most 64" in out and "Traceback" not in out


def test_cli_seq_jump(home: tuple[Path, keys.Ed25519PrivateKey], tmp_path: Path) -> None:
    root, key = home
    f = tmp_path / "seq.jsonl"
    first, jump = 5_000_000, 5_000_000 + MAX_SEQ_JUMP + 1
    f.write_bytes(
        b"\n".join(sign_payload(canonicalize(observation(s, _now())), key) for s in (first, jump))
    )
    counts = json.loads(run("ingest", "--home", str(root), "--format", "dsse", "--json", str(f)))
    assert counts[str(f)]["accepted"] == 1
    assert counts[str(f)]["rejected_by_reason"] == {"seq_jump": 1}


def test_http_refuses(home: tuple[Path, keys.Ed25519PrivateKey]) -> None:
    root, key = home
    items = list(_hostile(key, 2))
    with TestClient(create_app(Home(root))) as client:
        r = client.post("/observations", content=b"\n".join(env for _, env in items))
        assert r.status_code == 200, r.text
        got = [(x["reason"], x.get("field")) for x in r.json()["results"]]
        assert [reason for reason, _ in got] == [reason for reason, _ in items]
        assert [field for _, field in got[: len(CASES)]] == [c.field for c in CASES]
        for item in r.json()["results"]:
            q = client.get(f"/quarantine/{item['quarantine_id']}").json()
            kept = base64.b64decode(q["raw_base64"])
            assert q["reason"] == item["reason"] and len(kept) == min(q["size"], 4096)
        # the whole submission nested 1,000 deep: 400 naming the limit, and the
        # keep-alive connection still serves the next request
        r = client.post("/observations", content=deep_body(1000))
        assert r.status_code == 400 and "at most 64" in r.json()["detail"]
        assert client.get("/sensors").status_code == 200


def test_http_body_limit_before_buffering(home: tuple[Path, keys.Ed25519PrivateKey]) -> None:
    root, _ = home
    with TestClient(create_app(Home(root))) as client:
        # declared too large: refused before a byte is read
        r = client.post(
            "/observations",
            content=b"{}",
            headers={"content-length": str(MAX_SUBMISSION_BYTES + 1)},
        )
        assert r.status_code == 413

        def chunks() -> Iterator[bytes]:
            block = b" " * (1 << 20)
            for _ in range(200):  # 200 MiB, chunked (no Content-Length)
                yield block

        r = client.post("/observations", content=chunks())
        assert r.status_code == 413 and "at most" in r.json()["detail"]
        r = client.post("/ingest/firms", content=chunks())
        assert r.status_code == 413


def test_firms_rows_dated_year_1_are_bad_rows(
    home: tuple[Path, keys.Ed25519PrivateKey], data: Path, tmp_path: Path
) -> None:
    """The tester's file: real FIRMS rows (the 2022 yearly extract), 205 of them re-dated
    0001-01-01. Those 205 are bad rows naming observed_at; the rest (re-dated yesterday,
    so that they are within the agreement's 30 days) are accepted; every row is counted."""
    root, _ = home
    lines = (data / "gianman89-war-fire-model/ukr_fire_data_2022.csv").read_text().splitlines()
    header, rows = lines[0], lines[1:1001]
    yesterday = (datetime.now(UTC) - timedelta(days=1)).strftime("%Y-%m-%d")
    year_1 = set(range(0, 1000, 5)) | {1, 2, 3, 4, 6}
    assert len(year_1) == 205
    out = [
        row.rsplit(",", 1)[0] + "," + ("0001-01-01" if i in year_1 else yesterday)
        for i, row in enumerate(rows)
    ]
    f = tmp_path / "firms_year_1.csv"
    f.write_text("\n".join([header, *out]) + "\n")
    counts = json.loads(run("ingest", "--home", str(root), "--format", "firms", "--json", str(f)))
    assert counts[str(f)]["accepted"] == 795
    assert counts[str(f)]["rejected_by_reason"] == {"bad_row": 205}
    listed = run("quarantine", "list", "--home", str(root), "--reason", "bad_row", "--limit", "1")
    assert "observed_at" in listed and "before the floor" in listed
