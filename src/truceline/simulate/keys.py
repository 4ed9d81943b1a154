"""Keys derived from the seed, so the same seed signs the same bytes (Ed25519 is deterministic).

These are simulation keys: anyone who knows the seed can forge with them,
which is the point (tests forge and lie with them). Never use them for a
real mission.
"""

from __future__ import annotations

import hashlib

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey


def derive(seed: int, name: str) -> Ed25519PrivateKey:
    material = hashlib.sha256(f"truceline-simulate\x00{seed}\x00{name}".encode()).digest()
    return Ed25519PrivateKey.from_private_bytes(material)
