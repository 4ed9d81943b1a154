"""The notifier's store: per-subscriber queues, their cursors on the log, and health.

Durability is what makes a restart (even kill -9) lose nothing and repeat nothing
acknowledged:

- a log range is queued for every subscriber and the subscribers' cursors move past it
  in one transaction, so a range is queued once or not at all;
- an acknowledgement (the receiver's 2xx) deletes the queued message and writes its
  `publication_deliveries` row in one transaction; only then is the message settled.
  A process killed after the 2xx and before that commit sends the message again on
  restart, with the same `webhook-id` (at least once);
- a message is only ever in the outbox, in the deliveries or in the dead letters.

Times are Unix seconds (float) from the caller's clock.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, delete, func, insert, select, update
from sqlalchemy.orm import Session

from truceline.publication.notify import Route, body_of
from truceline.publication.policy import Health, State, Verdict
from truceline.publication.tables import (
    DeadLetter,
    Delivery,
    HealthChange,
    NotifySubscriber,
    OutboxMessage,
)
from truceline.publication.webhooks import Response, webhook_id


@dataclass(frozen=True)
class Pending:
    """A queued message as the dispatcher needs it (a subscriber's messages are told
    apart by their webhook id)."""

    subscription: str
    ledger_index: int
    webhook_id: str
    payload: bytes
    attempts: int
    failed: int


@dataclass(frozen=True)
class Subscriber:
    """A subscriber's row: where its queue stands and its health."""

    id: str
    url: str
    next_index: int
    health: Health
    control: int
    last_attempt_at: float | None = None
    last_success_at: float | None = None
    last_status: int | None = None
    last_error: str = ""


@dataclass(frozen=True)
class Settled:
    """How an attempt ended, to be recorded (see `Outbox.settle`)."""

    msg: Pending
    verdict: Verdict
    response: Response
    at: float
    next_attempt_at: float | None  # a retry: when; None with Verdict.retry = schedule used up
    probe: bool  # an attempt made while paused: a failure leaves the message's schedule alone
    health: Health
    control: int  # the subscriber's `control` the dispatcher last read

    @property
    def dead(self) -> bool:
        """Dead-lettered: refused for good, or its last scheduled attempt failed (a probe
        never uses up a schedule: a paused subscriber's backlog is kept)."""
        return self.verdict is Verdict.refused or (
            self.verdict is Verdict.retry and self.next_attempt_at is None and not self.probe
        )


def _health(row: NotifySubscriber) -> Health:
    return Health(State(row.state), row.failures, row.failing_since, row.next_probe_at, row.reason)


def _subscriber(row: NotifySubscriber) -> Subscriber:
    return Subscriber(
        row.id,
        row.url,
        row.next_index,
        _health(row),
        row.control,
        row.last_attempt_at,
        row.last_success_at,
        row.last_status,
        row.last_error,
    )


