"""Run ASGI apps on a real 127.0.0.1 socket (uvicorn in a thread) for end-to-end tests."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route

from truceline.ledger.witness.core import Witness
from truceline.ledger.witness.server import create_app


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve(app) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """Serve `app` on a free port; yield its base URL; stop it afterwards."""
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=free_port(),
        log_level="warning",
        timeout_graceful_shutdown=1,
        lifespan="off",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        threading.Event().wait(0.01)
    try:
        yield f"http://127.0.0.1:{config.port}"
    finally:
        server.should_exit = True
        thread.join(10)


class Hang:
    """An add-checkpoint endpoint that never answers until released (a stuck witness)."""

    def __init__(self) -> None:
        self.release = threading.Event()

    async def handle(self, request: Request) -> Response:
        await request.body()
        while not self.release.is_set():
            await asyncio.sleep(0.02)
        return Response("released\n", status_code=503)


@contextmanager
def witness_farm(
    witnesses: dict[str, Witness], hanging: tuple[str, ...] = ()
) -> Iterator[dict[str, str]]:
    """One server, each witness under /<name>; names in `hanging` never answer.

    Yields name -> submission prefix URL, plus a dead URL (nothing listening) under "dead".
    """
    hang = Hang()
    routes = [Mount(f"/{name}", app=create_app(w)) for name, w in witnesses.items()]
    routes += [Route(f"/{name}/add-checkpoint", hang.handle, methods=["POST"]) for name in hanging]
    try:
        with serve(Starlette(routes=routes)) as base:
            urls = {name: f"{base}/{name}" for name in (*witnesses, *hanging)}
            urls["dead"] = f"http://127.0.0.1:{free_port()}/dead"
            yield urls
            hang.release.set()
    finally:
        hang.release.set()
