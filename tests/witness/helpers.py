"""A small real log for witness tests: RFC 6962 tree over in-memory leaves, Ed25519-signed."""

from __future__ import annotations

import hashlib

from truceline.ledger import merkle
from truceline.ledger.checkpoint import Checkpoint
from truceline.ledger.cosignature import CosignatureSigner
from truceline.ledger.note import Ed25519Signer, sign
from truceline.ledger.witness.request import AddCheckpointRequest


def seed(label: str) -> bytes:
    return hashlib.sha256(label.encode()).digest()


class TestLog:
    """A log whose history can be forked on purpose (to make a witness see equivocation)."""

    __test__ = False

    def __init__(self, origin: str = "example.org/log", fork: str = "") -> None:
        self.origin = origin
        self.signer = Ed25519Signer(origin, seed("log key " + origin))
        self.fork = fork
        self.leaves: list[bytes] = []

    @property
    def vkey(self) -> str:
        return self.signer.verifier().vkey

    def grow(self, n: int) -> int:
        start = len(self.leaves)
        self.leaves += [
            merkle.leaf_hash(f"{self.fork}entry {i}".encode()) for i in range(start, start + n)
        ]
        return len(self.leaves)

    def root(self, size: int | None = None) -> bytes:
        return merkle.root(self.leaves[: len(self.leaves) if size is None else size])

    def checkpoint(self, size: int | None = None, signer: Ed25519Signer | None = None) -> bytes:
        size = len(self.leaves) if size is None else size
        body = Checkpoint(self.origin, size, self.root(size)).body()
        return sign(body, [signer or self.signer])

    def proof(self, old: int, new: int) -> list[bytes]:
        return merkle.consistency_proof(old, new, self.leaves)

    def request(self, old: int, size: int | None = None, proof: list[bytes] | None = None) -> bytes:
        size = len(self.leaves) if size is None else size
        if proof is None:
            proof = self.proof(old, size)
        return AddCheckpointRequest(old, tuple(proof), self.checkpoint(size)).encode()


def cosigner(name: str) -> CosignatureSigner:
    return CosignatureSigner(name, seed("witness key " + name))
