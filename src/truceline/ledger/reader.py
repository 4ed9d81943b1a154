"""The reading side of a tile log, shared by the writer (`TileLog`) and `ReadOnlyLog`.

A reader knows a log's storage, its origin and its tiles; it answers from the
published checkpoint only: `size` is the size of the checkpoint it last
looked at (`refresh()` looks again), `checkpoint()` and `prove()` use the
checkpoint as it is now. Reading never creates or changes anything.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from truceline.ledger import tiles
from truceline.ledger.base import Ledger
from truceline.ledger.checkpoint import Checkpoint
from truceline.ledger.logsign import format_proof, parse_checkpoint
from truceline.ledger.storage.base import CHECKPOINT, TileStorage
from truceline.ledger.storage.posix import PosixStorage
from truceline.ledger.tilestore import TileStore

_W = tiles.TILE_WIDTH


class CheckpointFile:
    """The checkpoint object of `storage`, re-parsed only when it was replaced."""

    def __init__(self, storage: TileStorage) -> None:
        self.storage = storage
        self._cache: tuple[object | None, bytes, Checkpoint] | None = None

    def read(self) -> tuple[bytes, Checkpoint]:
        """(signed note, checkpoint); FileNotFoundError when the log has none."""
        stamp = self.storage.stamp(CHECKPOINT)
        cached = self._cache
        if cached is not None and stamp is not None and cached[0] == stamp:
            return cached[1], cached[2]
        signed = self.storage.get(CHECKPOINT)
        if signed is None:
            raise FileNotFoundError(f"{self.storage.where}: no checkpoint")
        if cached is not None and cached[1] == signed:
            return signed, cached[2]
        cp = self.parse(signed)
        self._cache = (stamp, signed, cp)
        return signed, cp

    def parse(self, signed: bytes) -> Checkpoint:
        """The checkpoint body; signatures are not checked here (subclasses may)."""
        return parse_checkpoint(signed)


class LogReader(Ledger):
    """Entries, checkpoint, proofs and roots of the tile log in `storage` (as published)."""

    def __init__(
        self,
        storage: TileStorage,
        origin: str,
        checkpoint: CheckpointFile,
        cache_tiles: int = 4096,
    ) -> None:
        self.storage = storage
        self.origin = origin
        self.tiles = TileStore(storage, cache_tiles)
        self._checkpoint = checkpoint
        self._published = 0

    @property
    def log_dir(self) -> Path:
        """The directory of a POSIX log (ValueError for a log in a database)."""
        if isinstance(self.storage, PosixStorage):
            return self.storage.dir
        raise ValueError(f"{self.storage.where}: not a directory log")

    @property
    def size(self) -> int:
        """Entries covered by the published checkpoint (as of opening or the last `refresh`)."""
        return self._published

    def refresh(self) -> int:
        """Re-read the published size (the writer, or a mirror run, may have moved it)."""
        self._published = max(self._published, self._checkpoint.read()[1].size)
        return self._published

    def read(self, start: int, stop: int) -> list[bytes]:
        size = self.size
        if not 0 <= start <= stop <= size:
            raise IndexError(f"read [{start}, {stop}): out of range for log size {size}")
        return [e for _, e in self._iter_entries(start, stop, size)]

    def _iter_entries(
        self, start: int, stop: int, size: int | None = None
    ) -> Iterable[tuple[int, bytes]]:
        """Entries [start, stop) read from the bundles of a tree of `size` (default `stop`).

        Bundle widths follow the tree size: a partial bundle of an older size may be gone.
        """
        size = stop if size is None else size
        for b in range(start // _W, (stop + _W - 1) // _W):
            bundle = self.tiles.bundle(b, size)
            first = b * _W
            # Only the entries asked for are visited (a follower asks for a few at the
            # end of a bundle of up to 256).
            for i in range(max(start - first, 0), min(stop - first, len(bundle))):
                yield first + i, bundle[i]

    def close(self) -> None:
        self.storage.close()

    def checkpoint(self) -> bytes:
        return self._checkpoint.read()[0]

    def prove(self, index: int) -> bytes:
        note, cp = self._checkpoint.read()
        if not 0 <= index < cp.size:
            raise IndexError(f"index {index}: out of range for checkpoint size {cp.size}")
        return format_proof(index, self.tiles.inclusion_proof(index, cp.size), note)

    def _proof_limit(self) -> int:
        """The largest size whose tiles are durable (the writer may be ahead of its checkpoint)."""
        return self._published

    def consistency_proof(self, old_size: int, new_size: int) -> list[bytes]:
        """RFC 9162 consistency proof between two sizes of this log, from the tiles."""
        limit = self._proof_limit()
        if not 0 <= old_size <= new_size <= limit:
            raise ValueError(
                f"consistency proof {old_size} -> {new_size}: sizes must satisfy 0 <= old <= new <= {limit}"
            )
        return self.tiles.consistency_proof(old_size, new_size)

    def root(self, size: int) -> bytes:
        """The Merkle root of the first `size` entries, from the tiles."""
        if not 0 <= size <= self._proof_limit():
            raise ValueError(f"size {size} out of range")
        return self.tiles.root(size)
