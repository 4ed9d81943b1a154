"""What the log needs from the signed-note, checkpoint and proof formats, in one place.

TODO(helper-1): delegate to truceline.ledger.{note,checkpoint,proof} once they land;
until then this is the minimum the log needs, written from the C2SP specs.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from truceline.ledger import merkle

_SIG_PREFIX = "\u2014 "  # em dash + space (signed-note)
PROOF_HEADER = "c2sp.org/tlog-proof@v1"


class LogSigner(Protocol):
    name: str

    def sign(self, body: bytes) -> bytes:
        """The signed note: `body`, a blank line and this signer's signature line."""
        ...


class Ed25519NoteSigner:
    """A signed-note Ed25519 (type 0x01) signer."""

    def __init__(self, name: str, key: Ed25519PrivateKey) -> None:
        self.name = name
        self._key = key
        pub = key.public_key().public_bytes_raw()
        self.key_id = hashlib.sha256(name.encode() + b"\n\x01" + pub).digest()[:4]

    def sign(self, body: bytes) -> bytes:
        sig = self._key.sign(body)
        line = f"{_SIG_PREFIX}{self.name} {base64.b64encode(self.key_id + sig).decode()}\n"
        return body + b"\n" + line.encode()


@dataclass(frozen=True)
class CheckpointBody:
    origin: str
    size: int
    root: bytes


def checkpoint_body(origin: str, size: int, root: bytes) -> bytes:
    return f"{origin}\n{size}\n{base64.b64encode(root).decode()}\n".encode()


class CheckpointFormatError(ValueError):
    pass


def parse_checkpoint(note: bytes) -> CheckpointBody:
    """Origin, size and root of a checkpoint note (signatures are not checked here)."""
    body, sep, _ = note.partition(b"\n\n")
    if not sep:
        raise CheckpointFormatError("checkpoint: no blank line before the signatures")
    lines = body.decode("utf-8").split("\n")
    if len(lines) < 3:
        raise CheckpointFormatError(f"checkpoint: {len(lines)} body lines, want at least 3")
    origin, size_s, root_s = lines[:3]
    if not size_s.isdigit() or (size_s != "0" and size_s.startswith("0")):
        raise CheckpointFormatError(f"checkpoint size {size_s!r}: not a decimal without leading zeros")
    root = base64.b64decode(root_s, validate=True)
    if len(root) != merkle.HASH_SIZE:
        raise CheckpointFormatError(f"checkpoint root: {len(root)} bytes, want {merkle.HASH_SIZE}")
    return CheckpointBody(origin, int(size_s), root)


def format_proof(index: int, proof: Sequence[bytes], note: bytes, extra: bytes | None = None) -> bytes:
    lines = [PROOF_HEADER]
    if extra is not None:
        lines.append("extra " + base64.b64encode(extra).decode())
    lines.append(f"index {index}")
    lines.extend(base64.b64encode(h).decode() for h in proof)
    return ("\n".join(lines) + "\n\n").encode() + note
