"""Signed webhooks with retries, exponential backoff and a dead-letter store.

Signing follows the Standard Webhooks spec (standardwebhooks.com): headers
`webhook-id`, `webhook-timestamp` (Unix seconds) and `webhook-signature`, a
space-separated list of `v1,<base64 HMAC-SHA256>` and/or `v1a,<base64 Ed25519>`,
both over `<id>.<timestamp>.<body>`. The id is derived from the body, so a
retried or re-published webhook carries the same id and receivers can drop
duplicates.

Retries: network errors, 408, 425, 429 and 5xx are retried after
base * factor^n seconds (capped; a longer Retry-After is honoured); any other
4xx is final. A webhook that ends in failure is written to the dead-letter
table, from which `redeliver` sends it again.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from truceline.clock import Clock, SystemClock, unix_seconds
from truceline.publication.tables import DeadLetter, Delivery

RETRYABLE = frozenset({408, 425, 429})


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


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 6
    base_s: float = 0.5
    factor: float = 2.0
    cap_s: float = 300.0
    timeout_s: float = 10.0

    def delay(self, retry: int, retry_after: float | None = None) -> float:
        d = min(self.cap_s, self.base_s * self.factor**retry)
        return min(self.cap_s, max(d, retry_after or 0.0))


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
class Outcome:
    delivered: bool
    attempts: int
    status: int | None
    error: str
    dead_letter: int | None = None
    duplicate: bool = False


class Deliverer:
    def __init__(
        self,
        store: Engine,
        *,
        clock: Clock | None = None,
        policy: RetryPolicy | None = None,
        client: httpx.Client | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.store = store
        self.clock = clock or SystemClock()
        self.policy = policy or RetryPolicy()
        self.client = client or httpx.Client(timeout=self.policy.timeout_s)
        self.sleep = sleep

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> Deliverer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def already_delivered(self, sub: Subscription, msg_id: str) -> bool:
        with Session(self.store) as s:
            q = select(Delivery.id).where(
                Delivery.subscription == sub.id, Delivery.webhook_id == msg_id
            )
            return s.execute(q).first() is not None

    def deliver(self, sub: Subscription, body: bytes) -> Outcome:
        msg_id = webhook_id(body)
        if self.already_delivered(sub, msg_id):
            return Outcome(True, 0, None, "", duplicate=True)
        status: int | None = None
        error = ""
        retry_after: float | None = None
        for attempt in range(self.policy.attempts):
            if attempt:
                self.sleep(self.policy.delay(attempt - 1, retry_after))
            # Each attempt is signed afresh: receivers reject stale timestamps.
            headers = sign_headers(sub, msg_id, unix_seconds(self.clock), body)
            try:
                resp = self.client.post(sub.url, content=body, headers=headers)
            except httpx.HTTPError as exc:
                status, error, retry_after = None, f"{type(exc).__name__}: {exc}", None
                continue
            status, error = resp.status_code, resp.text[:500]
            if 200 <= status < 300:
                self._record(
                    Delivery(
                        subscription=sub.id,
                        webhook_id=msg_id,
                        attempts=attempt + 1,
                        status=status,
                        delivered_at=self.clock.now(),
                    )
                )
                return Outcome(True, attempt + 1, status, "")
            if status < 500 and status not in RETRYABLE:
                return self._dead(sub, msg_id, body, attempt + 1, status, f"refused: {error}")
            error = f"{status} {error}"
            hint = resp.headers.get("retry-after", "")
            retry_after = float(hint) if status in (429, 503) and hint.isdigit() else None
        return self._dead(sub, msg_id, body, self.policy.attempts, status, error)

    def _record(self, row: Delivery | DeadLetter) -> int:
        with Session(self.store) as s:
            s.add(row)
            try:
                s.commit()
            except IntegrityError:  # already recorded by a concurrent or earlier run
                s.rollback()
                return -1
            return row.id

    def _dead(
        self,
        sub: Subscription,
        msg_id: str,
        body: bytes,
        attempts: int,
        status: int | None,
        error: str,
    ) -> Outcome:
        row = DeadLetter(
            subscription=sub.id,
            url=sub.url,
            webhook_id=msg_id,
            payload=body,
            attempts=attempts,
            last_status=status,
            last_error=error,
            failed_at=self.clock.now(),
        )
        return Outcome(False, attempts, status, error, dead_letter=self._record(row))

    def dead_letters(self) -> list[DeadLetter]:
        with Session(self.store) as s:
            return list(s.scalars(select(DeadLetter).order_by(DeadLetter.id)))

    def redeliver(self, dead_letter_id: int, sub: Subscription) -> Outcome:
        """Send a dead letter again; on success it leaves the dead-letter table."""
        with Session(self.store) as s:
            row = s.get(DeadLetter, dead_letter_id)
            if row is None:
                raise KeyError(f"no dead letter {dead_letter_id}")
            body = row.payload
            s.delete(row)
            s.commit()
        return self.deliver(sub, body)
