"""The notifier's HTTP client per webhook attempt: CPU and wall time of sequential POSTs to a
`ThreadingHTTPServer` on 127.0.0.1 (keep-alive, answers 204), `http1.Http1Client` against
`httpx.AsyncClient` in the same run. The server runs in its own process, so the CPU measured
(`time.process_time` of this process) is the client's alone.

    .venv/bin/python benchmarks/bench_http1.py [--n 2000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import statistics
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

from truceline.publication.http1 import Http1Client

BODY = b'{"type":"countdown","id":"x"}' * 20  # about a webhook's size
HEADERS = {"content-type": "application/json", "webhook-id": "msg_1"}


def serve(port_q: Any) -> None:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as a webhook receiver would

        def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    port_q.put(srv.server_address[1])
    srv.serve_forever()


async def run(client: Any, url: str, n: int) -> tuple[float, float]:
    """CPU and wall milliseconds per attempt over n sequential POSTs (after a warm-up)."""
    for _ in range(20):
        await client.post(url, content=BODY, headers=HEADERS)
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(n):
        answer = await client.post(url, content=BODY, headers=HEADERS)
        assert answer.status_code == 204
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    await client.aclose()
    return cpu / n * 1e3, wall / n * 1e3


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--rounds", type=int, default=3, help="alternated runs of each client")
    args = ap.parse_args()
    ctx = multiprocessing.get_context("spawn")
    port_q = ctx.Queue()
    server = ctx.Process(target=serve, args=(port_q,), daemon=True)
    server.start()
    url = f"http://127.0.0.1:{port_q.get()}/hook"
    clients = {
        "http1": lambda: Http1Client(5),
        "httpx": lambda: httpx.AsyncClient(timeout=5),
    }
    figures: dict[str, list[tuple[float, float]]] = {name: [] for name in clients}
    for _ in range(args.rounds):
        for name, make in clients.items():
            figures[name].append(asyncio.run(run(make(), url, args.n)))
    server.terminate()
    print(f"{args.n} sequential POSTs x {args.rounds} rounds (median; min-max)")
    for name, runs in figures.items():
        cpu, wall = [r[0] for r in runs], [r[1] for r in runs]
        print(
            f"{name}: CPU {statistics.median(cpu):.3f} ms/attempt ({min(cpu):.3f}-{max(cpu):.3f}),"
            f" wall {statistics.median(wall):.3f} ms ({min(wall):.3f}-{max(wall):.3f})"
        )


if __name__ == "__main__":
    main()
