"""c2sp.org/tlog-cosignature: witness cosignatures on checkpoints.

Two note signature types, each `timestamp (u64 big-endian) || signature`:

* 0x04 `cosignature/v1`, Ed25519 over
  `cosignature/v1\\ntime <ts>\\n<checkpoint body>`;
* 0x06 ML-DSA-44 over the binary `subtree/v1` `cosigned_message`
  (cosigner name, timestamp, origin, start = 0, end = size, root hash), which
  commits to the cosigner's name but not to checkpoint extension lines.

Both plug into `note.open` as Verifiers. Signers take an injectable clock for
the timestamp; `sign_at` takes it explicitly.
"""

from __future__ import annotations

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ed25519, mldsa

from truceline.clock import Clock, SystemClock, unix_seconds
from truceline.errors import TrucelineError
from truceline.ledger import note
from truceline.ledger.checkpoint import Checkpoint, CheckpointError

MAX_TIMESTAMP = 2**63 - 1
V1_HEADER = b"cosignature/v1\n"
SUBTREE_LABEL = b"subtree/v1\n\x00"
ED25519_SIG_SIZE = 64
MLDSA44_PUBLIC_KEY_SIZE = 1312
MLDSA44_SIG_SIZE = 2420


class CosignatureError(TrucelineError, ValueError):
    """A cosignature or its inputs are malformed."""


def _check_timestamp(ts: int) -> None:
    if not 0 <= ts <= MAX_TIMESTAMP:
        raise CosignatureError(f"timestamp {ts} not in 0..2^63-1")


def signed_message_v1(body: str | bytes, timestamp: int) -> bytes:
    """The exact bytes a cosignature/v1 signs: header, time line, checkpoint body."""
    _check_timestamp(timestamp)
    if isinstance(body, str):
        body = body.encode()
    return V1_HEADER + b"time %d\n" % timestamp + body


def subtree_message(
    cosigner_name: str, timestamp: int, origin: str, start: int, end: int, root_hash: bytes
) -> bytes:
    """The `cosigned_message` structure (TLS presentation language) an ML-DSA-44 cosigner signs."""
    _check_timestamp(timestamp)
    name, org = cosigner_name.encode(), origin.encode()
    for what, v in (("cosigner name", name), ("log origin", org)):
        if not 1 <= len(v) <= 255:
            raise CosignatureError(f"{what}: {len(v)} bytes, want 1..255")
    if start != 0 and timestamp != 0:
        raise CosignatureError("a subtree with start != 0 must have timestamp 0")
    if not 0 <= start <= end <= MAX_TIMESTAMP:
        raise CosignatureError(f"subtree [{start}, {end}) is not a valid range")
    if len(root_hash) != 32:
        raise CosignatureError(f"hash: want 32 bytes, got {len(root_hash)}")
    return (
        SUBTREE_LABEL
        + bytes([len(name)])
        + name
        + timestamp.to_bytes(8, "big")
        + bytes([len(org)])
        + org
        + start.to_bytes(8, "big")
        + end.to_bytes(8, "big")
        + root_hash
    )


def timestamp_of(sig: bytes) -> int:
    """The timestamp of a cosignature (the note signature bytes after the key ID)."""
    if len(sig) < 8:
        raise CosignatureError(f"cosignature of {len(sig)} bytes has no timestamp")
    return int.from_bytes(sig[:8], "big")


# --- Ed25519, type 0x04 ----------------------------------------------------


class CosignatureVerifier(note.Verifier):
    """Type 0x04 (cosignature/v1): Ed25519 over the timestamped message."""

    alg = note.ALG_COSIGNATURE_V1

    def __init__(self, name: str, public_key: bytes) -> None:
        if len(public_key) != 32:
            raise note.KeyFormatError(f"Ed25519 cosigner key: want 32 bytes, got {len(public_key)}")
        super().__init__(name, public_key)
        self._key = ed25519.Ed25519PublicKey.from_public_bytes(self.public_key)

    def verify(self, msg: bytes, sig: bytes) -> bool:
        if len(sig) != 8 + ED25519_SIG_SIZE:
            return False
        ts = timestamp_of(sig)
        if ts > MAX_TIMESTAMP:
            return False
        try:
            self._key.verify(sig[8:], signed_message_v1(msg, ts))
        except InvalidSignature:
            return False
        return True


