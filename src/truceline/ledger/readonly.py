"""`ReadOnlyLog`: a tile log opened from public data alone (the log's vkey and its files).

A home that holds no `log.key` (a mirror made by `truceline mirror`, or a copy
of an operator's public files) is read through this class. It answers every
reading call exactly as the operator's `TileLog` does, from the same files:
`size`, `read`, `scan`, `checkpoint`, `prove`, `consistency_proof`, `root`,
`refresh`. Unlike the writer it checks the checkpoint's log signature (with the
vkey) each time it reads a new checkpoint, since nothing else vouches for the
files. It never opens the metadata store, takes no lock and creates no file;
`append` raises `ReadOnlyLogError`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from truceline.ledger import note
from truceline.ledger.checkpoint import Checkpoint, open_checkpoint
from truceline.ledger.reader import CheckpointFile, LogReader
from truceline.ledger.storage import as_storage
from truceline.ledger.storage.base import CHECKPOINT, TileStorage
from truceline.ledger.tilelog import LogError


class ReadOnlyLogError(LogError):
    """An append (or another write) was asked of a log opened from public data only."""


class VerifiedCheckpointFile(CheckpointFile):
    """A checkpoint whose every new version must carry a valid signature of `verifier`."""

    def __init__(self, storage: TileStorage, verifier: note.Verifier) -> None:
        super().__init__(storage)
        self.verifier = verifier

    def parse(self, signed: bytes) -> Checkpoint:
        try:
            cp, _ = open_checkpoint(signed, [self.verifier], origin=self.verifier.name)
        except (note.NoteError, ValueError) as exc:
            raise LogError(
                f"{self.storage.where}/{CHECKPOINT}: does not verify under {self.verifier.name}: {exc}"
            ) from exc
        return cp


class ReadOnlyLog(LogReader):
    """The log in `storage` (a directory means POSIX), read with the log's verifier key and
    nothing private."""

    def __init__(
        self, storage: TileStorage | Path | str, verifier: note.Verifier, cache_tiles: int = 4096
    ):
        storage = as_storage(storage)
        cp_file = VerifiedCheckpointFile(storage, verifier)
        super().__init__(storage, verifier.name, cp_file, cache_tiles)
        try:
            self.refresh()
        except FileNotFoundError as exc:
            raise LogError(f"{storage.where}: no log here (no {CHECKPOINT})") from exc

    def append(self, entries: Sequence[bytes]) -> list[int]:
        raise ReadOnlyLogError(
            f"{self.storage.where}: read-only log (opened from public data, without the log key): "
            "only the log operator's home can append"
        )
