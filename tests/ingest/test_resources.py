"""Issue #11: a real server (`truceline serve`, uvicorn in its own process) keeps its memory
and its store bounded under a stream of oversize and hostile submissions.

Measured: the server's peak resident memory (VmHWM from /proc) and the store's size
before and after. Compared with bounds derived from the limits, never with a time:
- three 200 MiB bodies (chunked, no Content-Length) and three declared ones: each is
  refused (413) once past the 64 MiB limit, so the peak grows by at most one body limit
  plus slack (before: the whole 200 MB was read first, +161 MB);
- three 57 MB submissions of rejected envelopes (about 950 each), signature bombs and
  deep JSON: the quarantine keeps 4 KiB of each, at most `quarantine.max_bytes` (8 MiB
  here) in all, so the store grows by at most that plus its rows (before: +235 MB).
"""

from __future__ import annotations

import base64
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from truceline.codec import keys
from truceline.codec.jcs import canonicalize
from truceline.ingest.formats import MAX_SUBMISSION_BYTES

from .hostile import deep_body, make_home, observation, sign_payload, signature_bomb

MiB = 1 << 20
QUARANTINE_BOUND = 8 * MiB
SLACK = 48 * MiB  # interpreter, SQLite caches, response objects


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _status(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"{field} not in /proc/{pid}/status")


def _store_bytes(root: Path) -> int:
    return sum(p.stat().st_size for p in root.glob("store.db*"))


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[str, int, Path, keys.Ed25519PrivateKey]]:
    root, key = make_home(tmp_path_factory.mktemp("resources"))
    (root / "quarantine.max_bytes").write_text(str(QUARANTINE_BOUND))
    port = _free_port()
    truceline = Path(sys.executable).with_name("truceline")
    proc = subprocess.Popen(
        [str(truceline), "serve", "--home", str(root), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                if httpx.get(url + "/sensors", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            raise AssertionError("server did not start")
        yield url, proc.pid, root, key
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _chunks(total: int, block: int = MiB) -> Iterator[bytes]:
    data = b" " * block
    for _ in range(total // block):
        yield data


def _declared_only(url: str, path: str, length: int) -> bytes:
    """Send only the headers of a request declaring `length` bytes; the server's answer."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=60) as s:
        s.sendall(
            f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: {length}\r\n\r\n".encode()
        )
        return s.recv(4096)


def _post(url: str, content: Iterator[bytes]) -> httpx.Response:
    try:
        return httpx.post(url, content=content, timeout=300)
    except httpx.TransportError as exc:
        # the server may answer 413 and close while the rest is still being sent
        raise AssertionError(f"transport error instead of a 413: {exc}") from exc


def test_memory_and_store_stay_bounded(
    server: tuple[str, int, Path, keys.Ed25519PrivateKey],
) -> None:
    url, pid, root, key = server
    # a first real submission: the mission is open and its caches warm
    now = observation(1, _now())
    r = httpx.post(url + "/observations", content=sign_payload(canonicalize(now), key))
    assert r.status_code == 200 and r.json()["accepted"] == 1
    rss0, store0 = _status(pid, "VmHWM"), _store_bytes(root)
    db0 = (root / "store.db").stat().st_size

    # oversize bodies: refused once past the limit, never read whole
    for path in ("/observations", "/ingest/firms"):
        for _ in range(3):
            r = _post(url + path, _chunks(200 * MiB))
            assert r.status_code == 413, r.text[:200]
    # declared too large: answered before any of it is sent
    assert _declared_only(url, "/observations", 200 * MiB).startswith(b"HTTP/1.1 413")
    peak_oversize = _status(pid, "VmHWM") - rss0
    assert peak_oversize <= MAX_SUBMISSION_BYTES + SLACK, peak_oversize / MiB

    # hostile submissions within the limit: every envelope is quarantined
    too_large = b"x" * 60_001
    bomb = signature_bomb(canonicalize(now), keys.key_id(key.public_key()), 441)
    deep = sign_payload(b'{"a":' + deep_body(5000) + b"}", key)
    line_set = [too_large, bomb, deep]
    cycle = sum(len(x) + 1 for x in line_set)
    per_post = 3 * (57 * 10**6 // cycle)
    body = b"\n".join(line_set[i % 3] for i in range(per_post)) + b"\n"
    assert 56 * 10**6 < len(body) < MAX_SUBMISSION_BYTES
    for _ in range(3):
        r = httpx.post(url + "/observations", content=body, timeout=600)
        assert r.status_code == 200, r.text[:200]
        assert r.json()["accepted"] == 0 and r.json()["rejected"] == per_post
    reasons = {x["reason"] for x in r.json()["results"]}
    assert reasons == {"too_large", "too_many_signatures", "bad_payload_json"}

    rows = 3 * per_post
    # store.db: kept bytes at most the bound, plus about 1 KiB of row and index per row;
    # store.db-wal (SQLite keeps the file at its largest): one transaction, an insert of
    # one submission's prefixes or an eviction, each at most the bound
    db = (root / "store.db").stat().st_size
    assert db - db0 <= QUARANTINE_BOUND + rows * 1024, (db - db0) / MiB
    store_growth = _store_bytes(root) - store0
    assert store_growth <= 3 * QUARANTINE_BOUND + rows * 1024, store_growth / MiB
    # the submissions themselves are read whole (up to the limit), split and checked:
    # the peak grows by a few copies of one body, not by what was sent in all
    peak_total = _status(pid, "VmHWM") - rss0
    assert peak_total <= 3 * MAX_SUBMISSION_BYTES + SLACK, peak_total / MiB
    print(
        f"\nserver peak RSS {rss0 / MiB:.0f} MiB, +{peak_oversize / MiB:.0f} MiB after six "
        f"200 MiB bodies, +{peak_total / MiB:.0f} MiB after three 57 MB hostile submissions; "
        f"store.db +{(db - db0) / MiB:.1f} MiB, with its WAL +{store_growth / MiB:.1f} MiB "
        f"for {rows} quarantined envelopes ({3 * len(body) / 1e6:.0f} MB sent)"
    )
    last = httpx.get(url + "/quarantine", params={"limit": 1, "offset": rows - 1}).json()[0]
    kept = httpx.get(url + f"/quarantine/{last['id']}").json()["raw_base64"]
    assert len(base64.b64decode(kept)) == 4096 < last["size"]


def _now():  # noqa: ANN202 - a datetime, as observation() takes it
    from datetime import UTC, datetime, timedelta

    return datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=5)


if not sys.platform.startswith("linux") or not os.path.exists("/proc/self/status"):
    pytest.skip("reads /proc/<pid>/status", allow_module_level=True)
