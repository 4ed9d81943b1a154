"""Witness throughput and end-to-end cosigning latency.

1. add-checkpoint requests per second on one witness with a SQLite store:
   the decision core alone, then over HTTP (uvicorn, one keep-alive client),
   each request growing the log by one entry with its consistency proof.
2. Cosigner.collect latency for a 5-witness policy (quorum 3 of 5), each
   witness its own uvicorn server on 127.0.0.1: all up, one down (connection
   refused), one hanging (the quorum is met, the grace period bounds the wait).

Run: .venv/bin/python benchmarks/bench_witness.py
"""

from __future__ import annotations

import hashlib
import logging
import socket
import statistics
import sys
import tempfile
import threading
import time
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from truceline.clock import SystemClock
from truceline.ledger import merkle
from truceline.ledger.checkpoint import Checkpoint
from truceline.ledger.cosignature import CosignatureSigner
from truceline.ledger.note import Ed25519Signer, sign
from truceline.ledger.policy import PolicyBuilder
from truceline.ledger.witness.core import Witness
from truceline.ledger.witness.request import AddCheckpointRequest
from truceline.ledger.witness.server import create_app
from truceline.ledger.witness.store import WitnessStore
from truceline.ledger.witnessing import Cosigner
from truceline.store.base import open_store

ORIGIN = "bench.example/log"


def _seed(label: str) -> bytes:
    return hashlib.sha256(label.encode()).digest()


class BenchLog:
    def __init__(self) -> None:
        self.signer = Ed25519Signer(ORIGIN, _seed("bench log"))
        self.leaves: list[bytes] = []
        self.tree = merkle.CompactRange()

    def grow(self, n: int) -> None:
        for _ in range(n):
            h = merkle.leaf_hash(b"entry %d" % len(self.leaves))
            self.leaves.append(h)
            self.tree.append(h)

    def checkpoint(self) -> bytes:
        return sign(Checkpoint(ORIGIN, len(self.leaves), self.tree.root()).body(), [self.signer])

    def proof(self, old: int, new: int) -> list[bytes]:
        return merkle.consistency_proof(old, new, self.leaves)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def _serve(app):  # type: ignore[no-untyped-def]
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=_free_port(),
        log_level="error",
        timeout_graceful_shutdown=1,
        lifespan="off",
    )
    server = uvicorn.Server(config)
    t = threading.Thread(target=server.run, daemon=True)
    t.start()
    while not server.started:
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{config.port}"
    finally:
        server.should_exit = True
        t.join(10)


def _witness(engine, name: str) -> Witness:  # type: ignore[no-untyped-def]
    w = Witness(WitnessStore(engine, name), CosignatureSigner(name, _seed(name)), SystemClock())
    w.store.add_log(ORIGIN, BenchLog().signer.verifier().vkey)
    return w


def _bodies(n: int) -> list[bytes]:
    log = BenchLog()
    bodies = [AddCheckpointRequest(0, (), log.checkpoint()).encode()]
    for _ in range(n - 1):
        old = len(log.leaves)
        log.grow(1)
        bodies.append(
            AddCheckpointRequest(old, tuple(log.proof(old, old + 1)), log.checkpoint()).encode()
        )
    return bodies


def bench_add_checkpoint(tmp: Path, n: int) -> None:
    bodies = _bodies(n)
    engine = open_store(f"sqlite:///{tmp / 'core.db'}")
    w = _witness(engine, "w-core")
    t0 = time.perf_counter()
    for b in bodies:
        w.add_checkpoint(b)
    core = n / (time.perf_counter() - t0)
    print(
        f"add-checkpoint, decision core + SQLite (no HTTP): {core:8.0f} req/s  ({n} sequential updates)"
    )

    engine2 = open_store(f"sqlite:///{tmp / 'http.db'}")
    w2 = _witness(engine2, "w-http")
    with _serve(create_app(w2)) as url, httpx.Client() as client:
        t0 = time.perf_counter()
        for b in bodies:
            r = client.post(f"{url}/add-checkpoint", content=b)
            assert r.status_code == 200, r.text
        http = n / (time.perf_counter() - t0)
    print(
        f"add-checkpoint over HTTP (uvicorn, keep-alive):    {http:8.0f} req/s  ({n} sequential updates)"
    )

    # Conflicting requests are cheap refusals: measure 409s (all checks but the proof).
    with _serve(create_app(w2)) as url, httpx.Client() as client:
        t0 = time.perf_counter()
        for _ in range(n):
            assert client.post(f"{url}/add-checkpoint", content=bodies[1]).status_code == 409
        conflict = n / (time.perf_counter() - t0)
    print(f"409 refusals over HTTP:                            {conflict:8.0f} req/s")


class _Hang:
    def __init__(self) -> None:
        self.release = threading.Event()

    async def handle(self, request: Request) -> Response:
        import asyncio

        await request.body()
        while not self.release.is_set():
            await asyncio.sleep(0.02)
        return Response("", status_code=503)


def bench_cosign(tmp: Path, rounds: int) -> None:
    names = [f"w{i}.bench.example" for i in range(1, 6)]
    engine = open_store(f"sqlite:///{tmp / 'witnesses.db'}")
    log = BenchLog()
    b = PolicyBuilder().log(log.signer.verifier().vkey)
    for n in names:
        b.witness(n, CosignatureSigner(n, _seed(n)).verifier().vkey)
    policy = b.group("q", 3, names).quorum("q").build()
    hang = _Hang()
    with ExitStack() as stack:
        urls = {n: stack.enter_context(_serve(create_app(_witness(engine, n)))) for n in names}
        hanging_url = stack.enter_context(
            _serve(Starlette(routes=[Route("/add-checkpoint", hang.handle, methods=["POST"])]))
        )
        dead_url = f"http://127.0.0.1:{_free_port()}"

        def run(label: str, override: dict[str, str], grace: float = 0.2) -> None:
            store = open_store(f"sqlite:///{tmp / (label.replace(' ', '_') + '.db')}")
            c = Cosigner(
                policy,
                store,
                log.proof,
                urls={**urls, **override},
                timeout=10.0,
                grace=grace,
                retries=0,
            )
            published = len(log.leaves)
            times, missing = [], set()
            for _ in range(rounds):
                log.grow(10)
                note = log.checkpoint()
                t0 = time.perf_counter()
                res = c.collect(note, published)
                times.append(time.perf_counter() - t0)
                assert res.quorum_met, res.missing
                missing |= set(res.missing)
                published = len(log.leaves)
            c.close()
            times.sort()
            p95 = times[int(0.95 * (len(times) - 1))]
            print(
                f"cosign 5 witnesses, quorum 3, {label:28s} median {statistics.median(times) * 1000:7.1f} ms"
                f"  p95 {p95 * 1000:7.1f} ms  ({rounds} rounds; missing: {sorted(missing) or 'none'})"
            )

        run("all up", {})
        run("w5 down (refused)", {names[4]: dead_url})
        run("w5 hanging, grace 0.2 s", {names[4]: hanging_url}, grace=0.2)
        hang.release.set()


def main() -> None:
    logging.basicConfig(level=logging.ERROR)
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 40
    print(f"python {sys.version.split()[0]}, 2-core shared machine")
    with tempfile.TemporaryDirectory() as d:
        bench_add_checkpoint(Path(d), n)
        bench_cosign(Path(d), rounds)


if __name__ == "__main__":
    main()
