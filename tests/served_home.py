"""`truceline serve --home` as a child process: the real server, for tests and benchmarks.

Standard library only (the interop tests import no Truceline code).
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve_home(home: Path, output: Path | None = None, port: int | None = None) -> Iterator[str]:
    """Run `truceline serve --home HOME` on `port` (default a free one) until the block ends;
    yield its base URL. A server restarted on the same port is the same origin to a browser.

    The server's output (uvicorn's access log included) goes to `output`, if given.
    """
    port = port or free_port()
    sink = output.open("w") if output is not None else subprocess.DEVNULL
    proc = subprocess.Popen(
        [sys.executable, "-m", "truceline.cli", "serve", "--home", str(home), "--port", str(port)],
        stdout=sink,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{base}/openapi.json", timeout=1).read()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        f"truceline serve did not start (exit {proc.poll()})"
                    ) from None
                time.sleep(0.1)
        yield base
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if output is not None:
            sink.close()  # type: ignore[union-attr]
