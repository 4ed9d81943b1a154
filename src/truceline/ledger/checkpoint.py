"""c2sp.org/tlog-checkpoint: the note text a log signs for a tree head.

<origin>\\n<size>\\n<base64 root hash>\\n[<extension line>\\n ...]
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable
from dataclasses import dataclass

from truceline.errors import TrucelineError
from truceline.ledger import note as notes
from truceline.ledger.merkle import HASH_SIZE

MAX_SIZE = 2**63 - 1
_SIZE = re.compile(r"0|[1-9][0-9]*")


class CheckpointError(TrucelineError, ValueError):
    """A checkpoint body is malformed; the message names the line and the reason."""


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.origin:
            raise CheckpointError("origin: must not be empty")
        if any(c < " " for c in self.origin):
            raise CheckpointError("origin: contains a control character or newline")
        if not 0 <= self.size <= MAX_SIZE:
            raise CheckpointError(f"size: {self.size} not in 0..2^63-1")
        if len(self.root_hash) != HASH_SIZE:
            raise CheckpointError(f"root hash: want {HASH_SIZE} bytes, got {len(self.root_hash)}")
        for i, ext in enumerate(self.extensions):
            if not ext or any(c < " " for c in ext):
                raise CheckpointError(
                    f"extension line {i + 1}: must be non-empty, without control characters"
                )

    def body(self) -> str:
        """The note text: origin, size, base64 root, extension lines, each ending in a newline."""
        lines = [
            self.origin,
            str(self.size),
            base64.b64encode(self.root_hash).decode(),
            *self.extensions,
        ]
        return "".join(line + "\n" for line in lines)

    def encode(self) -> bytes:
        return self.body().encode()

    @classmethod
    def parse(cls, text: str | bytes) -> Checkpoint:
        """Parse a checkpoint body (the note text, not the signed note)."""
        if isinstance(text, bytes):
            try:
                text = text.decode("utf-8")
            except UnicodeDecodeError as e:
                raise CheckpointError(f"not valid UTF-8 at byte {e.start}") from None
        if not text.endswith("\n"):
            raise CheckpointError("body must end in a newline")
        lines = text[:-1].split("\n")
        if len(lines) < 3:
            raise CheckpointError(
                f"want at least 3 lines (origin, size, root hash), got {len(lines)}"
            )
        origin, size_s, root_s, *ext = lines
        if not _SIZE.fullmatch(size_s):
            raise CheckpointError(f"size: {size_s!r} is not a decimal without leading zeroes")
        try:
            root = notes.b64decode_canonical(root_s)
        except ValueError as exc:
            raise CheckpointError(f"root hash: {root_s!r} is {exc}") from None
        return cls(origin, int(size_s), root, tuple(ext))


def open_checkpoint(
    signed: bytes, verifiers: notes.Verifiers | Iterable[notes.Verifier], origin: str | None = None
) -> tuple[Checkpoint, notes.Note]:
    """Open a signed checkpoint note and parse its body.

    `origin`, if given, must equal the checkpoint's origin line; the caller's
    verifiers decide whose signatures count (see note.open).
    """
    n = notes.open(signed, verifiers)
    cp = Checkpoint.parse(n.text)
    if origin is not None and cp.origin != origin:
        raise CheckpointError(f"origin: got {cp.origin!r}, want {origin!r}")
    return cp, n
