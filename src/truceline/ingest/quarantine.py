"""The quarantine: rejected envelopes, their raw bytes and why, for review and re-play."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import Engine

from truceline.ingest.reasons import Rejection
from truceline.ingest.tables import QuarantineRow


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
    raw: bytes | None = None


def _row(r: QuarantineRow, with_raw: bool) -> Quarantined:
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
    )


class Quarantine:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        QuarantineRow.__table__.create(engine, checkfirst=True)  # type: ignore[attr-defined]

    def add(
        self, items: Sequence[tuple[bytes, Rejection]], at: datetime, source: str = ""
    ) -> list[int]:
        """Store rejections in one transaction; returns their ids in order."""
        if not items:
            return []
        rows = [
            QuarantineRow(
                received_at=at,
                reason=str(rej.reason),
                field=rej.field[:255],
                message=rej.message,
                sensor=rej.sensor[:128] if rej.sensor else None,
                seq=rej.seq,
                sha256=hashlib.sha256(raw).hexdigest(),
                size=len(raw),
                raw=raw,
                source=source[:255],
            )
            for raw, rej in items
        ]
        with sa.orm.Session(self.engine, expire_on_commit=False) as session, session.begin():
            session.add_all(rows)
            session.flush()
            return [r.id for r in rows]

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
            return [_row(r, False) for r in session.scalars(q)]

    def get(self, id_: int) -> Quarantined | None:
        with sa.orm.Session(self.engine) as session:
            r = session.get(QuarantineRow, id_)
            return _row(r, True) if r is not None else None

    def counts(self) -> dict[str, int]:
        q = sa.select(QuarantineRow.reason, sa.func.count()).group_by(QuarantineRow.reason)
        with self.engine.connect() as conn:
            return {reason: n for reason, n in conn.execute(q)}
