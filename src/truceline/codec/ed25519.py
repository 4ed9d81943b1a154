"""Ed25519 for the hot paths (ingest verification, bulk signing), through libsodium.

libsodium (PyNaCl) signs and verifies about twice as fast as OpenSSL (`cryptography`)
on this machine, and ingest is bound by signature verification. `cryptography` stays the
library of record for keys (PEM, raw bytes), ML-DSA and everything else; this module only
moves the two hot calls.

Determinism: every party that replays the log must accept exactly the same signatures,
and `cryptography` (OpenSSL) is the reference. The two libraries differ on edge cases:
libsodium also refuses small-order public keys and R values and non-canonical public key
encodings, which OpenSSL accepts when the cofactorless equation holds. libsodium's accept
set is a subset of OpenSSL's (both check S < L and compare the encoding of
[S]B - [k]A with R; libsodium only adds refusals), so `verify` takes libsodium's yes as
final and asks OpenSSL again on a no. The decisions are then OpenSSL's exactly (the tests
run Wycheproof, RFC 8032 and small-order cases through both); a valid signature costs one
libsodium verification, an invalid one a libsodium and an OpenSSL verification.

Signing needs no such care: Ed25519 signatures are a function of the seed and the
message (RFC 8032), so both libraries write the same 64 bytes (tested).
"""

from __future__ import annotations

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from nacl.bindings import crypto_sign, crypto_sign_open, crypto_sign_seed_keypair
from nacl.exceptions import BadSignatureError

SIGNATURE_BYTES = 64
PUBLIC_KEY_BYTES = 32
_CACHE_LIMIT = 4096

# private key object -> libsodium's 64-byte secret key (seed || public key). Deriving it costs
# a scalar multiplication, so it is done once per key; the cache holds the key objects, so
# an id is never reused while its entry lives.
_secrets: dict[Ed25519PrivateKey, bytes] = {}


def secret_key(private_key: Ed25519PrivateKey) -> bytes:
    """libsodium's 64-byte form of a `cryptography` private key (cached per key object)."""
    found = _secrets.get(private_key)
    if found is None:
        seed = private_key.private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )
        found = secret_key_from_seed(seed)
        if len(_secrets) >= _CACHE_LIMIT:
            _secrets.clear()
        _secrets[private_key] = found
    return found


def secret_key_from_seed(seed: bytes) -> bytes:
    if len(seed) != 32:
        raise ValueError(f"seed: expected 32 bytes, found {len(seed)}")
    return crypto_sign_seed_keypair(seed)[1]


def sign_with(secret: bytes, message: bytes) -> bytes:
    """The 64-byte signature of `message` under libsodium secret key `secret` (64 bytes)."""
    return crypto_sign(message, secret)[:SIGNATURE_BYTES]


def sign(private_key: Ed25519PrivateKey, message: bytes) -> bytes:
    """Same bytes as `private_key.sign(message)`, about twice as fast."""
    return crypto_sign(message, secret_key(private_key))[:SIGNATURE_BYTES]


def verify(public_key: bytes, signature: bytes, message: bytes) -> bool:
    """Whether `signature` verifies under the raw 32-byte `public_key`: OpenSSL's decision."""
    if len(signature) != SIGNATURE_BYTES or len(public_key) != PUBLIC_KEY_BYTES:
        return False  # also keeps crypto_sign_open from reading message bytes as signature
    try:
        crypto_sign_open(signature + message, public_key)
        return True
    except BadSignatureError:
        return openssl_verify(public_key, signature, message)


def openssl_verify(public_key: bytes, signature: bytes, message: bytes) -> bool:
    """The reference decision (`cryptography`, OpenSSL)."""
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True


def sodium_verify(public_key: bytes, signature: bytes, message: bytes) -> bool:
    """libsodium's own decision, without the OpenSSL second opinion (for tests and audits)."""
    if len(signature) != SIGNATURE_BYTES or len(public_key) != PUBLIC_KEY_BYTES:
        return False
    try:
        crypto_sign_open(signature + message, public_key)
    except BadSignatureError:
        return False
    return True
