"""Per-principal rate limits on the API's writes: one token bucket per principal.

A principal is who a write request is charged to:

* `keyid:<K>` for a request whose signature verified: the RFC 9421 signature of
  `POST /ingest/{format}`, or, for `POST /observations`, the signature of the first
  envelope of the body by a registered key;
* `address:<IP>` for everyone else (no signature, one that does not verify, and the
  signatory acts and resumes, whose envelopes are checked later): the client's address.
  An unsigned import, a signatory act and a resume are charged before their body is
  read. So is every `POST /observations`, whose signatures are in the body (up to 64 MiB):
  a flood of bodies from one address is refused before they cost memory. Once its first
  envelope verifies, the address gets its token back (`refund`) and the key is charged
  instead; a claimed keyid that does not verify never charges that key.

Each bucket holds at most `burst` tokens and gains `rate` a second; a write takes one,
and one that finds less than a token is answered 429 with `Retry-After` (whole seconds
until a token is there). Time is the app's injected clock, so a test decides when tokens
come back. The buckets live in memory, at most `MAX_PRINCIPALS` of them, the least
recently used dropped first (a dropped bucket comes back full: at most one extra burst).

Defaults (`WriteLimit()`): 20 writes a second, bursts of 200, per principal; a mission
home sets its own in HOME/write_limit (`RATE BURST`, e.g. `5 50`).
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime

from fastapi import HTTPException, Request

from truceline.clock import Clock

MAX_PRINCIPALS = 100_000


@dataclass(frozen=True)
class WriteLimit:
    rate: float = 20.0  # tokens a second
    burst: int = 200  # tokens a full bucket holds

    def __post_init__(self) -> None:
        if not (math.isfinite(self.rate) and self.rate > 0) or self.burst < 1:
            raise ValueError(
                f"write limit: rate > 0 and burst >= 1, found {self.rate} {self.burst}"
            )

    @classmethod
    def parse(cls, text: str) -> WriteLimit:
        """`RATE BURST`, e.g. `20 200`."""
        parts = text.split()
        try:
            rate, burst = float(parts[0]), int(parts[1])
        except (IndexError, ValueError):
            raise ValueError(f"write limit: expected `RATE BURST`, found {text[:40]!r}") from None
        if len(parts) != 2:
            raise ValueError(f"write limit: expected `RATE BURST`, found {text[:40]!r}")
        return cls(rate, burst)


class WriteLimiter:
    def __init__(self, limit: WriteLimit, clock: Clock) -> None:
        self.limit = limit
        self.clock = clock
        self._buckets: OrderedDict[str, tuple[float, datetime]] = OrderedDict()
        self._lock = threading.Lock()

    def wait(self, principal: str) -> float:
        """Take a token from `principal`'s bucket: 0.0, or the seconds until it holds one
        (nothing taken)."""
        now = self.clock.now()
        rate, burst = self.limit.rate, self.limit.burst
        with self._lock:
            tokens, then = self._buckets.pop(principal, (float(burst), now))
            elapsed = max(0.0, (now - then).total_seconds())  # a clock set back adds nothing
            tokens = min(float(burst), tokens + elapsed * rate)
            wait = 0.0 if tokens >= 1 else (1 - tokens) / rate
            if not wait:
                tokens -= 1
            self._buckets[principal] = (tokens, now)
            if len(self._buckets) > MAX_PRINCIPALS:
                self._buckets.popitem(last=False)
        return wait

    def refund(self, principal: str) -> None:
        """Give back a token taken from `principal` for a request charged to another
        principal after all (never more than a full bucket)."""
        now = self.clock.now()
        rate, burst = self.limit.rate, self.limit.burst
        with self._lock:
            got = self._buckets.get(principal)
            if got is None:
                return  # dropped, so it comes back full anyway
            tokens, then = got
            elapsed = max(0.0, (now - then).total_seconds())
            self._buckets[principal] = (min(float(burst), tokens + elapsed * rate + 1), now)

    def charge(self, principal: str) -> None:
        """Take a token, or refuse the request: 429 with Retry-After."""
        wait = self.wait(principal)
        if wait:
            seconds = max(1, math.ceil(wait))
            raise HTTPException(
                429,
                f"too many writes by {principal}: at most {self.limit.rate:g} a second "
                f"(bursts of {self.limit.burst}); retry after {seconds} s",
                headers={"Retry-After": str(seconds)},
            )


def address(request: Request) -> str:
    """The principal of an unauthenticated request: its client's address."""
    return f"address:{request.client.host if request.client else 'unknown'}"


def keyid(key: str) -> str:
    """The principal of a request a registered key signed."""
    return f"keyid:{key}"
