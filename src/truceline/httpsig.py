"""HTTP Message Signatures (RFC 9421, Ed25519) for the writes the server signs for someone.

An envelope posted to `/observations` authenticates itself (its signer is registered).
A source file posted to `/ingest/{format}` is signed by the import gateway, so the gateway
must know who sent it: the request carries an RFC 9421 signature by a key registered on
the log (an `importer` principal), covering the method, the target URI and the body's
Content-Digest (RFC 9530, SHA-256). The signature's `created` time must be within
`MAX_AGE` of the server's clock, and its `nonce` must not have been seen in that window,
so a captured request cannot be replayed.

The library is `http-message-signatures` (pyauth); this module only fixes the profile.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from http_message_signatures import (
    HTTPMessageSigner,
    HTTPMessageVerifier,
    HTTPSignatureKeyResolver,
    algorithms,
)
from http_message_signatures.exceptions import HTTPMessageSignaturesException

from truceline.errors import TrucelineError

COVERED = ("@method", "@target-uri", "content-digest")
MAX_AGE = timedelta(minutes=5)
TAG = "truceline"


class Unauthenticated(TrucelineError):
    """The request carries no valid signature by a registered key (HTTP 401)."""

    code = "unauthenticated"


@dataclass
class _Message:
    """What the library reads of a request: method, absolute URL, header field lines."""

    method: str
    url: str
    headers: _Fields


class _Fields(dict[str, str]):
    """Header fields; `items()` keeps every field line, as the library asks."""

    def __init__(self, lines: Iterable[tuple[str, str]]) -> None:
        super().__init__()
        self.lines = list(lines)
        for name, value in self.lines:
            super().__setitem__(name, value)

    def items(self):
        return list(self.lines)

    def __setitem__(self, name: str, value: str) -> None:
        self.lines = [(n, v) for n, v in self.lines if n.lower() != name.lower()]
        self.lines.append((name, value))
        super().__setitem__(name, value)

    def __delitem__(self, name: str) -> None:
        self.lines = [(n, v) for n, v in self.lines if n.lower() != name.lower()]
        for key in [k for k in self if k.lower() == name.lower()]:
            super().__delitem__(key)


class _Keys(HTTPSignatureKeyResolver):
    def __init__(
        self,
        public: Callable[[str], Ed25519PublicKey | None] = lambda _k: None,
        private: Ed25519PrivateKey | None = None,
    ) -> None:
        self.public = public
        self.private = private

    def resolve_public_key(self, key_id: str) -> Ed25519PublicKey:
        key = self.public(key_id)
        if key is None:
            raise HTTPMessageSignaturesException(f"keyid {key_id!r} is not a registered key")
        return key

    def resolve_private_key(self, key_id: str) -> Ed25519PrivateKey:
        assert self.private is not None
        return self.private


def sign_headers(
    method: str,
    url: str,
    body: bytes,
    key: Ed25519PrivateKey,
    keyid: str,
    now: datetime | None = None,
) -> dict[str, str]:
    """The Content-Digest, Signature-Input and Signature headers for a request."""
    message = _Message(method.upper(), url, _Fields([]))
    signer = HTTPMessageSigner(
        signature_algorithm=algorithms.ED25519, key_resolver=_Keys(private=key)
    )
    signer.sign(
        message,
        key_id=keyid,
        created=now,
        nonce=secrets.token_urlsafe(16),
        tag=TAG,
        covered_component_ids=COVERED,
        body=body,
    )
    return dict(message.headers.lines)


class Nonces:
    """Nonces seen within `MAX_AGE`, so a signed request is accepted once."""

    def __init__(self, limit: int = 100_000) -> None:
        self._seen: OrderedDict[str, float] = OrderedDict()
        self._limit = limit
        self._mu = threading.Lock()

    def first_use(self, nonce: str) -> bool:
        now = time.monotonic()
        with self._mu:
            horizon = now - MAX_AGE.total_seconds() * 2
            while self._seen and (
                next(iter(self._seen.values())) < horizon or len(self._seen) >= self._limit
            ):
                self._seen.popitem(last=False)
            if nonce in self._seen:
                return False
            self._seen[nonce] = now
            return True


def verify(
    method: str,
    url: str,
    headers: Iterable[tuple[str, str]],
    body: bytes,
    public_key: Callable[[str], Ed25519PublicKey | None],
    nonces: Nonces,
) -> str:
    """The keyid whose signature covers this request and its body; Unauthenticated if none."""
    fields = _Fields(headers)
    if not any(name.lower() == "signature-input" for name, _ in fields.lines):
        raise Unauthenticated(
            "this write needs an HTTP Message Signature (RFC 9421) by a key registered on "
            "the log: Signature-Input, Signature and Content-Digest headers",
            field="headers.signature",
        )
    verifier = HTTPMessageVerifier(
        signature_algorithm=algorithms.ED25519, key_resolver=_Keys(public=public_key)
    )
    try:
        [result] = verifier.verify(
            _Message(method.upper(), url, fields),
            max_age=MAX_AGE,
            expect_tag=TAG,
            require_components=COVERED,
            body=body,
        )
    except (HTTPMessageSignaturesException, ValueError) as exc:
        raise Unauthenticated(f"signature: {exc}", field="headers.signature") from exc
    params = result.parameters
    nonce = params.get("nonce")
    if not isinstance(nonce, str) or not nonce:
        raise Unauthenticated("signature: a nonce is required", field="headers.signature")
    if not nonces.first_use(nonce):
        raise Unauthenticated("signature: this request was already received (replay)")
    return str(params["keyid"])
