"""Each webhook subscriber's health and backlog, from the store alone.

What `truceline notify status`, `GET /publication/subscribers` (and a dashboard) show.
It needs no secrets and no running notifier: the notifier keeps everything in the store.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from truceline.publication.outbox import Outbox
from truceline.publication.tables import DeadLetter, Delivery, OutboxMessage


def _iso(t: float | None) -> str | None:
    return None if t is None else datetime.fromtimestamp(t, UTC).isoformat()


def subscriber_status(
    store: Engine, now: datetime, log_size: int | None = None
) -> list[dict[str, Any]]:
    """One dict per subscriber the notifier has seen, by id:

    - `health`: healthy | failing (its last attempts failed) | paused | disabled, and `reason`;
    - `backlog`: messages queued and not yet acknowledged (nor dead-lettered);
    - `oldest_undelivered_at` / `oldest_undelivered_age_s`: when the oldest of them was
      queued (the notifier queues an entry within a poll of its logging), and how long ago;
    - `log_behind`: log entries not yet looked at for this subscriber (with `log_size`);
    - `next_attempt_at`, `next_probe_at`, `failures`, `failing_since`, the last attempt's
      time, status and error, `delivered` and `dead_letters` counts.
    """
    t = now.timestamp()
    with Session(store) as s:
        queued = {
            sub: (n, oldest, due)
            for sub, n, oldest, due in s.execute(
                select(
                    OutboxMessage.subscription,
                    func.count(),
                    func.min(OutboxMessage.enqueued_at),
                    func.min(OutboxMessage.next_attempt_at),
                ).group_by(OutboxMessage.subscription)
            )
        }
        dead: dict[str, int] = {
            sub: n
            for sub, n in s.execute(
                select(DeadLetter.subscription, func.count()).group_by(DeadLetter.subscription)
            )
        }
        done: dict[str, int] = {
            sub: n
            for sub, n in s.execute(
                select(Delivery.subscription, func.count()).group_by(Delivery.subscription)
            )
        }
    out = []
    for sub in Outbox(store).subscribers():
        h = sub.health
        n, oldest, due = queued.get(sub.id, (0, None, None))
        out.append(
            {
                "id": sub.id,
                "url": sub.url,
                "health": h.label,
                "reason": h.reason,
                "backlog": n,
                "oldest_undelivered_at": _iso(oldest),
                "oldest_undelivered_age_s": None
                if oldest is None
                else round(max(0.0, t - oldest), 3),
                "log_behind": None if log_size is None else max(0, log_size - sub.next_index),
                "next_attempt_at": _iso(due) if h.label in ("healthy", "failing") else None,
                "next_probe_at": _iso(h.next_probe_at),
                "failures": h.failures,
                "failing_since": _iso(h.failing_since),
                "delivered": done.get(sub.id, 0),
                "dead_letters": dead.get(sub.id, 0),
                "last_attempt_at": _iso(sub.last_attempt_at),
                "last_success_at": _iso(sub.last_success_at),
                "last_status": sub.last_status,
                "last_error": sub.last_error,
            }
        )
    return out
