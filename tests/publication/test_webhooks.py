"""One signed webhook attempt against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import socket
from datetime import UTC, datetime

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from truceline.publication.webhooks import Subscription, post, verify, webhook_id

from ._receivers import SECRET

NOW = int(datetime(2026, 3, 5, 13, tzinfo=UTC).timestamp())


def _post(sub: Subscription, body: bytes, at: int = NOW):  # type: ignore[no-untyped-def]
    async def go():  # type: ignore[no-untyped-def]
        async with httpx.AsyncClient(timeout=5) as client:
            return await post(client, sub, webhook_id(body), body, at)

    return asyncio.run(go())


def test_attempts_are_signed_and_verify_checks_them(receivers) -> None:
    rx = receivers()
    key = Ed25519PrivateKey.generate()
    sub = Subscription(id="guarantors", url=rx.url, secret=SECRET, signing_key=key)
    body = b'{"event":"penalty_in_force","subject":"case-1"}'
    out = _post(sub, body)
    assert out.status == 204 and out.error == ""
    _post(sub, body, NOW + 60)  # a retry: signed afresh, the same id
    [first, again] = rx.got
    assert first.id == again.id == webhook_id(body)
    assert first.headers["webhook-timestamp"] != again.headers["webhook-timestamp"]
    verify(first.headers, first.body, secret=SECRET, now=NOW)
    verify(first.headers, first.body, public_key=key.public_key(), now=NOW)
    with pytest.raises(ValueError, match="no webhook-signature"):
        verify(first.headers, first.body + b" ", secret=SECRET)
    with pytest.raises(ValueError, match="no webhook-signature"):
        verify(first.headers, first.body, secret=b"another secret")
    with pytest.raises(ValueError, match="tolerance"):
        verify(first.headers, first.body, secret=SECRET, now=NOW + 3600)
    with pytest.raises(ValueError, match="required"):
        verify({}, first.body, secret=SECRET)


def test_failures_are_reported_with_retry_after(receivers) -> None:
    busy = receivers(429, retry_after="7")
    out = _post(Subscription(id="s", url=busy.url, secret=SECRET), b"{}")
    assert (out.status, out.retry_after) == (429, 7.0) and out.error.startswith("429")
    with socket.socket() as s:  # a port with nothing listening
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    down = _post(Subscription(id="d", url=f"http://127.0.0.1:{port}/", secret=SECRET), b"{}")
    assert down.status is None and "ConnectError" in down.error


def test_subscription_needs_a_signing_secret_and_an_http_url() -> None:
    with pytest.raises(ValueError, match="secret or a signing key"):
        Subscription(id="x", url="http://127.0.0.1/")
    with pytest.raises(ValueError, match="url must be http"):
        Subscription(id="x", url="ftp://127.0.0.1/", secret=SECRET)
