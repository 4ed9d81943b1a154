"""The ledger contract every other package relies on.

Every record in Truceline (observation, sensor event, agreement version,
incident transition, vote, penalty step) is one entry: the canonical bytes of
a DSSE envelope. The ledger is append-only and tamper-evident; an index, once
returned, names those bytes forever.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence


class Ledger(ABC):
    """What every reader relies on: origin, size (as published), refresh, entries in log
    order, the checkpoint and proofs; writers also append."""

    origin: str = "ledger"  # the checkpoint origin line

    @abstractmethod
    def append(self, entries: Sequence[bytes]) -> list[int]:
        """Sequence `entries` and return their indices once they are durable.

        Appending bytes already in the log returns the first index and adds nothing.
        """

    @property
    @abstractmethod
    def size(self) -> int:
        """The number of durable entries."""

    @abstractmethod
    def read(self, start: int, stop: int) -> list[bytes]:
        """Entries [start, stop)."""

    def refresh(self) -> int:
        """Look again for entries another writer published; the size now."""
        return self.size

    def entry(self, index: int) -> bytes:
        """One entry (IndexError if there is none)."""
        if not 0 <= index < self.size:
            raise IndexError(f"index {index}: no such entry (log size {self.size})")
        return self.read(index, index + 1)[0]

    def scan(self, start: int = 0, batch: int = 4096) -> Iterator[tuple[int, bytes]]:
        """Every entry from `start` on, with its index, in log order."""
        end = self.size
        for lo in range(start, end, batch):
            for offset, entry in enumerate(self.read(lo, min(lo + batch, end))):
                yield lo + offset, entry

    @abstractmethod
    def checkpoint(self) -> bytes:
        """The latest published checkpoint: a signed note, with any cosignatures."""

    @abstractmethod
    def prove(self, index: int) -> bytes:
        """A c2sp.org/tlog-proof@v1 proof of entry `index` against the latest checkpoint."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release files and threads."""
