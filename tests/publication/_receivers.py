"""Real webhook receivers on 127.0.0.1: healthy, flaky, slow, dead (500) or gone (410).

Each runs a threading HTTP server and records every request it got, with the status it
answered, so a test can say what was delivered (2xx), how often and in what order.
Behaviour can change while it runs (a dead receiver comes back).
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

SECRET = b"0123456789abcdef0123456789abcdef"


@dataclass(frozen=True)
class Got:
    at: float  # time.monotonic() when the request arrived
    headers: dict[str, str]
    body: bytes
    status: int

    @property
    def id(self) -> str:
        return self.headers["webhook-id"]

    @property
    def event(self) -> dict[str, Any]:
        return dict(json.loads(self.body))


class Receiver:
    """Answers `status` (default 204) after `delay_s`; the first `fail_first` requests, and
    the first `fail_each` attempts of every webhook id, get `fail_status` instead."""

    def __init__(
        self,
        status: int = 204,
        *,
        delay_s: float = 0.0,
        fail_first: int = 0,
        fail_each: int = 0,
        fail_status: int = 503,
        retry_after: str | None = None,
    ) -> None:
        self.status, self.delay_s = status, delay_s
        self.fail_first, self.fail_each, self.fail_status = fail_first, fail_each, fail_status
        self.retry_after = retry_after
        self.got: list[Got] = []
        self._lock = threading.Lock()
        self._tries: Counter[str] = Counter()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out in two writes

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers["content-length"]))
                headers = {k.lower(): v for k, v in self.headers.items()}
                if receiver.delay_s:
                    time.sleep(receiver.delay_s)
                status = receiver._answer(headers.get("webhook-id", ""))
                with receiver._lock:
                    receiver.got.append(Got(time.monotonic(), headers, body, status))
                self.send_response(status)
                if status >= 300 and receiver.retry_after:
                    self.send_header("retry-after", receiver.retry_after)
                text = b"" if status == 204 else b"answer"
                self.send_header("content-length", str(len(text)))
                self.end_headers()
                self.wfile.write(text)

            def log_message(self, *args: object) -> None:
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request: object, client_address: object) -> None:
                pass  # a client killed mid-request resets its connection: expected here

        self.server = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def _answer(self, msg_id: str) -> int:
        with self._lock:
            n = sum(self._tries.values())
            self._tries[msg_id] += 1
            if n < self.fail_first or self._tries[msg_id] <= self.fail_each:
                return self.fail_status
        return self.status

    def delivered(self) -> list[Got]:
        """The requests answered 2xx, in arrival order."""
        with self._lock:
            return [g for g in self.got if 200 <= g.status < 300]

    def delivered_ids(self) -> Counter[str]:
        return Counter(g.id for g in self.delivered())

    def requests(self) -> int:
        with self._lock:
            return len(self.got)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receivers() -> Iterator[Any]:
    made: list[Receiver] = []

    def make(*args: Any, **kw: Any) -> Receiver:
        made.append(Receiver(*args, **kw))
        return made[-1]

    yield make
    for r in made:
        r.close()


def wait_for(cond: Any, timeout: float = 60.0, every: float = 0.01, why: Any = None) -> None:
    """Until `cond()` is true; a test failure (not a hang) if it never is, saying `why()`."""
    end = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > end:
            pytest.fail(f"condition not met within {timeout} s" + (f": {why()}" if why else ""))
        time.sleep(every)
