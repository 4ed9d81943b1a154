"""The c2sp.org/tlog-witness `add-checkpoint` request body, parsed and encoded.

    old <size>\n
    <base64 hash>\n        (0 to 63 consistency proof lines)
    \n
    <checkpoint note>

Parsing here is purely syntactic; whether the proof verifies and the note is
signed is the witness's business (`truceline.ledger.witness.core`).
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

from truceline.errors import TrucelineError

MAX_PROOF_LINES = 63
"""tlog-witness: "The client MUST NOT send more than 63 consistency proof lines"."""

MAX_BODY_BYTES = 1 << 16
"""A checkpoint note plus 63 proof lines is a few KiB; anything far larger is abuse."""

_OLD_LINE = re.compile(r"old (0|[1-9][0-9]*)")
_MAX_SIZE = (1 << 63) - 1


class MalformedRequest(TrucelineError, ValueError):
    """The body is not an add-checkpoint request (HTTP 400)."""


@dataclass(frozen=True)
class AddCheckpointRequest:
    old: int
    proof: tuple[bytes, ...]
    checkpoint: bytes
    """The checkpoint note exactly as sent, with all its signature lines."""

    @property
    def origin(self) -> str:
        """The checkpoint's first line, which names the log."""
        return self.checkpoint.split(b"\n", 1)[0].decode("utf-8", "replace")

    def encode(self) -> bytes:
        if len(self.proof) > MAX_PROOF_LINES:
            raise ValueError(f"proof: {len(self.proof)} lines, at most {MAX_PROOF_LINES} allowed")
        lines = [f"old {self.old}".encode()]
        lines += [base64.b64encode(h) for h in self.proof]
        return b"\n".join(lines) + b"\n\n" + self.checkpoint


def parse_request(body: bytes) -> AddCheckpointRequest:
    """Parse an add-checkpoint body; raise MalformedRequest naming the part at fault."""
    if len(body) > MAX_BODY_BYTES:
        raise MalformedRequest(f"body: {len(body)} bytes, at most {MAX_BODY_BYTES} allowed")
    head, sep, checkpoint = body.partition(b"\n\n")
    if not sep:
        raise MalformedRequest("body: no empty line between the proof and the checkpoint")
    try:
        lines = head.decode("ascii").split("\n")
    except UnicodeDecodeError as exc:
        raise MalformedRequest("header: old size and proof lines must be ASCII") from exc
    match = _OLD_LINE.fullmatch(lines[0])
    if match is None:
        raise MalformedRequest(
            f"old size line: want 'old <decimal without leading zeros>', got {lines[0][:40]!r}"
        )
    old = int(match.group(1))
    if old > _MAX_SIZE:
        raise MalformedRequest(f"old size line: {old} exceeds 2^63-1")
    proof_lines = lines[1:]
    if len(proof_lines) > MAX_PROOF_LINES:
        raise MalformedRequest(
            f"consistency proof: {len(proof_lines)} lines, at most {MAX_PROOF_LINES} allowed"
        )
    proof = tuple(_parse_hash(i, line) for i, line in enumerate(proof_lines))
    if not checkpoint or b"\n" not in checkpoint:
        raise MalformedRequest("checkpoint: missing or has no origin line")
    return AddCheckpointRequest(old=old, proof=proof, checkpoint=checkpoint)


def _parse_hash(i: int, line: str) -> bytes:
    try:
        h = base64.b64decode(line, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise MalformedRequest(f"consistency proof line {i + 1}: not base64") from exc
    if len(h) != 32:
        raise MalformedRequest(f"consistency proof line {i + 1}: {len(h)} bytes, want 32")
    return h
