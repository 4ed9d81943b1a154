"""Ed25519 keys: the key id convention, and loading and saving key files.

Key id: the first 16 hex digits of SHA-256 over the raw 32-byte public key.
It is stable (a function of the key alone), short enough for logs, and at
64 bits collision-free for any realistic number of sensors.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from truceline.errors import TrucelineError


class KeyFileError(TrucelineError, ValueError):
    """A key file or key string that cannot be read; the message says which and why."""

    hint = "check the key file's path and permissions; keys are made by `truceline init` or `agreement keygen`"


def generate() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def raw_public(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(public_key: Ed25519PublicKey) -> str:
    return hashlib.sha256(raw_public(public_key)).hexdigest()[:16]


def public_key_b64(public_key: Ed25519PublicKey) -> str:
    return base64.b64encode(raw_public(public_key)).decode("ascii")


def public_key_from_b64(text: str) -> Ed25519PublicKey:
    """Raw 32-byte Ed25519 public key in standard base64."""
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError, TypeError) as exc:
        raise KeyFileError(f"public key: expected base64, found {text!r:.60}") from exc
    if len(raw) != 32:
        raise KeyFileError(f"public key: expected 32 bytes (Ed25519), found {len(raw)}")
    return Ed25519PublicKey.from_public_bytes(raw)


def private_key_pem(private_key: Ed25519PrivateKey) -> bytes:
    return private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def private_key_b64(private_key: Ed25519PrivateKey) -> str:
    raw = private_key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    return base64.b64encode(raw).decode("ascii")


def parse_private_key(data: bytes, source: str = "key") -> Ed25519PrivateKey:
    """A PKCS#8 PEM, or the raw 32-byte seed in base64."""
    text = data.strip()
    if text.startswith(b"-----BEGIN"):
        try:
            key = serialization.load_pem_private_key(text, password=None)
        except (ValueError, TypeError) as exc:
            raise KeyFileError(
                f"{source}: not a readable unencrypted PEM private key: {exc}"
            ) from exc
        if not isinstance(key, Ed25519PrivateKey):
            raise KeyFileError(f"{source}: expected an Ed25519 key, found {type(key).__name__}")
        return key
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise KeyFileError(f"{source}: expected a PEM or a base64 Ed25519 seed") from exc
    if len(raw) != 32:
        raise KeyFileError(f"{source}: expected a 32-byte Ed25519 seed, found {len(raw)} bytes")
    return Ed25519PrivateKey.from_private_bytes(raw)


def load_private_key(path: Path | str) -> Ed25519PrivateKey:
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise KeyFileError(f"{path}: cannot read key file: {exc.strerror}") from exc
    return parse_private_key(data, str(path))


def save_private_key(path: Path | str, private_key: Ed25519PrivateKey) -> Path:
    """Write a PKCS#8 PEM readable by the owner only (created 0600, never world-readable)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(private_key_pem(private_key))
        fh.flush()
        os.fsync(fh.fileno())
    os.chmod(path, 0o600)
    return path
