"""The quarantine: rejected envelopes and rows, why, and a bounded copy of their bytes.

Every rejection keeps a row (reason, field, message, sensor, seq, the full size and the
SHA-256 of the whole input), so nothing is lost from the account. Of the bytes it keeps
only the first `RAW_PREFIX_BYTES` (4 KiB: enough to read what was sent and to recognise
it by hash), and all kept bytes together are bounded by `max_raw_bytes` (default
`DEFAULT_MAX_RAW_BYTES`, 256 MiB; a home sets it in `HOME/quarantine.max_bytes`): before
new bytes would pass it, the oldest rows' bytes are dropped first (down to 90 % of the
bound, so the sum is recomputed about once per tenth of the bound), and their rows stay. A row whose kept bytes are
shorter than `size` says so (`truncated`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import Engine

from truceline.ingest.reasons import Rejection
from truceline.ingest.tables import QuarantineRow

RAW_PREFIX_BYTES = 4096
DEFAULT_MAX_RAW_BYTES = 256 * 1024 * 1024
_LOW_WATER = 0.9  # eviction frees down to this share of the bound


@dataclass(frozen=True)
class Quarantined:
    id: int
    received_at: datetime
    reason: str
    field: str
    message: str
    sensor: str | None
    seq: int | None
    sha256: str
    size: int
    source: str
    raw: bytes | None = None  # the kept prefix (None when not asked for)
    kept: int = 0  # how many bytes of the input are kept (0 once evicted)

    @property
    def truncated(self) -> bool:
        return self.kept < self.size


def _row(r: QuarantineRow, with_raw: bool, kept: int) -> Quarantined:
    return Quarantined(
        r.id,
        r.received_at,
        r.reason,
        r.field,
        r.message,
        r.sensor,
        r.seq,
        r.sha256,
        r.size,
        r.source,
        r.raw if with_raw else None,
        kept,
    )


_KEPT = sa.func.length(QuarantineRow.raw)


def _kept_total(conn: sa.Connection) -> int:
    return int(conn.execute(sa.select(sa.func.coalesce(sa.func.sum(_KEPT), 0))).scalar_one())


class Quarantine:
    def __init__(self, engine: Engine, *, max_raw_bytes: int = DEFAULT_MAX_RAW_BYTES) -> None:
        if max_raw_bytes < 0:
            raise ValueError(f"max_raw_bytes: {max_raw_bytes} is negative")
        self.engine = engine
        self.max_raw_bytes = max_raw_bytes
        QuarantineRow.__table__.create(engine, checkfirst=True)  # type: ignore[attr-defined]
        self._kept: int | None = None  # kept bytes as last counted plus what was added since

    def add(
        self, items: Sequence[tuple[bytes, Rejection]], at: datetime, source: str = ""
    ) -> list[int]:
        """Store rejections in one transaction; returns their ids in order.

        Room for the new prefixes is made first (the oldest bytes go), so the kept total
        never passes the bound; a batch larger than the bound keeps only its newest ones."""
        if not items:
            return []
        prefixes = [bytes(raw[:RAW_PREFIX_BYTES]) for raw, _ in items]
        budget = self.max_raw_bytes
        for i in range(len(prefixes) - 1, -1, -1):
            if len(prefixes[i]) > budget:
                prefixes[: i + 1] = [b""] * (i + 1)
                break
            budget -= len(prefixes[i])
        added = sum(len(p) for p in prefixes)
        if self._kept is None or self._kept + added > self.max_raw_bytes:
            self._evict(room=added)
        rows = [
            QuarantineRow(
                received_at=at,
                reason=str(rej.reason),
                field=rej.field[:255],
                message=rej.message[:2000],
                sensor=rej.sensor[:128] if rej.sensor else None,
                seq=rej.seq if rej.seq is not None and -(2**63) <= rej.seq < 2**63 else None,
                sha256=hashlib.sha256(raw).hexdigest(),
                size=len(raw),
                raw=prefix,
                source=source[:255],
            )
            for (raw, rej), prefix in zip(items, prefixes, strict=True)
        ]
        with sa.orm.Session(self.engine, expire_on_commit=False) as session, session.begin():
            session.add_all(rows)
            session.flush()
            ids = [r.id for r in rows]
        self._kept = (self._kept or 0) + added
        return ids

    def kept_bytes(self) -> int:
        """The bytes the quarantine holds now (every row's kept prefix)."""
        with self.engine.connect() as conn:
            return _kept_total(conn)

    def _evict(self, room: int) -> None:
        """Make room for `room` more bytes: when the kept total plus `room` would pass the
        bound, drop the oldest rows' bytes until it is at most 90 % of the bound."""
        with self.engine.begin() as conn:
            total = _kept_total(conn)
            if total + room > self.max_raw_bytes:
                excess = total + room - int(self.max_raw_bytes * _LOW_WATER)
                freed, last = 0, None
                oldest = (
                    sa.select(QuarantineRow.id, _KEPT)
                    .where(_KEPT > 0)
                    .order_by(QuarantineRow.id)
                    .execution_options(yield_per=1000)
                )
                for id_, n in conn.execute(oldest):
                    freed, last = freed + int(n), id_
                    if freed >= excess:
                        break
                if last is not None:
                    conn.execute(
                        sa.update(QuarantineRow)
                        .where(QuarantineRow.id <= last, _KEPT > 0)
                        .values(raw=b"")
                    )
                total -= freed
        self._kept = total

    def list(
        self,
        *,
        reason: str | None = None,
        sensor: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[Quarantined]:
        q = sa.select(QuarantineRow).order_by(QuarantineRow.id)
        if reason:
            q = q.where(QuarantineRow.reason == reason)
        if sensor:
            q = q.where(QuarantineRow.sensor == sensor)
        q = q.limit(limit).offset(offset)
        with sa.orm.Session(self.engine) as session:
            return [_row(r, False, len(r.raw)) for r in session.scalars(q)]

    def get(self, id_: int) -> Quarantined | None:
        with sa.orm.Session(self.engine) as session:
            r = session.get(QuarantineRow, id_)
            return _row(r, True, len(r.raw)) if r is not None else None

    def counts(self) -> dict[str, int]:
        q = sa.select(QuarantineRow.reason, sa.func.count()).group_by(QuarantineRow.reason)
        with self.engine.connect() as conn:
            return {reason: n for reason, n in conn.execute(q)}
