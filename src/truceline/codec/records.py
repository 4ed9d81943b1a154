"""Sealed records: every ledger entry in Truceline is one.

seal: JSON value → RFC 8785 payload → DSSE envelope signed with Ed25519 →
canonical envelope JSON. The entry bytes are therefore a function of the
record and the key alone (Ed25519 is deterministic), so sealing the same
record twice gives the same entry, which the ledger deduplicates.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from truceline.codec import dsse
from truceline.codec.errors import CodecError
from truceline.codec.jcs import canonicalize, loads


def seal(payload_type: str, obj: Any, private_key: Ed25519PrivateKey, keyid: str) -> bytes:
    """The ledger entry bytes of `obj` signed by `private_key`."""
    return dsse.sign(payload_type, canonicalize(obj), private_key, keyid).to_json()


def seal_multi(
    payload_type: str, obj: Any, signers: Sequence[tuple[Ed25519PrivateKey, str]]
) -> bytes:
    """One envelope signed by several keys, in the given order (e.g. parties to an agreement)."""
    envelope = dsse.Envelope(payload_type, canonicalize(obj))
    for private_key, keyid in signers:
        envelope = envelope.with_signature(private_key, keyid)
    return envelope.to_json()


def open_record(entry: bytes) -> tuple[str, Any, dsse.Envelope]:
    """Parse a ledger entry: (payload type, payload JSON value, envelope). Does not verify."""
    envelope = dsse.Envelope.from_json(entry)
    try:
        obj = loads(envelope.payload)
    except (ValueError, RecursionError) as exc:
        raise CodecError("bad_payload_json", "payload", f"payload is not JSON: {exc}") from exc
    return envelope.payload_type, obj, envelope


def entry_sha256(entry: bytes) -> str:
    """How records cite each other (e.g. an incident citing its agreement version)."""
    return hashlib.sha256(entry).hexdigest()
