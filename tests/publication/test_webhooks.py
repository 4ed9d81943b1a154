"""Webhooks against a real HTTP server on 127.0.0.1 that fails N times."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from truceline.clock import FixedClock
from truceline.publication.webhooks import Deliverer, RetryPolicy, Subscription, verify
from truceline.store.base import open_store

SECRET = b"0123456789abcdef0123456789abcdef"
NOW = datetime(2026, 3, 5, 13, tzinfo=UTC)


class Receiver:
    """Fails the first `fail` requests with `fail_status`, then answers 204; keeps what it got."""

    def __init__(self, fail: int, fail_status: int = 503, retry_after: str | None = None) -> None:
        self.fail, self.fail_status, self.retry_after = fail, fail_status, retry_after
        self.got: list[tuple[dict[str, str], bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers["content-length"]))
                receiver.got.append(({k.lower(): v for k, v in self.headers.items()}, body))
                if len(receiver.got) <= receiver.fail:
                    self.send_response(receiver.fail_status)
                    if receiver.retry_after:
                        self.send_header("retry-after", receiver.retry_after)
                    self.end_headers()
                    self.wfile.write(b"try later")
                else:
                    self.send_response(204)
                    self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def make_receiver() -> Iterator:
    made: list[Receiver] = []

    def make(*args, **kw) -> Receiver:
        made.append(Receiver(*args, **kw))
        return made[-1]

    yield make
    for r in made:
        r.close()


def deliverer(store_url: str, sleeps: list[float], attempts: int = 5) -> Deliverer:
    return Deliverer(
        open_store(store_url),
        clock=FixedClock(NOW),
        policy=RetryPolicy(attempts=attempts, base_s=0.5, factor=2, cap_s=3),
        sleep=sleeps.append,
    )


def test_retries_with_backoff_then_delivers_signed(store_url: str, make_receiver) -> None:
    rx = make_receiver(fail=3)
    key = Ed25519PrivateKey.generate()
    sub = Subscription(id="guarantors", url=rx.url, secret=SECRET, signing_key=key)
    sleeps: list[float] = []
    d = deliverer(store_url, sleeps)
    body = b'{"event":"penalty_in_force","subject":"case-1"}'
    out = d.deliver(sub, body)
    assert out.delivered and out.attempts == 4 and out.status == 204
    assert sleeps == [0.5, 1.0, 2.0]
    assert len(rx.got) == 4
    ids = {h["webhook-id"] for h, _ in rx.got}
    assert len(ids) == 1  # one id across retries, so receivers can drop duplicates
    headers, got = rx.got[-1]
    assert got == body
    verify(headers, got, secret=SECRET, now=int(NOW.timestamp()))
    verify(headers, got, public_key=key.public_key(), now=int(NOW.timestamp()))
    with pytest.raises(ValueError, match="no webhook-signature"):
        verify(headers, got + b" ", secret=SECRET)
    with pytest.raises(ValueError, match="no webhook-signature"):
        verify(headers, got, secret=b"another secret")
    with pytest.raises(ValueError, match="tolerance"):
        verify(headers, got, secret=SECRET, now=int(NOW.timestamp()) + 3600)
    # Publishing the same webhook again does not send it again.
    again = d.deliver(sub, body)
    assert again.duplicate and len(rx.got) == 4


def test_exhausted_retries_go_to_the_dead_letter_store_and_redeliver(
    store_url: str, make_receiver
) -> None:
    rx = make_receiver(fail=5)
    sub = Subscription(id="cap-feed", url=rx.url, secret=SECRET)
    sleeps: list[float] = []
    d = deliverer(store_url, sleeps, attempts=4)
    out = d.deliver(sub, b'{"n":1}')
    assert not out.delivered and out.attempts == 4 and out.status == 503
    assert sleeps == [0.5, 1.0, 2.0]  # capped at 3 s would apply from the 4th retry
    [dead] = d.dead_letters()
    assert (dead.subscription, dead.attempts, dead.last_status, dead.payload) == (
        "cap-feed",
        4,
        503,
        b'{"n":1}',
    )
    assert dead.id == out.dead_letter
    # The receiver recovers (5th request succeeds): redelivery empties the store.
    again = d.redeliver(dead.id, sub)
    assert again.delivered and d.dead_letters() == []


def test_client_error_is_final_and_retry_after_is_honoured(store_url: str, make_receiver) -> None:
    rx = make_receiver(fail=1, fail_status=400)
    sub = Subscription(id="s", url=rx.url, secret=SECRET)
    sleeps: list[float] = []
    out = deliverer(store_url, sleeps).deliver(sub, b"{}")
    assert not out.delivered and out.attempts == 1 and sleeps == [] and len(rx.got) == 1

    rx2 = make_receiver(fail=1, fail_status=429, retry_after="2")
    sleeps2: list[float] = []
    out2 = deliverer(store_url, sleeps2).deliver(
        Subscription(id="t", url=rx2.url, secret=SECRET), b"{}"
    )
    assert out2.delivered and sleeps2 == [2.0]


def test_unreachable_endpoint_is_retried_then_dead_lettered(store_url: str) -> None:
    import socket

    with socket.socket() as s:  # a port with nothing listening
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    sub = Subscription(id="down", url=f"http://127.0.0.1:{port}/", secret=SECRET)
    sleeps: list[float] = []
    out = deliverer(store_url, sleeps, attempts=3).deliver(sub, b"{}")
    assert not out.delivered and out.status is None and "ConnectError" in out.error
    assert sleeps == [0.5, 1.0]


def test_subscription_needs_a_signing_secret() -> None:
    with pytest.raises(ValueError, match="secret or a signing key"):
        Subscription(id="x", url="http://127.0.0.1/")
