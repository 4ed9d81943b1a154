"""DSSE v1.0.2 (Dead Simple Signing Envelope) with Ed25519 signatures.

The signature covers PAE(payloadType, payload), never the JSON around it,
so the envelope's own encoding may vary; Truceline still writes it in one
canonical form (RFC 8785, standard base64) so that the ledger entry bytes of
a record are unique and hash-addressable. Readers accept either base64
alphabet, as the spec requires, and ignore unknown fields.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pydantic_core import from_json

from truceline.codec import ed25519
from truceline.codec.errors import CodecError, SignatureError
from truceline.codec.jcs import canonicalize
from truceline.codec.jsonlimits import check_depth

_B64_STD = re.compile(rb"^[A-Za-z0-9+/]*={0,2}$")
_B64_URL = re.compile(rb"^[A-Za-z0-9_-]*={0,2}$")
_PLAIN = re.compile(r"[\x20\x21\x23-\x5b\x5d-\x7e]*")  # printable ASCII but '"' and '\\'
# The canonical bytes `Envelope.to_json` writes for one signature whose strings are _PLAIN.
_CANONICAL_ONE = re.compile(
    rb'\{"payload":"([A-Za-z0-9+/]*={0,2})","payloadType":"([\x20\x21\x23-\x5b\x5d-\x7e]*)",'
    rb'"signatures":\[\{"keyid":"([\x20\x21\x23-\x5b\x5d-\x7e]*)","sig":"([A-Za-z0-9+/]*={0,2})"\}\]\}'
)


def pae(payload_type: str, payload: bytes) -> bytes:
    """Pre-Authentication Encoding: `DSSEv1 SP LEN(type) SP type SP LEN(body) SP body`.

    LEN counts UTF-8 bytes (not characters) in ASCII decimal.
    """
    type_bytes = payload_type.encode("utf-8")
    return b"DSSEv1 %d %b %d %b" % (len(type_bytes), type_bytes, len(payload), payload)


def b64decode(text: str, field_name: str) -> bytes:
    """Standard or URL-safe base64, padded or not (DSSE: verifiers MUST accept either)."""
    if not isinstance(text, str):
        raise CodecError(
            "bad_envelope", field_name, f"expected a base64 string, found {type(text).__name__}"
        )
    raw = text.encode("ascii", "replace")
    alphabet_ok = _B64_STD.match(raw) or _B64_URL.match(raw)
    if not alphabet_ok:
        raise CodecError("bad_base64", field_name, "expected base64 (standard or URL-safe)")
    raw = raw.rstrip(b"=")
    raw += b"=" * (-len(raw) % 4)
    try:
        if b"-" in raw or b"_" in raw:
            return base64.urlsafe_b64decode(raw)
        return base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise CodecError("bad_base64", field_name, f"invalid base64: {exc}") from exc


def b64encode(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


class Signature(NamedTuple):
    """One signature: attribute access or `keyid, sig = signature`."""

    keyid: str
    sig: bytes


@dataclass(frozen=True)
class Envelope:
    payload_type: str
    payload: bytes
    signatures: tuple[Signature, ...] = field(default_factory=tuple)

    def to_json_obj(self) -> dict[str, Any]:
        return {
            "payload": b64encode(self.payload),
            "payloadType": self.payload_type,
            "signatures": [{"keyid": s.keyid, "sig": b64encode(s.sig)} for s in self.signatures],
        }

    def to_json(self) -> bytes:
        """Canonical envelope bytes (RFC 8785, standard base64): the ledger entry form."""
        strings = [self.payload_type, *(s.keyid for s in self.signatures)]
        if all(_PLAIN.fullmatch(x) for x in strings):
            # Every string is printable ASCII without quote or backslash and the keys are
            # already in RFC 8785 order, so this template is the canonical form byte for byte
            # (tests compare it with canonicalize); ingest writes one per accepted envelope.
            sigs = ",".join(
                f'{{"keyid":"{s.keyid}","sig":"{b64encode(s.sig)}"}}' for s in self.signatures
            )
            text = (
                f'{{"payload":"{b64encode(self.payload)}",'
                f'"payloadType":"{self.payload_type}","signatures":[{sigs}]}}'
            )
            return text.encode("ascii")
        return canonicalize(self.to_json_obj())

    @classmethod
    def from_json(cls, data: bytes | str) -> Envelope:
        """Parse an envelope; CodecError names the field that is missing or malformed."""
        try:
            check_depth(data)
            # pydantic-core's parser: strict JSON (no NaN), several times faster than json.loads,
            # which matters because ingest parses every envelope it receives
            obj = from_json(data, allow_inf_nan=False)
        except ValueError as exc:
            raise CodecError("bad_json", "$", f"not JSON: {exc}") from exc
        return cls.from_json_obj(obj)

    @classmethod
    def from_canonical_json(cls, data: bytes) -> Envelope | None:
        """The envelope if `data` is exactly the `to_json()` bytes of a one-signature envelope.

        None otherwise (then `from_json` decides, and names any fault). Ingest receives
        envelopes in this form almost always (every Truceline signer writes it), and this
        skips the JSON parser and allows the bytes themselves to be the ledger entry.
        """
        match = _CANONICAL_ONE.fullmatch(data)
        if match is None:
            return None
        payload64, payload_type, keyid, sig64 = match.groups()
        try:
            payload = binascii.a2b_base64(payload64, strict_mode=True)
            sig = binascii.a2b_base64(sig64, strict_mode=True)
        except binascii.Error:
            return None
        # strict decoding still accepts non-zero padding bits ('QR==' is b'A'): the
        # re-encoding must give the same text for the bytes to be canonical
        if (
            binascii.b2a_base64(payload, newline=False) != payload64
            or binascii.b2a_base64(sig, newline=False) != sig64
        ):
            return None
        return cls(payload_type.decode("ascii"), payload, (Signature(keyid.decode("ascii"), sig),))

    @classmethod
    def from_json_obj(cls, obj: Any) -> Envelope:
        if not isinstance(obj, dict):
            raise CodecError(
                "bad_envelope", "$", f"expected a JSON object, found {type(obj).__name__}"
            )
        for name in ("payload", "payloadType", "signatures"):
            if name not in obj:
                raise CodecError("bad_envelope", name, "required field is missing")
        payload_type = obj["payloadType"]
        if not isinstance(payload_type, str):
            raise CodecError(
                "bad_envelope",
                "payloadType",
                f"expected a string, found {type(payload_type).__name__}",
            )
        payload = b64decode(obj["payload"], "payload")
        raw_sigs = obj["signatures"]
        if not isinstance(raw_sigs, list):
            raise CodecError(
                "bad_envelope", "signatures", f"expected an array, found {type(raw_sigs).__name__}"
            )
        sigs = []
        for i, item in enumerate(raw_sigs):
            where = f"signatures[{i}]"
            if not isinstance(item, dict):
                raise CodecError(
                    "bad_envelope", where, f"expected an object, found {type(item).__name__}"
                )
            if "sig" not in item:
                raise CodecError("bad_envelope", f"{where}.sig", "required field is missing")
            keyid = item.get("keyid", "")  # unset MUST be treated as set-but-empty
            if not isinstance(keyid, str):
                raise CodecError(
                    "bad_envelope",
                    f"{where}.keyid",
                    f"expected a string, found {type(keyid).__name__}",
                )
            sigs.append(Signature(keyid, b64decode(item["sig"], f"{where}.sig")))
        return cls(payload_type, payload, tuple(sigs))

    def with_signature(self, private_key: Ed25519PrivateKey, keyid: str) -> Envelope:
        """This envelope with one more signature (multi-party signing)."""
        sig = ed25519.sign(private_key, pae(self.payload_type, self.payload))
        return Envelope(self.payload_type, self.payload, (*self.signatures, Signature(keyid, sig)))


def sign(payload_type: str, payload: bytes, private_key: Ed25519PrivateKey, keyid: str) -> Envelope:
    return Envelope(payload_type, payload).with_signature(private_key, keyid)


def verify(
    envelope: Envelope, keys: Mapping[str, Ed25519PublicKey], threshold: int = 1
) -> list[str]:
    """The keyids whose signatures verify; SignatureError if fewer than `threshold` distinct keys.

    Failing signatures are skipped, not fatal ((t, n) multi-signature rule);
    a signature with an unknown keyid is tried against no key.
    """
    message = pae(envelope.payload_type, envelope.payload)
    verified: list[str] = []
    problems: list[str] = []
    for i, s in enumerate(envelope.signatures):
        key = keys.get(s.keyid)
        if key is None:
            problems.append(f"signatures[{i}]: keyid {s.keyid!r} is not a trusted key")
            continue
        if s.keyid in verified:
            continue  # one key counts once
        if not ed25519.verify(raw_key(key), s.sig, message):
            problems.append(f"signatures[{i}]: signature does not verify under keyid {s.keyid!r}")
            continue
        verified.append(s.keyid)
    if len(verified) < threshold:
        if not envelope.signatures:
            problems.append("no signatures")
        code = (
            "unknown_key"
            if problems and all("not a trusted" in p for p in problems)
            else "bad_signature"
        )
        raise SignatureError(code, "signatures", "; ".join(problems))
    return verified


# id(key) -> (key, raw bytes). Public key objects are not hashable; holding the object keeps
# its id from being reused while the entry lives.
_raw_keys: dict[int, tuple[Ed25519PublicKey, bytes]] = {}


def raw_key(key: Ed25519PublicKey) -> bytes:
    """The raw 32 bytes of a key object, cached: verification takes raw keys (libsodium)."""
    hit = _raw_keys.get(id(key))
    if hit is not None and hit[0] is key:
        return hit[1]
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    if len(_raw_keys) >= 4096:
        _raw_keys.clear()
    _raw_keys[id(key)] = (key, raw)
    return raw
