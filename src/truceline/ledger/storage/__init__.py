"""Tile storage drivers behind one interface (`base.TileStorage`); `open_storage` picks one."""

from __future__ import annotations

from pathlib import Path

from truceline.ledger.storage.base import StorageError, TileStorage


def open_storage(spec: str | Path) -> TileStorage:
    """A driver for `spec`: a `postgresql…://` URL, or a directory (POSIX)."""
    text = str(spec)
    if text.startswith("postgresql"):
        from truceline.ledger.storage.postgres import PostgresStorage

        return PostgresStorage(text)
    if "://" in text:
        raise StorageError(
            f"tile storage {text!r}: unknown scheme (use a directory or a postgresql+psycopg:// URL)",
            field="log.storage",
        )
    from truceline.ledger.storage.posix import PosixStorage

    return PosixStorage(Path(text))


def as_storage(where: TileStorage | Path | str) -> TileStorage:
    """`where` itself, or the driver `open_storage` picks for it."""
    return where if isinstance(where, TileStorage) else open_storage(where)


__all__ = ["StorageError", "TileStorage", "as_storage", "open_storage"]
