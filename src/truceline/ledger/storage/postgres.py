"""The PostgreSQL driver: tiles, bundles, checkpoint and state as rows of two tables.

    tlog_object(path PK, level, idx, width, data)   public objects; level -1 = bundles,
                                                    -2 = the checkpoint; width 0 = full
    tlog_state(name PK, data)                       treeState, log.json

The tables live in the connection's current schema: one log per schema, chosen with
`?options=-csearch_path%3D<schema>` in the URL (docs/deploy.md). A committed
transaction is durable (the server's `synchronous_commit` must stay `on`), so a
`write_all` is all or nothing. The writer lock is a session advisory lock held
on its own connection: the server drops it when that connection dies, so a
writer killed with -9 never leaves the log locked.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence

import sqlalchemy as sa
from sqlalchemy import Engine
from sqlalchemy.dialects.postgresql import insert

from truceline.ledger import tiles
from truceline.ledger.storage import pgengines
from truceline.ledger.storage.base import CHECKPOINT, StorageError, TileStorage

_meta = sa.MetaData()
_objects = sa.Table(
    "tlog_object",
    _meta,
    sa.Column("path", sa.Text, primary_key=True),
    sa.Column("level", sa.Integer, nullable=False),
    sa.Column("idx", sa.BigInteger, nullable=False),
    sa.Column("width", sa.Integer, nullable=False),
    sa.Column("data", sa.LargeBinary, nullable=False),
    sa.Index("tlog_object_position", "level", "idx"),
)
_state = sa.Table(
    "tlog_state",
    _meta,
    sa.Column("name", sa.Text, primary_key=True),
    sa.Column("data", sa.LargeBinary, nullable=False),
)
_CHECKPOINT_LEVEL = -2
_GET = "SELECT data FROM tlog_object WHERE path = %s"
_LOCK_KEY = "hashtext(current_schema() || '.tlog_writer')"  # one writer lock per schema
_LOCK = sa.text(f"SELECT pg_advisory_lock({_LOCK_KEY})")
_UNLOCK = sa.text(f"SELECT pg_advisory_unlock({_LOCK_KEY})")

# Rows of every level past a tree of :size (count = the level's tiles; bundles follow level 0).
_DISCARD = sa.text(
    """
    DELETE FROM tlog_object WHERE level >= -1 AND (
      idx > ((CAST(:size AS bigint) >> (8 * GREATEST(level, 0))) / 256)
      OR (idx = ((CAST(:size AS bigint) >> (8 * GREATEST(level, 0))) / 256)
          AND (width = 0 OR width > ((CAST(:size AS bigint) >> (8 * GREATEST(level, 0))) % 256)))
    )
    """
)


def _row(rel: str, data: bytes) -> dict[str, object]:
    if rel == CHECKPOINT:
        return {"path": rel, "level": _CHECKPOINT_LEVEL, "idx": 0, "width": 0, "data": data}
    t = tiles.parse_tile_path(rel)
    return {
        "path": rel,
        "level": t.level,
        "idx": t.index,
        "width": 0 if t.is_full else t.width,
        "data": data,
    }


def _partials_of(full_rel: str) -> tuple[sa.ColumnElement[bool], ...]:
    """Rows of the partial versions of a tile or bundle (through the (level, idx) index)."""
    t = tiles.parse_tile_path(full_rel)
    return (_objects.c.level == t.level, _objects.c.idx == t.index, _objects.c.width > 0)


class PostgresStorage(TileStorage):
    def __init__(self, url: str) -> None:
        # The process's engines for this URL, shared with every other driver on it
        # (`pgengines`). Reads are one statement each: autocommit and no ping make them
        # one round trip instead of four (ping, BEGIN, SELECT, ROLLBACK).
        self._url = url
        self._shared = pgengines.acquire(url)
        self._engine: Engine = self._shared.writes
        self._reads: Engine = self._shared.reads
        self._open = True
        self.where = self._engine.url.render_as_string(hide_password=True)

    def _ready(self) -> None:
        if not self._shared.prepared:
            try:
                _meta.create_all(self._engine)
            except sa.exc.DBAPIError as exc:  # unreachable server, missing schema, no rights
                reason = str(exc.orig).strip().split("\n")[0] if exc.orig else str(exc)
                raise StorageError(
                    f"{self.where}: cannot open the log's tables: {reason}", field="log.storage"
                ) from exc
            self._shared.prepared = True

    # --- public objects ------------------------------------------------------------

    def get(self, rel: str) -> bytes | None:
        self._ready()
        # A binary-format result: bytea is not hex-encoded on the wire (1.6x for a bundle).
        with self._reads.connect() as c, c.connection.driver_connection.cursor(binary=True) as cur:  # type: ignore[union-attr]
            cur.execute(_GET, (rel,))
            row = cur.fetchone()
        return bytes(row[0]) if row is not None else None

    def partial_widths(self, full_rel: str) -> list[int]:
        self._ready()
        with self._reads.connect() as c:
            rows = c.execute(sa.select(_objects.c.width).where(*_partials_of(full_rel))).scalars()
            return sorted(rows, reverse=True)

    def _upsert(self, conn: sa.Connection, rows: list[dict[str, object]]) -> None:
        stmt = insert(_objects)
        conn.execute(
            stmt.on_conflict_do_update(index_elements=["path"], set_={"data": stmt.excluded.data}),
            rows,
        )

    def write_all(self, files: Sequence[tuple[str, bytes]]) -> None:
        if not files:
            return
        self._ready()
        with self._engine.begin() as c:
            self._upsert(c, [_row(rel, data) for rel, data in files])

    def put(self, rel: str, data: bytes) -> None:
        self.write_all([(rel, data)])

    def drop_partials(self, full_rels: Sequence[str]) -> None:
        if not full_rels:
            return
        with self._engine.begin() as c:
            # Not a commit point: a crash may keep the partials, which readers tolerate.
            c.execute(sa.text("SET LOCAL synchronous_commit = off"))
            c.execute(
                sa.delete(_objects).where(
                    sa.or_(*(sa.and_(*_partials_of(rel)) for rel in full_rels))
                )
            )

    def discard_beyond(self, size: int) -> None:
        self._ready()
        with self._engine.begin() as c:
            c.execute(_DISCARD, {"size": size})

    # --- private state -----------------------------------------------------------------

    def get_state(self, name: str) -> bytes | None:
        self._ready()
        with self._reads.connect() as c:
            got = c.execute(sa.select(_state.c.data).where(_state.c.name == name)).scalar()
        return bytes(got) if got is not None else None

    def put_state(self, name: str, data: bytes) -> None:
        self._ready()
        stmt = insert(_state).values(name=name, data=data)
        with self._engine.begin() as c:
            c.execute(
                stmt.on_conflict_do_update(
                    index_elements=["name"], set_={"data": stmt.excluded.data}
                )
            )

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        self._ready()
        with self._engine.connect() as c:
            c.execute(_LOCK)
            c.commit()  # a session lock: it outlives this transaction, not the connection
            try:
                yield
            finally:
                c.execute(_UNLOCK)
                c.commit()

    # --- life cycle ------------------------------------------------------------------

    def is_empty(self) -> bool:
        self._ready()
        with self._engine.connect() as c:
            return c.execute(sa.select(sa.func.count()).select_from(_state)).scalar() == 0

    def prepare(self) -> None:
        self._ready()

    def close(self) -> None:
        """Give the shared engines back (once); their connections stay pooled."""
        if self._open:
            self._open = False
            pgengines.release(self._url)
