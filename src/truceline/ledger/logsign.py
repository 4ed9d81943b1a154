"""How the log signs checkpoints and formats proofs: thin glue over note, checkpoint, proof.

`LogSigner` is what `TileLog` needs: a name and `sign(body) -> signed note`.
`Ed25519NoteSigner(name, Ed25519PrivateKey)` is the usual one; `NoteSigner`
adapts any `truceline.ledger.note.Signer` (e.g. from `note.parse_skey`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from truceline.ledger import note, proof
from truceline.ledger.checkpoint import Checkpoint


class LogSigner(Protocol):
    name: str

    def sign(self, body: bytes) -> bytes:
        """The signed note: `body`, a blank line and this signer's signature line."""
        ...


class NoteSigner:
    """A `LogSigner` from a signed-note signer (any algorithm note.py supports)."""

    def __init__(self, signer: note.Signer) -> None:
        self.signer = signer
        self.name = signer.name

    @classmethod
    def from_skey(cls, skey: str) -> NoteSigner:
        return cls(note.parse_skey(skey.strip()))

    def sign(self, body: bytes) -> bytes:
        return note.sign(body.decode("utf-8"), [self.signer])

    def verifier(self) -> note.Verifier:
        return self.signer.verifier()


class Ed25519NoteSigner(NoteSigner):
    """A type 0x01 (Ed25519) signed-note signer from a `cryptography` private key."""

    def __init__(self, name: str, key: Ed25519PrivateKey) -> None:
        super().__init__(note.Ed25519Signer(name, key.private_bytes_raw()))


def checkpoint_body(origin: str, size: int, root: bytes) -> bytes:
    """A plain c2sp.org/tlog-checkpoint body (no extension lines)."""
    return Checkpoint(origin, size, root).encode()


def parse_checkpoint(signed: bytes) -> Checkpoint:
    """The body of a signed checkpoint note; signatures are NOT checked (see audit for that)."""
    return Checkpoint.parse(note.parse(signed).text)


def format_proof(
    index: int, hashes: Sequence[bytes], signed: bytes, extra: bytes | None = None
) -> bytes:
    return proof.make(index, hashes, signed, extra)
