"""The POSIX driver: the log as a directory any static web server can serve as-is.

    <root>/checkpoint                      the latest signed checkpoint note
    <root>/tile/<L>/<N>[.p/<W>]            hash tiles
    <root>/tile/entries/<N>[.p/<W>]        entry bundles
    <root>/.state/treeState, log.json      the writer's private state
    <root>/.state/lock                     flock held while integrating

Objects are written to a temp file, fsynced, renamed into place and their
directory fsynced (`durable.DurableWriter`), the model of Tessera's POSIX driver.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path

from truceline.ledger import tiles
from truceline.ledger.durable import DurableWriter, file_lock, fsync_path, write_atomic
from truceline.ledger.storage.base import TileStorage

STATE_DIR = ".state"
LOCK = "lock"
_W = tiles.TILE_WIDTH


class PosixStorage(TileStorage):
    def __init__(self, root: Path | str) -> None:
        self.dir = Path(root)
        self.where = str(self.dir)
        self._state_dir = self.dir / STATE_DIR
        self._writer: DurableWriter | None = (
            None  # made on the first write: readers need no threads
        )

    @property
    def writer(self) -> DurableWriter:
        if self._writer is None:
            self._writer = DurableWriter(self.dir)
        return self._writer

    # --- public objects ------------------------------------------------------------

    def get(self, rel: str) -> bytes | None:
        try:
            return (self.dir / rel).read_bytes()
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            return None

    def partial_widths(self, full_rel: str) -> list[int]:
        pdir = self.dir / f"{full_rel}.p"
        if not pdir.is_dir():
            return []
        return sorted((int(p.name) for p in pdir.iterdir() if p.name.isdigit()), reverse=True)

    def write_all(self, files: Sequence[tuple[str, bytes]]) -> None:
        self.writer.write_all(files)

    def put(self, rel: str, data: bytes) -> None:
        write_atomic(self.dir / rel, data)

    def stamp(self, rel: str) -> object | None:
        try:
            st = os.stat(self.dir / rel)
        except FileNotFoundError:
            return None
        return (st.st_ino, st.st_mtime_ns, st.st_size)

    def drop_partials(self, full_rels: Sequence[str]) -> None:
        for full_rel in full_rels:
            pdir = self.dir / f"{full_rel}.p"
            if pdir.is_dir():
                with contextlib.suppress(OSError):
                    shutil.rmtree(pdir)
                self.writer.forget(pdir)

    def discard_beyond(self, size: int) -> None:
        """Per level, a batch renames its files in index order (`DurableWriter.write_all`),
        so what a dead batch left is: wider partials of the tail tile, then a run of
        full tiles from the tail index on, then possibly one partial after them."""
        levels = [-1]
        while (self.dir / "tile" / str(len(levels) - 1)).is_dir():
            levels.append(len(levels) - 1)
        for level in levels:
            count = size >> (tiles.TILE_HEIGHT * max(level, 0))
            tail, width = divmod(count, _W)

            def full(n: int, level: int = level) -> Path:
                return self.dir / (
                    tiles.entries_path(n) if level < 0 else tiles.tile_path(level, n)
                )

            pdir = full(tail).with_name(full(tail).name + ".p")
            if pdir.is_dir():
                for f in pdir.iterdir():
                    if not f.name.isdigit() or int(f.name) > width:
                        f.unlink()
            n = tail
            while True:
                later = full(n).with_name(full(n).name + ".p")
                has_later_partials = n > tail and later.is_dir()
                if not full(n).exists() and not has_later_partials:
                    break
                full(n).unlink(missing_ok=True)
                if has_later_partials:
                    shutil.rmtree(later)
                n += 1
            # Temp files of writes that never got renamed (the writes run in parallel, so
            # they may lie a little past the run above): they sit in these directories.
            for directory in {full(tail).parent, full(n).parent, full(n + 1000).parent}:
                if not directory.is_dir():
                    continue
                for tmp in directory.glob("*.tmp"):
                    tmp.unlink()
                for pd in directory.glob("*.p"):
                    rel = pd.with_name(pd.name[:-2]).relative_to(self.dir).as_posix()
                    try:
                        beyond = tiles.parse_tile_path(rel).index > tail
                    except tiles.TileError:
                        continue  # not ours: leave it alone
                    if beyond:
                        shutil.rmtree(pd)
        for tmp in [*self._state_dir.glob("*.tmp"), *self.dir.glob("*.tmp")]:
            tmp.unlink()

    # --- private state -----------------------------------------------------------------

    def get_state(self, name: str) -> bytes | None:
        try:
            return (self._state_dir / name).read_bytes()
        except FileNotFoundError:
            return None

    def put_state(self, name: str, data: bytes) -> None:
        write_atomic(self._state_dir / name, data)

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        with file_lock(self._state_dir / LOCK):
            yield

    # --- life cycle ------------------------------------------------------------------

    def is_empty(self) -> bool:
        return not self.dir.exists() or not any(self.dir.iterdir())

    def prepare(self) -> None:
        self._state_dir.mkdir(parents=True, exist_ok=True)
        for d in (self.dir, self.dir.parent):  # the new directories themselves must survive
            fsync_path(d)

    def forget_cached(self) -> None:
        if self._writer is not None:
            self._writer.forget_all()

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