class CosignatureSigner(note.Signer):
    """Type 0x04 signer. Ed25519 is deterministic: same key, body and time give the same bytes."""

    alg = note.ALG_COSIGNATURE_V1

    def __init__(self, name: str, seed: bytes, clock: Clock | None = None) -> None:
        super().__init__(name)
        if len(seed) != 32:
            raise note.KeyFormatError(f"Ed25519 private key: want a 32-byte seed, got {len(seed)}")
        self._seed = bytes(seed)
        self._key = ed25519.Ed25519PrivateKey.from_private_bytes(self._seed)
        self._verifier = CosignatureVerifier(name, self._key.public_key().public_bytes_raw())
        self.clock: Clock = clock or SystemClock()

    def sign(self, msg: bytes) -> bytes:
        return self.sign_at(msg, unix_seconds(self.clock))

    def sign_at(self, msg: bytes, timestamp: int) -> bytes:
        """`timestamp || Ed25519(cosignature/v1 message)` over the checkpoint body `msg`."""
        return timestamp.to_bytes(8, "big") + self._key.sign(signed_message_v1(msg, timestamp))

    def verifier(self) -> CosignatureVerifier:
        return self._verifier

    def private_key_bytes(self) -> bytes:
        return self._seed


def generate_cosigner(name: str) -> tuple[str, str]:
    """A fresh type-0x04 cosigner key pair as (skey, vkey)."""
    signer = CosignatureSigner(name, ed25519.Ed25519PrivateKey.generate().private_bytes_raw())
    return signer.skey, signer.verifier().vkey


# --- ML-DSA-44, type 0x06 --------------------------------------------------


class MLDSA44CosignatureVerifier(note.Verifier):
    """Type 0x06: ML-DSA-44 (FIPS 204, empty context) over the subtree/v1 message."""

    alg = note.ALG_MLDSA44_COSIGNATURE

    def __init__(self, name: str, public_key: bytes) -> None:
        if len(public_key) != MLDSA44_PUBLIC_KEY_SIZE:
            raise note.KeyFormatError(
                f"ML-DSA-44 public key: want {MLDSA44_PUBLIC_KEY_SIZE} bytes, got {len(public_key)}"
            )
        super().__init__(name, public_key)
        try:
            self._key = mldsa.MLDSA44PublicKey.from_public_bytes(self.public_key)
        except ValueError as e:
            raise note.KeyFormatError(f"ML-DSA-44 public key: {e}") from None

    def verify_message(
        self, message: bytes, signature: bytes, context: bytes | None = None
    ) -> bool:
        """The bare ML-DSA-44 check (the Wycheproof vectors drive this)."""
        try:
            self._key.verify(signature, message, context)
        except (InvalidSignature, ValueError):
            return False
        return True

    def verify(self, msg: bytes, sig: bytes) -> bool:
        if len(sig) != 8 + MLDSA44_SIG_SIZE:
            return False
        try:
            cp = Checkpoint.parse(msg)
            message = subtree_message(
                self.name, timestamp_of(sig), cp.origin, 0, cp.size, cp.root_hash
            )
        except (CheckpointError, CosignatureError):
            return False
        return self.verify_message(message, sig[8:])


class MLDSA44CosignatureSigner(note.Signer):
    """Type 0x06 signer, from the 32-byte FIPS 204 seed."""

    alg = note.ALG_MLDSA44_COSIGNATURE

    def __init__(self, name: str, seed: bytes, clock: Clock | None = None) -> None:
        super().__init__(name)
        if len(seed) != 32:
            raise note.KeyFormatError(
                f"ML-DSA-44 private key: want a 32-byte seed, got {len(seed)}"
            )
        self._seed = bytes(seed)
        self._key = mldsa.MLDSA44PrivateKey.from_seed_bytes(self._seed)
        self._verifier = MLDSA44CosignatureVerifier(name, self._key.public_key().public_bytes_raw())
        self.clock: Clock = clock or SystemClock()

    def sign(self, msg: bytes) -> bytes:
        return self.sign_at(msg, unix_seconds(self.clock))

    def sign_at(self, msg: bytes, timestamp: int) -> bytes:
        cp = Checkpoint.parse(msg)
        message = subtree_message(self.name, timestamp, cp.origin, 0, cp.size, cp.root_hash)
        return timestamp.to_bytes(8, "big") + self._key.sign(message)

    def verifier(self) -> MLDSA44CosignatureVerifier:
        return self._verifier

    def private_key_bytes(self) -> bytes:
        return self._seed


def generate_mldsa44_cosigner(name: str) -> tuple[str, str]:
    """A fresh type-0x06 cosigner key pair as (skey, vkey)."""
    import os

    signer = MLDSA44CosignatureSigner(name, os.urandom(32))
    return signer.skey, signer.verifier().vkey
