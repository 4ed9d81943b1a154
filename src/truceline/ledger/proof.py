"""c2sp.org/tlog-proof@v1: an offline-verifiable proof that an entry is in a log.

    c2sp.org/tlog-proof@v1
    [extra <base64>]
    index <n>
    <base64 hash>            (inclusion proof, leaf sibling first; zero or more)

    <signed checkpoint note, verbatim, with any cosignatures>

Verification needs the entry, and either the log's verifier key (the
checkpoint's origin must be the key name) or a tlog-policy, or both.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Sequence
from dataclasses import dataclass

from truceline.errors import TrucelineError
from truceline.ledger import merkle
from truceline.ledger import note as notes
from truceline.ledger.checkpoint import Checkpoint, open_checkpoint
from truceline.ledger.policy import Policy

HEADER = "c2sp.org/tlog-proof@v1"
MAX_PROOF_HASHES = 63
"""A tree of fewer than 2^63 leaves has inclusion paths of at most 63 hashes."""
_INDEX = re.compile(r"index (0|[1-9][0-9]*)")


class TlogProofError(TrucelineError, ValueError):
    """A tlog-proof is malformed or does not verify; the message says which part."""


def _b64(s: str, what: str) -> bytes:
    try:
        return notes.b64decode_canonical(s)
    except ValueError as exc:
        raise TlogProofError(f"{what}: {exc}") from None


@dataclass(frozen=True)
class TlogProof:
    index: int
    proof: tuple[bytes, ...]
    checkpoint: bytes
    """The signed checkpoint note, verbatim."""
    extra: bytes | None = None
    """Opaque, unauthenticated application data."""

    def format(self) -> bytes:
        lines = [HEADER]
        if self.extra is not None:
            lines.append("extra " + base64.b64encode(self.extra).decode())
        lines.append(f"index {self.index}")
        lines.extend(base64.b64encode(h).decode() for h in self.proof)
        return ("\n".join(lines) + "\n\n").encode() + self.checkpoint

    @classmethod
    def parse(cls, data: bytes) -> TlogProof:
        head, sep, checkpoint = data.partition(b"\n\n")
        if not sep:
            raise TlogProofError("no empty line before the checkpoint")
        if not checkpoint:
            raise TlogProofError("checkpoint: missing")
        try:
            lines = head.decode("ascii").split("\n")
        except UnicodeDecodeError:
            raise TlogProofError("header lines: not ASCII") from None
        if lines[0] != HEADER:
            raise TlogProofError(f"first line: want {HEADER!r}, got {lines[0][:40]!r}")
        rest = lines[1:]
        extra = None
        if rest and rest[0].startswith("extra "):
            extra = _b64(rest[0][len("extra ") :], "extra")
            rest = rest[1:]
        if not rest or not (m := _INDEX.fullmatch(rest[0])):
            got = rest[0][:40] if rest else "nothing"
            raise TlogProofError(
                f"index line: want 'index <n>' with no leading zeroes, got {got!r}"
            )
        hashes = tuple(_b64(h, f"proof hash {i}") for i, h in enumerate(rest[1:]))
        for i, h in enumerate(hashes):
            if len(h) != merkle.HASH_SIZE:
                raise TlogProofError(f"proof hash {i}: want {merkle.HASH_SIZE} bytes, got {len(h)}")
        if len(hashes) > MAX_PROOF_HASHES:
            raise TlogProofError(f"proof: {len(hashes)} hashes, at most {MAX_PROOF_HASHES}")
        return cls(int(m.group(1)), hashes, checkpoint, extra)


def _as_verifier(log: notes.Verifier | str) -> notes.Verifier:
    return notes.parse_vkey(log) if isinstance(log, str) else log


def verify_leaf_hash(
    data: bytes | TlogProof,
    leaf_hash: bytes,
    log: notes.Verifier | str | None = None,
    policy: Policy | None = None,
) -> tuple[Checkpoint, TlogProof]:
    """Check the checkpoint signature (log key and/or policy quorum) and the inclusion proof."""
    if log is None and policy is None:
        raise ValueError("verify needs a log verifier key, a policy, or both")
    p = data if isinstance(data, TlogProof) else TlogProof.parse(data)
    cp: Checkpoint | None = None
    if log is not None:
        v = _as_verifier(log)
        try:
            cp, _ = open_checkpoint(p.checkpoint, [v], origin=v.name)
        except (notes.NoteError, ValueError) as e:
            raise TlogProofError(f"checkpoint: {e}") from None
    if policy is not None:
        try:
            cp = policy.verify_checkpoint(p.checkpoint, origin=cp.origin if cp else None)
        except (notes.NoteError, ValueError) as e:
            raise TlogProofError(f"checkpoint: {e}") from None
    assert cp is not None
    try:
        merkle.verify_inclusion(p.index, cp.size, leaf_hash, p.proof, cp.root_hash)
    except merkle.ProofError as e:
        raise TlogProofError(f"inclusion proof of index {p.index} in size {cp.size}: {e}") from None
    return cp, p


def verify(
    data: bytes | TlogProof,
    entry: bytes,
    log: notes.Verifier | str | None = None,
    policy: Policy | None = None,
) -> Checkpoint:
    """Verify that `entry` is in the log per this proof; returns the checkpoint it is proven against."""
    return verify_leaf_hash(data, merkle.leaf_hash(entry), log, policy)[0]


def make(
    index: int, proof: Sequence[bytes], checkpoint: bytes, extra: bytes | None = None
) -> bytes:
    """Format a tlog-proof from its parts."""
    return TlogProof(index, tuple(proof), checkpoint, extra).format()
