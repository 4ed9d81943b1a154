"""The dedup index: SHA-256 of an entry → its first index, in the metadata store.

The tiles are the source of truth; this index is a cache of them. It is
written after the tree state (so it never names an index past durable data)
and `indexed_size` records how far it covers: after a crash between the two,
the log re-reads the missing tail of entry bundles and catches up.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

import sqlalchemy as sa
from sqlalchemy import BigInteger, Engine, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from truceline.store.base import Base

# SQLite allows 32766 bound variables per statement; stay well below on every backend.
_LOOKUP_CHUNK = 900


_HASHES = "ledger_entry_hash"


class LedgerDedupState(Base):
    """One row per log: its small numeric id and how far the index covers it."""

    __tablename__ = "ledger_dedup_state"

    log_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    origin: Mapped[str] = mapped_column(String(1024), unique=True, nullable=False)
    indexed_size: Mapped[int] = mapped_column(BigInteger, nullable=False)


class LedgerEntryHash(Base):
    __tablename__ = _HASHES
    # One B-tree keyed by (log, digest) instead of a rowid table plus an index, and a
    # numeric log id rather than the origin string in every row: ~half the bytes per entry.
    __table_args__ = {"sqlite_with_rowid": False}

    log_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("ledger_dedup_state.log_id"), primary_key=True
    )
    entry_sha256: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)
    idx: Mapped[int] = mapped_column(BigInteger, nullable=False)


_STATE: sa.Table = LedgerDedupState.__table__  # type: ignore[assignment]
_ROWS: sa.Table = LedgerEntryHash.__table__  # type: ignore[assignment]


def entry_digest(entry: bytes) -> bytes:
    return hashlib.sha256(entry).digest()


class DedupIndex:
    """Per-log (keyed by checkpoint origin) view of the dedup tables."""

    def __init__(self, engine: Engine, origin: str) -> None:
        self.engine = engine
        self.origin = origin
        Base.metadata.create_all(
            engine,
            tables=[_STATE, _ROWS],
        )
        self.log_id = self._log_id()

    def _log_id(self) -> int:
        s = _STATE
        for _ in range(2):
            with self.engine.connect() as conn:
                got = conn.execute(sa.select(s.c.log_id).where(s.c.origin == self.origin)).scalar()
            if got is not None:
                return int(got)
            try:
                with self.engine.begin() as conn:
                    conn.execute(s.insert().values(origin=self.origin, indexed_size=0))
            except IntegrityError:
                continue  # another process registered it first
        raise RuntimeError(f"dedup index: cannot register log {self.origin!r}")

    def indexed_size(self) -> int:
        s = _STATE
        with self.engine.connect() as conn:
            got = conn.execute(
                sa.select(s.c.indexed_size).where(s.c.log_id == self.log_id)
            ).scalar_one()
        return int(got)

    def _placeholder(self) -> str:
        return "?" if self.engine.dialect.paramstyle == "qmark" else "%s"

    def lookup(self, digests: Iterable[bytes]) -> dict[bytes, int]:
        """The indices of the digests already in the log (absent ones are left out).

        Plain driver SQL: SQLAlchemy's per-statement compilation of large IN lists
        and executemany costs more than the database itself at batch sizes of thousands.
        """
        wanted = list(dict.fromkeys(digests))
        found: dict[bytes, int] = {}
        ph = self._placeholder()
        with self.engine.connect() as conn:
            for lo in range(0, len(wanted), _LOOKUP_CHUNK):
                chunk = wanted[lo : lo + _LOOKUP_CHUNK]
                sql = (
                    f"SELECT entry_sha256, idx FROM {_HASHES} WHERE log_id = {ph} "
                    f"AND entry_sha256 IN ({', '.join([ph] * len(chunk))})"
                )
                rows = conn.exec_driver_sql(sql, (self.log_id, *chunk))
                found.update((bytes(d), int(i)) for d, i in rows)
        return found

    def record(self, rows: Sequence[tuple[bytes, int]], new_size: int) -> None:
        """Add (digest, index) rows and move `indexed_size` to `new_size`, in one transaction."""
        s = _STATE
        ph = self._placeholder()
        with self.engine.begin() as conn:
            if rows:
                conn.exec_driver_sql(
                    f"INSERT INTO {_HASHES} (log_id, entry_sha256, idx) VALUES ({ph}, {ph}, {ph})",
                    [(self.log_id, d, i) for d, i in rows],
                )
            conn.execute(s.update().where(s.c.log_id == self.log_id).values(indexed_size=new_size))

    def truncate(self, size: int) -> None:
        """Forget every index >= size (used when the index is ahead of the tiles)."""
        t = _ROWS
        s = _STATE
        with self.engine.begin() as conn:
            conn.execute(t.delete().where(t.c.log_id == self.log_id, t.c.idx >= size))
            conn.execute(
                s.update()
                .where(s.c.log_id == self.log_id, s.c.indexed_size > size)
                .values(indexed_size=size)
            )

    def catch_up(
        self, start: int, entries: Iterable[tuple[int, bytes]], new_size: int, chunk: int = 65536
    ) -> None:
        """Index the entries [start, new_size) read back from the bundles; first index wins.

        Works in chunks, each committed with its `indexed_size`, so memory stays bounded and
        an interrupted rebuild resumes where it stopped.
        """
        self.truncate(start)
        pending: dict[bytes, int] = {}
        last = start
        for idx, entry in entries:
            pending.setdefault(entry_digest(entry), idx)
            last = idx + 1
            if len(pending) >= chunk:
                self._record_new(pending, last)
                pending = {}
        self._record_new(pending, new_size)

    def _record_new(self, pending: dict[bytes, int], size: int) -> None:
        known = self.lookup(pending)
        self.record([(d, i) for d, i in pending.items() if d not in known], size)
