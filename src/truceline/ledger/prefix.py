"""A read-only view of a log's first `size` entries: what a record computed from a log
prefix is recomputed from, whatever was appended since."""

from __future__ import annotations

from collections.abc import Sequence

from truceline.ledger.base import Ledger


class LogPrefix(Ledger):
    def __init__(self, inner: Ledger, size: int) -> None:
        if not 0 <= size <= inner.size:
            raise ValueError(f"log prefix {size}: the log holds {inner.size} entries")
        self.inner = inner
        self.origin = inner.origin
        self._size = size

    @property
    def size(self) -> int:
        return self._size

    def append(self, entries: Sequence[bytes]) -> list[int]:
        raise PermissionError("a log prefix is read-only")

    def read(self, start: int, stop: int) -> list[bytes]:
        if not 0 <= start <= stop <= self._size:
            raise IndexError(f"read [{start}, {stop}): out of range for log size {self._size}")
        return self.inner.read(start, stop)

    def checkpoint(self) -> bytes:
        return self.inner.checkpoint()

    def prove(self, index: int) -> bytes:
        return self.inner.prove(index)

    def root(self, size: int) -> bytes:
        return self.inner.root(size)  # type: ignore[attr-defined]

    def close(self) -> None:
        self.inner.close()
