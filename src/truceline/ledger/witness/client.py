"""A client for one witness's c2sp.org/tlog-witness `add-checkpoint` endpoint.

`add_checkpoint` is one request (retrying only transport failures and 5xx);
`submit` is the conversation a log has with a witness: send the size it thinks
the witness is at, and on 409 learn the witness's real size and resend with the
consistency proof from there.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import httpx

from truceline.clock import monotonic
from truceline.errors import TrucelineError
from truceline.ledger.witness.request import AddCheckpointRequest

log = logging.getLogger("truceline.witness.client")

ConsistencyProof = Callable[[int, int], Sequence[bytes]]
"""consistency_proof(old_size, new_size) -> the RFC 6962 proof hashes."""


class WitnessClientError(TrucelineError):
    """The witness did not cosign; `reason` says why in a word, str() in a sentence."""

    reason = "error"


class WitnessUnavailable(WitnessClientError):
    reason = "unavailable"


class WitnessConflict(WitnessClientError):
    """409: the witness's latest cosigned size is `size`."""

    reason = "conflict"

    def __init__(self, size: int, message: str) -> None:
        super().__init__(message)
        self.size = size


class WitnessRefused(WitnessClientError):
    """A definitive 4xx refusal (400, 403, 404, 422) or a conflict that retrying cannot fix."""

    reason = "refused"

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"HTTP {status}: {message}")
        self.status = status


@dataclass(frozen=True)
class Submission:
    cosignatures: bytes
    """The signature lines from the 200 response, not yet verified."""
    old: int
    """The old size the successful request used (the witness's previous size)."""


_RETRYABLE_STATUS = frozenset({500, 502, 503, 504})


class WitnessClient:
    def __init__(
        self,
        url: str,
        *,
        timeout: float = 5.0,
        retries: int = 2,
        backoff: float = 0.1,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        """`url` is the witness's submission prefix; `add-checkpoint` is appended."""
        self.url = url.rstrip("/") + "/add-checkpoint"
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        # One keep-alive client per witness, as the spec recommends.
        self._http = httpx.Client(timeout=timeout, transport=transport)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> WitnessClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def add_checkpoint(
        self, old: int, proof: Sequence[bytes], checkpoint: bytes, deadline: float | None = None
    ) -> bytes:
        """One add-checkpoint call: the cosignature lines, or a WitnessClientError."""
        body = AddCheckpointRequest(old, tuple(proof), checkpoint).encode()
        attempt = 0
        while True:
            timeout = self.timeout
            if deadline is not None:
                timeout = min(timeout, deadline - monotonic())
                if timeout <= 0:
                    raise WitnessUnavailable(f"{self.url}: deadline passed")
            try:
                resp = self._http.post(self.url, content=body, timeout=timeout)
            except httpx.TransportError as exc:
                failure: str = f"{self.url}: {type(exc).__name__}: {exc}"
            else:
                if resp.status_code == 200:
                    return resp.content
                if resp.status_code == 409:
                    raise WitnessConflict(_parse_size(resp), f"{self.url}: 409 {resp.text.strip()}")
                if resp.status_code not in _RETRYABLE_STATUS:
                    raise WitnessRefused(resp.status_code, f"{self.url}: {resp.text.strip()[:200]}")
                failure = f"{self.url}: HTTP {resp.status_code}"
            attempt += 1
            if attempt > self.retries:
                raise WitnessUnavailable(failure)
            log.info("retrying witness after %s (attempt %d)", failure, attempt)
            time.sleep(self.backoff * 2 ** (attempt - 1))

    def submit(
        self,
        checkpoint: bytes,
        size: int,
        old: int,
        consistency_proof: ConsistencyProof,
        deadline: float | None = None,
    ) -> Submission:
        """Get `checkpoint` (of tree `size`) cosigned, starting from the guess `old`.

        On 409 the witness states its size; resend from there with the matching proof.
        A witness ahead of `size` (it cosigned a larger tree) cannot be helped by
        retrying: that is either a stale log or a fork, and is reported as refused.
        """
        tried: set[int] = set()
        while True:
            if old > size:
                raise WitnessRefused(409, f"{self.url}: witness is at size {old}, beyond {size}")
            if old in tried:
                raise WitnessRefused(
                    409, f"{self.url}: still conflicts at size {old} (same size, different root?)"
                )
            tried.add(old)
            proof = consistency_proof(old, size) if 0 < old < size else ()
            try:
                return Submission(self.add_checkpoint(old, proof, checkpoint, deadline), old)
            except WitnessConflict as exc:
                log.info("%s: witness is at size %d, not %d; resending", self.url, exc.size, old)
                old = exc.size


def _parse_size(resp: httpx.Response) -> int:
    text = resp.text
    ctype = resp.headers.get("content-type", "")
    if not ctype.startswith("text/x.tlog.size") or not text.endswith("\n"):
        raise WitnessRefused(409, f"409 without a text/x.tlog.size body: {text[:80]!r}")
    try:
        return int(text.strip())
    except ValueError as exc:
        raise WitnessRefused(409, f"409 body is not a size: {text[:80]!r}") from exc
