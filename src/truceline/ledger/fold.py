"""State folded from ledger entries in log order: the shared catch-up loop.

The registry and the agreement history are both rebuilt by replaying the log;
they differ only in how one entry is applied, so the scanning lives here.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable

from truceline.ledger.base import Ledger


class LedgerFold(ABC):
    """Mixin for a dataclass with a `size` field (ledger entries seen so far)."""

    size: int

    @abstractmethod
    def apply(self, index: int, entry: bytes) -> bool:
        """Fold one ledger entry; True if it changed the state."""

    def catch_up(self, ledger: Ledger) -> int:
        """Apply the entries appended since the last call; returns how many applied."""
        applied = 0
        for index, entry in ledger.scan(self.size):
            applied += self.apply(index, entry)
        self.size = max(self.size, ledger.size)
        return applied

    def apply_all(self, entries: Iterable[tuple[int, bytes]]) -> None:
        for index, entry in entries:
            self.apply(index, entry)
