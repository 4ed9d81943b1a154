"""Crash-safe file writes for the log directory: temp + fsync + rename + directory fsync.

A file at its final path is always complete: readers (and a static web
server) never see a torn tile. Many files are written per batch, so their
fsyncs run in a small thread pool (fsync releases the GIL and the disk
absorbs parallel flushes better than a queue of single ones).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

_TMP_SUFFIX = ".tmp"


def fsync_path(path: Path) -> None:
    """fsync a file or a directory (a directory fsync makes its new entries durable)."""
    _fsync_path(path)


def _fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class DurableWriter:
    """Writes groups of files so that, when `write_all` returns, all of them survive power loss."""

    def __init__(self, root: Path, threads: int = 8) -> None:
        self.root = root
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="tlog-fsync")
        self._known_dirs: set[Path] = set()

    def close(self) -> None:
        self._pool.shutdown(wait=True)

    def _mkdirs(self, directory: Path, new_dirs: set[Path]) -> None:
        """Create `directory` and remember every directory whose entry list changed."""
        if directory in self._known_dirs:
            return
        missing = []
        d = directory
        while not d.exists():
            missing.append(d)
            d = d.parent
        for m in reversed(missing):
            m.mkdir(exist_ok=True)
            new_dirs.add(m.parent)  # the parent gained an entry
        self._known_dirs.add(directory)

    def forget_all(self) -> None:
        """Another process may have removed directories (recovery): check them again."""
        self._known_dirs.clear()

    def forget(self, directory: Path) -> None:
        """`directory` was removed; create it again if a later write needs it."""
        self._known_dirs.discard(directory)

    def _write_temp(self, rel: str, data: bytes) -> None:
        final = self.root / rel
        tmp = final.with_name(final.name + _TMP_SUFFIX)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)

    def write_all(self, files: Iterable[tuple[str, bytes]]) -> None:
        """Write every (relative path, bytes) durably.

        Contents are written and fsynced in parallel, then renamed into place in list
        order: after a crash the files present at their final paths are a prefix of
        the list, which is what lets recovery find everything a dead batch left.
        """
        files = list(files)
        dirs: set[Path] = set()
        for rel, _ in files:
            directory = (self.root / rel).parent
            self._mkdirs(directory, dirs)
            dirs.add(directory)
        if len(files) == 1:
            self._write_temp(*files[0])
        else:
            for fut in [self._pool.submit(self._write_temp, rel, data) for rel, data in files]:
                fut.result()
        for rel, _ in files:
            final = self.root / rel
            os.replace(final.with_name(final.name + _TMP_SUFFIX), final)
        self.sync_dirs(dirs)

    def sync_dirs(self, dirs: Iterable[Path]) -> None:
        dirs = list(dirs)
        if len(dirs) == 1:
            _fsync_path(dirs[0])
        else:
            for fut in [self._pool.submit(_fsync_path, d) for d in dirs]:
                fut.result()


def write_synced(path: Path, data: bytes, flags: int, mode: int) -> None:
    """Open `path` with `flags` (plus O_WRONLY), write `data` and fsync it before closing."""
    fd = os.open(path, os.O_WRONLY | flags, mode)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Replace `path` with `data` atomically and durably (for the checkpoint and the tree state)."""
    tmp = path.with_name(path.name + _TMP_SUFFIX)
    write_synced(tmp, data, os.O_CREAT | os.O_TRUNC, mode)
    os.replace(tmp, path)
    _fsync_path(path.parent)


@contextlib.contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """An exclusive advisory flock on `path`: one integrating writer per log directory.

    The kernel drops the lock when the process dies, so kill -9 never leaves the log locked.
    """
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the flock
