"""Ingest's tables in the metadata store (SQLite or PostgreSQL).

The quarantine keeps every rejected envelope with its reason and a bounded prefix of
its bytes (`ingest.quarantine`).
The other tables are a cache of what the ledger already says (last seq per
sensor, imported file rows) so a restart need not re-read the whole log;
`ingest_cursor.size` says how far they cover and the rest is folded from
the log on open.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from truceline.store.base import Base


class QuarantineRow(Base):
    __tablename__ = "ingest_quarantine"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    reason: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    field: Mapped[str] = mapped_column(String(255), nullable=False)
    message: Mapped[str] = mapped_column(Text, nullable=False)
    sensor: Mapped[str | None] = mapped_column(String(128), nullable=True, index=True)
    seq: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    size: Mapped[int] = mapped_column(Integer, nullable=False)
    raw: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    source: Mapped[str] = mapped_column(String(255), nullable=False, default="")


class SensorSeq(Base):
    __tablename__ = "ingest_sensor_seq"

    origin: Mapped[str] = mapped_column(String(255), primary_key=True)
    sensor: Mapped[str] = mapped_column(String(128), primary_key=True)
    last_seq: Mapped[int] = mapped_column(BigInteger, nullable=False)
    idx: Mapped[int] = mapped_column(BigInteger, nullable=False)


class ImportedRow(Base):
    __tablename__ = "ingest_imported_row"

    origin: Mapped[str] = mapped_column(String(255), primary_key=True)
    file_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    row: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    idx: Mapped[int] = mapped_column(BigInteger, nullable=False)


class IngestCursor(Base):
    __tablename__ = "ingest_cursor"

    origin: Mapped[str] = mapped_column(String(255), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger, nullable=False)
