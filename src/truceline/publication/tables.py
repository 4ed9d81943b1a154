"""The publication tables: webhook deliveries done, the dead-letter store, and the notifier's
per-subscriber queues and health."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    DateTime,
    Float,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from truceline.store.base import Base


class Delivery(Base):
    """A webhook delivered (2xx): publishing the same webhook id again is a no-op."""

    __tablename__ = "publication_deliveries"
    __table_args__ = (UniqueConstraint("subscription", "webhook_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    subscription: Mapped[str] = mapped_column(String(128))
    webhook_id: Mapped[str] = mapped_column(String(128))
    attempts: Mapped[int] = mapped_column(Integer)
    status: Mapped[int] = mapped_column(Integer)
    delivered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class DeadLetter(Base):
    """A webhook that ran out of retries or was refused for good; kept for redelivery."""

    __tablename__ = "publication_dead_letters"
    __table_args__ = (UniqueConstraint("subscription", "webhook_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    subscription: Mapped[str] = mapped_column(String(128))
    url: Mapped[str] = mapped_column(Text)
    webhook_id: Mapped[str] = mapped_column(String(128))
    payload: Mapped[bytes] = mapped_column(LargeBinary)
    attempts: Mapped[int] = mapped_column(Integer)
    last_status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_error: Mapped[str] = mapped_column(Text)
    failed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


# --- the notifier's queues (times in Unix seconds, as the delivery policy computes them) ---


class NotifySubscriber(Base):
    """One webhook subscriber: its enqueue cursor on the log and its delivery health.

    `control` is bumped by every operator action (resume, redeliver): the running
    notifier writes health only over the `control` it last read, so an operator's
    resume is never overwritten by an attempt that was in flight."""

    __tablename__ = "publication_notify_subscribers"
    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    next_index: Mapped[int] = mapped_column(Integer, default=0)  # log entries before it queued
    state: Mapped[str] = mapped_column(String(16), default="active")
    failures: Mapped[int] = mapped_column(Integer, default=0)
    failing_since: Mapped[float | None] = mapped_column(Float, nullable=True)
    next_probe_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    last_attempt_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    last_success_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    last_status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_error: Mapped[str] = mapped_column(Text, default="")
    control: Mapped[int] = mapped_column(Integer, default=0)


class OutboxMessage(Base):
    """A webhook queued for a subscriber and not yet acknowledged (2xx) nor dead-lettered."""

    __tablename__ = "publication_outbox"
    __table_args__ = (
        UniqueConstraint("subscription", "webhook_id"),
        Index("ix_publication_outbox_order", "subscription", "ledger_index"),
        Index("ix_publication_outbox_due", "subscription", "next_attempt_at"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    subscription: Mapped[str] = mapped_column(String(128))
    ledger_index: Mapped[int] = mapped_column(Integer)
    event: Mapped[str] = mapped_column(String(64))
    webhook_id: Mapped[str] = mapped_column(String(128))
    payload: Mapped[bytes] = mapped_column(LargeBinary)
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # all attempts made
    failed: Mapped[int] = mapped_column(Integer, default=0)  # failures in this schedule round
    next_attempt_at: Mapped[float] = mapped_column(Float)
    enqueued_at: Mapped[float] = mapped_column(Float)
    last_status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_error: Mapped[str] = mapped_column(Text, default="")


class HealthChange(Base):
    """A subscriber's health history: paused, disabled, resumed (by probe or operator).

    An operator's resume keeps the signed record it was made with (`record`, a DSSE
    envelope); its hash is unique, so one signed resume is accepted once."""

    __tablename__ = "publication_notify_health"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    subscription: Mapped[str] = mapped_column(String(128), index=True)
    at: Mapped[float] = mapped_column(Float)
    change: Mapped[str] = mapped_column(String(32))  # paused | disabled | resumed by probe | ...
    by: Mapped[str] = mapped_column(String(160))  # notifier | probe | operator keyid
    reason: Mapped[str] = mapped_column(Text, default="")
    record: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    record_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True, unique=True)
