"""The stateful half of ingest: last seq per sensor and imported file rows.

Both are functions of the log (fold the accepted observations in order);
they are cached in the store with a cursor, and any tail the cache misses
(a crash between the ledger append and the table write, or another process
appending) is folded from the log.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy import Engine
from sqlalchemy.dialects import postgresql, sqlite

from truceline.codec import records
from truceline.codec.errors import CodecError
from truceline.ingest.tables import ImportedRow, IngestCursor, SensorSeq
from truceline.observation import OBSERVATION_TYPE

OBSERVATION_MARK = b'"payloadType":"' + OBSERVATION_TYPE.encode() + b'"'


def observation_keys(entry: bytes) -> tuple[str, int, tuple[str, int] | None] | None:
    """(sensor, seq, provenance) of an observation entry, None for other entries."""
    if OBSERVATION_MARK not in entry:
        return None
    try:
        payload_type, obj, _ = records.open_record(entry)
    except CodecError:
        return None
    if payload_type != OBSERVATION_TYPE or not isinstance(obj, dict):
        return None
    sensor, seq = obj.get("sensor"), obj.get("seq")
    if not isinstance(sensor, str) or not isinstance(seq, int):
        return None
    prov = (obj.get("attributes") or {}).get("provenance")
    key = None
    if (
        isinstance(prov, dict)
        and isinstance(prov.get("sha256"), str)
        and isinstance(prov.get("row"), int)
    ):
        key = (prov["sha256"], prov["row"])
    return sensor, seq, key


class IngestState:
    """In-memory view with its store cache; `size` is how much of the log it covers."""

    def __init__(self, engine: Engine, origin: str) -> None:
        self.engine = engine
        self.origin = origin
        for table in (SensorSeq, ImportedRow, IngestCursor):
            table.__table__.create(engine, checkfirst=True)  # type: ignore[attr-defined]
        self.last_seq: dict[str, int] = {}
        self.imported: dict[tuple[str, int], int] = {}
        self.size = 0
        self._dirty_seq: dict[str, int] = {}
        self._dirty_rows: list[tuple[str, int, int]] = []
        with engine.connect() as conn:
            for sensor, seq, idx in conn.execute(
                sa.select(SensorSeq.sensor, SensorSeq.last_seq, SensorSeq.idx).where(
                    SensorSeq.origin == origin
                )
            ):
                self.last_seq[sensor] = seq
                _ = idx
            for sha, row, idx in conn.execute(
                sa.select(ImportedRow.file_sha256, ImportedRow.row, ImportedRow.idx).where(
                    ImportedRow.origin == origin
                )
            ):
                self.imported[(sha, row)] = idx
            cursor = conn.execute(
                sa.select(IngestCursor.size).where(IngestCursor.origin == origin)
            ).scalar()
            self.size = int(cursor or 0)

    def fold(self, index: int, entry: bytes) -> None:
        """Account for one log entry at `index` (idempotent)."""
        keys = observation_keys(entry)
        if keys is not None:
            self.accept(index, *keys)
        self.size = max(self.size, index + 1)

    def accept(self, index: int, sensor: str, seq: int, provenance: tuple[str, int] | None) -> None:
        if seq > self.last_seq.get(sensor, -1):
            self.last_seq[sensor] = seq
            self._dirty_seq[sensor] = index
        if provenance is not None and provenance not in self.imported:
            self.imported[provenance] = index
            self._dirty_rows.append((provenance[0], provenance[1], index))

    def flush(self) -> None:
        """Write what changed since the last flush, and the cursor, in one transaction."""
        with self.engine.begin() as conn:
            if self._dirty_seq:
                sensors = list(self._dirty_seq)
                conn.execute(
                    sa.delete(SensorSeq).where(
                        SensorSeq.origin == self.origin, SensorSeq.sensor.in_(sensors)
                    )
                )
                conn.execute(
                    sa.insert(SensorSeq),
                    [
                        {"origin": self.origin, "sensor": s, "last_seq": self.last_seq[s], "idx": i}
                        for s, i in self._dirty_seq.items()
                    ],
                )
            if self._dirty_rows:
                _insert_ignore(
                    conn,
                    ImportedRow,
                    [
                        {"origin": self.origin, "file_sha256": sha, "row": row, "idx": idx}
                        for sha, row, idx in self._dirty_rows
                    ],
                )
            updated = conn.execute(
                sa.update(IngestCursor)
                .where(IngestCursor.origin == self.origin)
                .values(size=self.size)
            ).rowcount
            if not updated:
                conn.execute(sa.insert(IngestCursor).values(origin=self.origin, size=self.size))
        self._dirty_seq.clear()
        self._dirty_rows.clear()


def _insert_ignore(conn: sa.Connection, table: type, rows: Iterable[dict[str, object]]) -> None:
    rows = list(rows)
    name = conn.dialect.name
    stmt: sa.Executable
    if name == "postgresql":
        stmt = postgresql.insert(table).on_conflict_do_nothing()
    elif name == "sqlite":
        stmt = sqlite.insert(table).on_conflict_do_nothing()
    else:  # pragma: no cover - other backends are not supported by the store
        stmt = sa.insert(table)
    for lo in range(0, len(rows), 5000):
        conn.execute(stmt, rows[lo : lo + 5000])
