"""Signed webhooks: one attempt, signed as the Standard Webhooks spec says.

Signing follows standardwebhooks.com: headers `webhook-id`, `webhook-timestamp`
(Unix seconds) and `webhook-signature`, a space-separated list of
`v1,<base64 HMAC-SHA256>` and/or `v1a,<base64 Ed25519>`, both over
`<id>.<timestamp>.<body>`. The id is derived from the body, so a retried or
re-published webhook carries the same id and receivers can drop duplicates.

When to retry, pause or give up is `policy.py`; the queues are `outbox.py` and
`dispatch.py`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey


@dataclass(frozen=True)
class Subscription:
    id: str
    url: str
    secret: bytes | None = None  # HMAC key (the decoded part of a `whsec_...` secret)
    signing_key: Ed25519PrivateKey | None = None

    def __post_init__(self) -> None:
        if self.secret is None and self.signing_key is None:
            raise ValueError(f"subscription {self.id!r}: needs a secret or a signing key")
        if not self.url.startswith(("http://", "https://")):
            raise ValueError(f"subscription {self.id!r}: url must be http(s), found {self.url!r}")


def webhook_id(body: bytes) -> str:
    return "msg_" + hashlib.sha256(body).hexdigest()[:32]


def signed_content(msg_id: str, timestamp: int, body: bytes) -> bytes:
    return f"{msg_id}.{timestamp}.".encode() + body


def sign_headers(sub: Subscription, msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    content = signed_content(msg_id, timestamp, body)
    sigs = []
    if sub.secret is not None:
        mac = hmac.new(sub.secret, content, hashlib.sha256).digest()
        sigs.append("v1," + base64.b64encode(mac).decode())
    if sub.signing_key is not None:
        sigs.append("v1a," + base64.b64encode(sub.signing_key.sign(content)).decode())
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(sigs),
        "content-type": "application/json",
    }


def verify(
    headers: Mapping[str, str],
    body: bytes,
    *,
    secret: bytes | None = None,
    public_key: Ed25519PublicKey | None = None,
    now: int | None = None,
    tolerance_s: int = 300,
) -> None:
    """What a receiver runs: ValueError unless one signature verifies and the timestamp is fresh."""
    msg_id, ts = headers.get("webhook-id"), headers.get("webhook-timestamp")
    if not msg_id or not ts or not ts.isdigit():
        raise ValueError("webhook-id and webhook-timestamp headers are required")
    if now is not None and abs(now - int(ts)) > tolerance_s:
        raise ValueError(f"webhook-timestamp {ts} is outside the {tolerance_s} s tolerance")
    content = signed_content(msg_id, int(ts), body)
    for item in headers.get("webhook-signature", "").split():
        version, _, sig_b64 = item.partition(",")
        sig = base64.b64decode(sig_b64)
        if version == "v1" and secret is not None:
            if hmac.compare_digest(sig, hmac.new(secret, content, hashlib.sha256).digest()):
                return
        elif version == "v1a" and public_key is not None:
            try:
                public_key.verify(sig, content)
                return
            except Exception:  # noqa: BLE001 - InvalidSignature: try the next one
                continue
    raise ValueError("no webhook-signature verifies")


@dataclass(frozen=True)
class Response:
    """How one attempt ended: the status (None: no answer), and the error text otherwise."""

    status: int | None
    error: str = ""
    retry_after: float | None = None  # seconds, from a 429 or 503 `Retry-After`


class PostClient(Protocol):
    """What `post` needs of a client: `http1.Http1Client`, or an `httpx.AsyncClient`."""

    async def post(self, url: str, *, content: bytes, headers: dict[str, str]) -> Any: ...


async def post(
    client: PostClient, sub: Subscription, msg_id: str, body: bytes, timestamp: int
) -> Response:
    """One signed attempt. Each attempt is signed afresh: receivers reject stale timestamps."""
    headers = sign_headers(sub, msg_id, timestamp, body)
    try:
        resp = await client.post(sub.url, content=body, headers=headers)
    except Exception as exc:  # noqa: BLE001 - any failure to get an answer is a failed attempt
        return Response(None, f"{type(exc).__name__}: {exc}"[:500])
    status = resp.status_code
    if 200 <= status < 300:
        return Response(status)
    hint = resp.headers.get("retry-after", "")
    retry_after = float(hint) if status in (429, 503) and hint.isdigit() else None
    return Response(status, f"{status} {resp.text[:500]}", retry_after)
