"""One subscriber's delivery loop: its own queue, HTTP client and in-flight limit.

Each subscriber runs one `Dispatcher` on the notifier's event loop; nothing one of
them does (a slow answer, a timeout, a failure's retry) waits on another. Messages
are taken in ledger order; up to `max_in_flight` are in flight at once. A failed
message is scheduled for its next attempt (policy.py) and the queue goes on
behind it, so retries are scheduled, never slept through: with the default
`ordered: false`, a retried message reaches the receiver after later ones (the body
carries its `index`, the `webhook-id` is stable). With `ordered: true` nothing after
a message is sent until it is acknowledged or dead-lettered.

Failing (its last `pause_after_failures` attempts failed): one attempt at a time, at
most one every `failing_every_s`, so a dead receiver costs a request per few seconds,
not one per message.

Paused (sustained failure): only a probe, one attempt of the oldest message every
`probe_every_s`; its 2xx resumes. Disabled (410 Gone): nothing until an operator
resumes. Operator actions come through the store: the dispatcher re-reads its
subscriber every `control_poll_s`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.exc import SQLAlchemyError

from truceline.clock import Clock, SystemClock
from truceline.publication.http1 import Http1Client
from truceline.publication.notify import Route
from truceline.publication.outbox import Outbox, Pending, Settled
from truceline.publication.policy import Health, State, Verdict, after_attempt, classify
from truceline.publication.storethread import StoreThread
from truceline.publication.webhooks import post

log = logging.getLogger(__name__)

READ_AHEAD = 32  # due messages read per query (a retry falling due waits behind them)


@dataclass
class Counts:
    attempts: int = 0
    delivered: int = 0
    failed: int = 0
    dead_lettered: int = 0


class Dispatcher:
    def __init__(
        self,
        route: Route,
        outbox: Outbox,
        writer: StoreThread,
        clock: Clock | None = None,
        *,
        control_poll_s: float = 1.0,
        on_settled: Callable[[Settled], None] | None = None,
    ) -> None:
        self.route = route
        self.id = route.subscription.id
        self.policy = route.policy
        self.outbox = outbox
        self.writer = writer
        self.clock = clock or SystemClock()
        self.control_poll_s = control_poll_s
        self.on_settled = on_settled
        self.counts = Counts()
        self.health = Health()
        self.control = -1  # the first look at the store adopts what it says
        self._wake = asyncio.Event()
        # Messages by webhook id: requests under way, and answered ones whose outcome is
        # not committed yet (neither may be picked again).
        self._inflight: dict[str, asyncio.Task[None]] = {}
        self._settling: set[str] = set()
        self._tasks: set[asyncio.Task[None]] = set()  # attempts until their outcome is committed
        self._once = False  # a one-shot pass: each message attempted at most once
        self._tried: set[str] = set()
        self._ready: deque[Pending] = deque()  # due messages read ahead, in ledger order
        # Just queued, handed over before their queueing is committed (`offer`).
        self._fresh: deque[Pending] = deque()
        self._fresh_ids: set[str] = set()
        # When the store may next hold a due message not in memory (-inf: look now). A
        # message's retry time is known when its failure is: no query per message.
        self._db_due_at = float("-inf")
        self._polled = float("-inf")
        self._started_at = float("-inf")  # the last attempt's start (the failing limit)

    def wake(self) -> None:
        """New messages were queued (or something else changed): look again now."""
        self._db_due_at = float("-inf")
        self._wake.set()

    def queued(self, offered: bool) -> None:
        """Messages for this subscriber were committed to its queue. If they were offered
        first, only a dispatcher that reads its queue from the store (ordered, paused)
        needs to look."""
        if not offered or self.policy.ordered or self.health.state is not State.active:
            self.wake()

    def offer(self, msgs: list[Pending]) -> None:
        """Messages being queued (their transaction is on its way): send them without
        waiting for its commit. Outcomes are recorded after it (one store thread, in
        order), so an acknowledgement always finds its queued row."""
        for m in msgs:
            if m.webhook_id not in self._fresh_ids:
                self._fresh.append(m)
                self._fresh_ids.add(m.webhook_id)
        self._wake.set()

    def _forget_fresh(self) -> None:
        """Leave the handed-over messages to the store (paused, disabled, an operator)."""
        self._fresh.clear()
        self._fresh_ids.clear()

    async def _wake_on(self, stop: asyncio.Event) -> None:
        await stop.wait()
        self._wake.set()

    def _now(self) -> float:
        return self.clock.now().timestamp()

    def _reload(self) -> None:
        row = self.outbox.subscriber(self.id)
        if row is None:
            raise KeyError(f"subscription {self.id!r}: not registered")
        self._db_due_at = float("-inf")  # a redelivered dead letter, say
        # Only an operator action (it bumps `control`) overrides what this dispatcher
        # knows: its own latest outcomes may not be committed yet.
        if row.control != self.control:
            if row.health.state is not self.health.state:
                log.info("webhooks %s: %s (an operator's action)", self.id, row.health.label)
            self.health, self.control = row.health, row.control
            self._ready.clear()
            self._forget_fresh()
        self._polled = asyncio.get_running_loop().time()

    async def run(
        self, stop: asyncio.Event, *, drain: bool = False, grace_s: float = 2.0
    ) -> Counts:
        """Deliver until `stop` is set; with `drain`, each message at most once (a failure
        waits for the next pass), until nothing is in flight and
        nothing is due now (a one-shot pass). In-flight attempts then get `grace_s` to
        end and be recorded; the rest are abandoned (sent again next time)."""
        p = self.policy
        client = Http1Client(p.timeout_s, p.max_in_flight)
        self._once = drain
        stopper = asyncio.create_task(self._wake_on(stop))
        try:
            self._reload()
            while not stop.is_set():
                self._wake.clear()
                try:
                    wait = self._start_due(client)
                except SQLAlchemyError as exc:
                    log.warning("webhooks %s: store error %s; retrying", self.id, exc)
                    wait = self.control_poll_s
                if drain and not self._tasks and (wait is None or wait > 0):
                    break
                timeout = self.control_poll_s if wait is None else min(wait, self.control_poll_s)
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(timeout):
                        await self._wake.wait()
        finally:
            stopper.cancel()
            await self._finish(grace_s)
            await client.aclose()
        return self.counts

    def _start_due(self, client: Http1Client) -> float | None:
        """Start what may start now; the seconds until something may (None: until woken)."""
        if asyncio.get_running_loop().time() - self._polled >= self.control_poll_s:
            self._reload()
        now = self._now()
        h = self.health
        if h.state is State.disabled:
            return self.control_poll_s
        busy = self._inflight.keys() | self._settling
        if h.state is State.paused:
            if busy:
                return None
            if h.next_probe_at is not None and now < h.next_probe_at:
                return h.next_probe_at - now
            head = self.outbox.head(self.id)
            if head is None or head[0].webhook_id in self._tried:
                return None  # nothing to probe with until something is queued
            self._start(head[0], client, probe=True)
            return None
        if self.policy.ordered:
            if busy:
                return None
            head = self.outbox.head(self.id)
            if head is None or head[0].webhook_id in self._tried:
                return None
            msg, due = head
            if due > now:
                return due - now
            self._start(msg, client, probe=False)
            return None
        room = self.policy.max_in_flight - len(self._inflight)
        if self.policy.limited(h):
            if busy:
                return None
            later = self._started_at + self.policy.failing_every_s - now
            if later > 0:
                return later
            room = 1
        fetched = False
        while room > 0:
            first = self._next(now, busy, fetched)
            fetched = True
            if first is None:
                break
            self._start(first, client, probe=False)
            busy.add(first.webhook_id)
            room -= 1
        if room == 0 or self._fresh or self._db_due_at == float("inf"):
            return None
        return max(0.0, self._db_due_at - now)

    def _next(self, now: float, busy: set[str], fetched: bool) -> Pending | None:
        """The next message to send: what the store says is due (read ahead, in ledger
        order: retries fall due among older messages), then the freshly queued ones."""
        while True:
            if not self._ready and not fetched and now >= self._db_due_at:
                got = self.outbox.due(self.id, now, busy | self._tried, READ_AHEAD)
                self._ready.extend(got)
                fetched = True
                ids = {m.webhook_id for m in got}
                if ids & self._fresh_ids:  # committed meanwhile: read from the store now
                    self._fresh = deque(m for m in self._fresh if m.webhook_id not in ids)
                    self._fresh_ids -= ids
                if len(got) < READ_AHEAD:  # all that is due now: when is the next one?
                    later = self.outbox.next_due_at(self.id, busy | ids | self._tried)
                    self._db_due_at = float("inf") if later is None else later
            if self._ready:
                msg = self._ready.popleft()
            elif self._fresh:
                msg = self._fresh.popleft()
                self._fresh_ids.discard(msg.webhook_id)
            else:
                return None
            if msg.webhook_id not in busy and msg.webhook_id not in self._tried:
                return msg

    def _start(self, msg: Pending, client: Http1Client, *, probe: bool) -> None:
        self._started_at = self._now()
        if self._once:
            self._tried.add(msg.webhook_id)
        task = asyncio.create_task(self._attempt(msg, client, probe))
        self._inflight[msg.webhook_id] = task
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _attempt(self, msg: Pending, client: Http1Client, probe: bool) -> None:
        settling = False
        try:
            sub = self.route.subscription
            resp = await post(client, sub, msg.webhook_id, msg.payload, int(self._now()))
            now = self._now()
            verdict = classify(resp.status)
            next_at = (
                self.policy.next_attempt_at(msg.failed + 1, now, resp.retry_after)
                if verdict is Verdict.retry
                else None
            )
            why = resp.error or str(resp.status)
            self.health = after_attempt(self.health, verdict, now, self.policy, why)
            if self.health.state is not State.active:
                self._ready.clear()
                self._forget_fresh()
            for change in self.health.changes:
                log.warning("webhooks %s: %s (%s)", self.id, change, self.health.reason or why)
            # Once paused, a failure no longer uses up the message's schedule: a paused
            # subscriber's backlog is kept whole (an attempt under way when it paused too).
            keep = probe or self.health.state is not State.active
            st = Settled(msg, verdict, resp, now, next_at, keep, self.health, self.control)
            if next_at is not None:
                self._db_due_at = min(self._db_due_at, next_at)
            self._count(st)
            # The request slot is free now; the message stays out of reach until its
            # outcome is committed (commits are grouped: they do not pace the requests).
            settling = True
            self._settling.add(msg.webhook_id)
            self._inflight.pop(msg.webhook_id, None)
            self._wake.set()
            if not await self.writer.settle(st):
                self._reload()  # an operator acted meanwhile: their word stands
            if self.on_settled is not None:
                self.on_settled(st)
        except SQLAlchemyError as exc:
            # Not recorded: the message stays queued and is sent again (same webhook-id).
            log.warning("webhooks %s: could not record an attempt (%s)", self.id, exc)
        finally:
            if settling:
                self._settling.discard(msg.webhook_id)
            self._inflight.pop(msg.webhook_id, None)
            self._wake.set()

    def _count(self, st: Settled) -> None:
        c = self.counts
        c.attempts += 1
        if st.verdict is Verdict.ack:
            c.delivered += 1
            return
        c.failed += 1
        c.dead_lettered += st.dead

    async def _finish(self, grace_s: float) -> None:
        tasks = list(self._tasks)
        if not tasks:
            return
        _, late = await asyncio.wait(tasks, timeout=grace_s)
        for t in late:
            t.cancel()
        await asyncio.gather(*late, return_exceptions=True)