class Outbox:
    def __init__(self, store: Engine) -> None:
        self.store = store

    # --- subscribers -----------------------------------------------------------------

    def register(self, routes: Sequence[Route]) -> None:
        """A row for each configured subscriber (new ones start at the log's beginning)."""
        known = {sub.id: sub.url for sub in self.subscribers()}
        with Session(self.store) as s, s.begin():
            for r in routes:
                sid, url = r.subscription.id, r.subscription.url
                if sid not in known:
                    s.add(NotifySubscriber(id=sid, url=url))
                elif known[sid] != url:
                    s.execute(
                        update(NotifySubscriber).where(NotifySubscriber.id == sid).values(url=url)
                    )

    def subscriber(self, sub_id: str) -> Subscriber | None:
        with Session(self.store) as s:
            row = s.get(NotifySubscriber, sub_id)
            return None if row is None else _subscriber(row)

    def subscribers(self) -> list[Subscriber]:
        with Session(self.store) as s:
            rows = s.scalars(select(NotifySubscriber).order_by(NotifySubscriber.id))
            return [_subscriber(r) for r in rows]

    # --- queueing the log ------------------------------------------------------------

    def enqueue(
        self, routes: Sequence[Route], events: Iterable[dict[str, Any]], end: int, now: float
    ) -> dict[str, int]:
        """Queue, for each route, the `events` at or after its cursor that it wants, and
        move every cursor to `end`; returns how many were queued per subscriber.

        A message already queued, delivered or dead-lettered (by an earlier notifier, or
        the one-shot `truceline notify` of earlier versions) is not queued again."""
        events = list(events)
        cursors = {sub.id: sub.next_index for sub in self.subscribers()}
        queued: dict[str, int] = {}
        with self.store.begin() as c:
            for r in routes:
                sid = r.subscription.id
                if sid not in cursors:
                    raise KeyError(f"subscriber {sid!r}: not registered")
                # Write first: on SQLite the transaction then holds the write lock before
                # it reads, so another process's commit cannot invalidate what it read.
                moved = c.execute(
                    update(NotifySubscriber)
                    .where(NotifySubscriber.id == sid, NotifySubscriber.next_index == cursors[sid])
                    .values(next_index=max(cursors[sid], end))
                )
                if not moved.rowcount:
                    raise RuntimeError(
                        f"subscriber {sid!r}: its cursor moved under this notifier "
                        "(is another notifier running on this home?)"
                    )
                todo = [m for m in messages_for(r, events) if m.ledger_index >= cursors[sid]]
                done = self._known(c, sid, [m.webhook_id for m in todo])
                rows = []
                for m in todo:
                    if m.webhook_id in done:
                        continue
                    done.add(m.webhook_id)
                    rows.append(
                        {
                            "subscription": sid,
                            "ledger_index": m.ledger_index,
                            "event": _event_of(m.payload),
                            "webhook_id": m.webhook_id,
                            "payload": m.payload,
                            "attempts": 0,
                            "failed": 0,
                            "next_attempt_at": now,
                            "enqueued_at": now,
                            "last_error": "",
                        }
                    )
                if rows:
                    c.execute(insert(OutboxMessage), rows)
                queued[sid] = len(rows)
        return queued

    @staticmethod
    def _known(c: Connection, sid: str, ids: list[str]) -> set[str]:
        known: set[str] = set()
        for k in range(0, len(ids), 500):
            chunk = ids[k : k + 500]
            for table in (Delivery, DeadLetter, OutboxMessage):
                q = select(table.webhook_id).where(
                    table.subscription == sid, table.webhook_id.in_(chunk)
                )
                known.update(c.scalars(q))
        return known

    # --- what to send ----------------------------------------------------------------

    _COLUMNS = (
        OutboxMessage.subscription,
        OutboxMessage.ledger_index,
        OutboxMessage.webhook_id,
        OutboxMessage.payload,
        OutboxMessage.attempts,
        OutboxMessage.failed,
        OutboxMessage.next_attempt_at,
    )

    def due(self, sub_id: str, now: float, exclude: Iterable[str], limit: int) -> list[Pending]:
        """Up to `limit` messages due by `now`, in ledger order, not among `exclude`."""
        q = (
            select(*self._COLUMNS)
            .where(OutboxMessage.subscription == sub_id, OutboxMessage.next_attempt_at <= now)
            .order_by(OutboxMessage.ledger_index, OutboxMessage.id)
        )
        skip = set(exclude)
        if skip:
            q = q.where(OutboxMessage.webhook_id.not_in(skip))
        with self.store.connect() as c:
            return [Pending(*row[:-1]) for row in c.execute(q.limit(limit))]

    def head(self, sub_id: str) -> tuple[Pending, float] | None:
        """The first message in ledger order, and when it is due."""
        q = (
            select(*self._COLUMNS)
            .where(OutboxMessage.subscription == sub_id)
            .order_by(OutboxMessage.ledger_index, OutboxMessage.id)
            .limit(1)
        )
        with self.store.connect() as c:
            row = c.execute(q).first()
            return None if row is None else (Pending(*row[:-1]), row[-1])

    def next_due_at(self, sub_id: str, exclude: Iterable[str]) -> float | None:
        q = select(func.min(OutboxMessage.next_attempt_at)).where(
            OutboxMessage.subscription == sub_id
        )
        skip = set(exclude)
        if skip:
            q = q.where(OutboxMessage.webhook_id.not_in(skip))
        with self.store.connect() as c:
            return c.scalar(q)

    # --- recording attempts ----------------------------------------------------------

    def settle(self, batch: Sequence[Settled]) -> list[bool]:
        """Record attempts in one transaction (the notifier groups them: one commit for
        all that ended meanwhile). For each, whether its health was written: False when
        an operator acted since the dispatcher read the subscriber (its `control`
        moved), so the operator's word stands and the dispatcher reloads.

        Core statements, not the ORM's unit of work: this runs for every attempt."""
        last = {st.msg.subscription: k for k, st in enumerate(batch)}
        success: dict[str, float] = {}
        done: dict[int, bool] = {}
        with self.store.begin() as c:
            for k, st in enumerate(batch):
                sid = st.msg.subscription
                self._settle_message(c, st)
                if st.verdict is Verdict.ack:
                    success[sid] = st.at
                # A subscriber's health as of its last outcome in the batch, and each change.
                if st.health.changes or last[sid] == k:
                    done[k] = self._write_health(c, st, success.get(sid))
        return [done.get(k, done[last[st.msg.subscription]]) for k, st in enumerate(batch)]

    @staticmethod
    def _settle_message(c: Connection, st: Settled) -> None:
        m, r = st.msg, st.response
        attempts = m.attempts + 1
        at = datetime.fromtimestamp(st.at, UTC)
        if st.verdict is Verdict.ack:
            c.execute(delete(OutboxMessage).where(*_key(m)))
            c.execute(
                insert(Delivery).values(
                    subscription=m.subscription,
                    webhook_id=m.webhook_id,
                    attempts=attempts,
                    status=r.status or 0,
                    delivered_at=at,
                )
            )
            return
        if st.dead:
            c.execute(delete(OutboxMessage).where(*_key(m)))
            url = c.scalar(
                select(NotifySubscriber.url).where(NotifySubscriber.id == m.subscription)
            )
            c.execute(
                insert(DeadLetter).values(
                    subscription=m.subscription,
                    url=url or "",
                    webhook_id=m.webhook_id,
                    payload=m.payload,
                    attempts=attempts,
                    last_status=r.status,
                    last_error=r.error or "schedule used up",
                    failed_at=at,
                )
            )
            return
        values: dict[str, Any] = {
            "attempts": attempts,
            "last_status": r.status,
            "last_error": r.error,
        }
        if not st.probe and st.verdict is Verdict.retry and st.next_attempt_at is not None:
            values["failed"] = m.failed + 1
            values["next_attempt_at"] = st.next_attempt_at
        c.execute(update(OutboxMessage).where(*_key(m)).values(**values))

    @staticmethod
    def _write_health(c: Connection, st: Settled, success_at: float | None) -> bool:
        h = st.health
        values: dict[str, Any] = {
            "state": h.state.value,
            "failures": h.failures,
            "failing_since": h.failing_since,
            "next_probe_at": h.next_probe_at,
            "reason": h.reason,
            "last_attempt_at": st.at,
            "last_status": st.response.status,
            "last_error": st.response.error,
        }
        if success_at is not None:
            values["last_success_at"] = success_at
        sid = st.msg.subscription
        done = c.execute(
            update(NotifySubscriber)
            .where(NotifySubscriber.id == sid, NotifySubscriber.control == st.control)
            .values(**values)
        )
        if not done.rowcount:
            return False
        for change in h.changes:
            c.execute(
                insert(HealthChange).values(
                    subscription=sid, at=st.at, change=change, by=_by(change), reason=h.reason
                )
            )
        if h.changes and h.state is State.active:
            # Resumed by a probe: everything queued is due now, on a fresh schedule.
            c.execute(
                update(OutboxMessage)
                .where(OutboxMessage.subscription == sid)
                .values(next_attempt_at=st.at, failed=0)
            )
        return True

    # --- operator actions ------------------------------------------------------------

    def resume(
        self, sub_id: str, by: str, reason: str, at: float, record: bytes | None = None
    ) -> Subscriber:
        """Enable a paused or disabled subscriber: everything queued is due now, on a fresh
        schedule. `record` is the signed resume it was made with (kept, accepted once:
        IntegrityError if it was already)."""
        with Session(self.store) as s, s.begin():
            done = s.execute(
                update(NotifySubscriber)
                .where(NotifySubscriber.id == sub_id)
                .values(
                    state=State.active.value,
                    failures=0,
                    failing_since=None,
                    next_probe_at=None,
                    reason="",
                    control=NotifySubscriber.control + 1,
                )
            )
            if not done.rowcount:  # type: ignore[attr-defined]
                raise KeyError(f"subscription {sub_id!r}: unknown to the notifier")
            s.execute(
                update(OutboxMessage)
                .where(OutboxMessage.subscription == sub_id)
                .values(next_attempt_at=at, failed=0)
            )
            s.add(
                HealthChange(
                    subscription=sub_id,
                    at=at,
                    change="resumed by operator",
                    by=by,
                    reason=reason,
                    record=record,
                    record_sha256=None if record is None else hashlib.sha256(record).hexdigest(),
                )
            )
            row = s.get(NotifySubscriber, sub_id)
            assert row is not None
            return _subscriber(row)

    def redeliver(self, dead_letter_ids: Iterable[int], at: float) -> int:
        """Put dead letters back in their subscribers' queues (due now); returns how many."""
        wanted = list(dead_letter_ids)
        with Session(self.store) as s:
            q = select(DeadLetter).where(DeadLetter.id.in_(wanted))
            rows = {r.id: r for r in s.scalars(q)}
        for dl_id in wanted:
            if dl_id not in rows:
                raise KeyError(f"no dead letter {dl_id}")
        with Session(self.store) as s, s.begin():
            for dl_id in wanted:
                row = rows[dl_id]
                gone = s.execute(delete(DeadLetter).where(DeadLetter.id == dl_id))
                if not gone.rowcount:  # type: ignore[attr-defined]
                    raise KeyError(f"no dead letter {dl_id} (redelivered meanwhile?)")
                s.add(
                    OutboxMessage(
                        subscription=row.subscription,
                        ledger_index=_index_of(row.payload),
                        event=_event_of(row.payload),
                        webhook_id=row.webhook_id,
                        payload=row.payload,
                        attempts=row.attempts,
                        failed=0,
                        next_attempt_at=at,
                        enqueued_at=at,
                        last_status=row.last_status,
                        last_error=row.last_error,
                    )
                )
                s.execute(
                    update(NotifySubscriber)
                    .where(NotifySubscriber.id == row.subscription)
                    .values(control=NotifySubscriber.control + 1)
                )
        return len(wanted)

    def dead_letters(self, sub_id: str | None = None) -> list[DeadLetter]:
        q = select(DeadLetter).order_by(DeadLetter.id)
        if sub_id is not None:
            q = q.where(DeadLetter.subscription == sub_id)
        with Session(self.store) as s:
            return list(s.scalars(q))

    def health_changes(self, sub_id: str) -> list[HealthChange]:
        q = select(HealthChange).where(HealthChange.subscription == sub_id)
        with Session(self.store) as s:
            return list(s.scalars(q.order_by(HealthChange.id)))


def _key(m: Pending) -> tuple[Any, Any]:
    return (OutboxMessage.subscription == m.subscription, OutboxMessage.webhook_id == m.webhook_id)


def messages_for(route: Route, events: Iterable[dict[str, Any]]) -> list[Pending]:
    """The messages `route` gets for `events`, in their order, as first queued."""
    out = []
    for ev in events:
        if route.wants(ev["event"]):
            body = body_of(ev)
            out.append(Pending(route.subscription.id, ev["index"], webhook_id(body), body, 0, 0))
    return out


def _by(change: str) -> str:
    return "probe" if change == "resumed by probe" else "notifier"


def _index_of(payload: bytes) -> int:
    try:
        return int(json.loads(payload).get("index", -1))
    except (ValueError, AttributeError, TypeError):
        return -1


def _event_of(payload: bytes) -> str:
    try:
        return str(json.loads(payload).get("event", ""))[:64]
    except (ValueError, AttributeError):
        return ""
