"""The notifier: the log's enforcement transitions queued per subscriber and delivered.

`Notifier.follow` is the process's main loop: it polls the log's published size (a
small file read), queues what is new for every subscriber (outbox.py: queue and
cursor in one transaction) and wakes their dispatchers (dispatch.py), which deliver
concurrently, each at its own pace. `Notifier.run_once` is one pass: queue, make
every attempt due now, return.

`serve(home, stop)` opens a home's log, store and HOME/publication.yaml and runs
either; it is what `truceline notify [--follow]` calls and what a supervisor calls.
One notifier per home: it holds HOME/notify.lock while it runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from truceline.clock import Clock, SystemClock
from truceline.ledger.base import Ledger
from truceline.mission.home import Home
from truceline.publication.dispatch import Counts, Dispatcher
from truceline.publication.notify import Route, load_routes, logged_events
from truceline.publication.outbox import Outbox, Settled, messages_for
from truceline.publication.status import subscriber_status
from truceline.publication.storethread import StoreThread

log = logging.getLogger(__name__)

SCAN_CHUNK = 4096  # log entries queued per transaction
CURSOR_EVERY_S = 5.0  # cursors of a log range with nothing to send are saved this often


class Notifier:
    def __init__(
        self,
        ledger: Ledger,
        store: Engine,
        routes: Sequence[Route],
        trusted_keyids: Iterable[str],
        *,
        clock: Clock | None = None,
        control_poll_s: float = 1.0,
        on_settled: Callable[[Settled], None] | None = None,
    ) -> None:
        self.ledger = ledger
        self.routes = list(routes)
        self.keyids = frozenset(trusted_keyids)
        self.clock = clock or SystemClock()
        self.outbox = Outbox(store)
        self.outbox.register(self.routes)
        self.writer = StoreThread(self.outbox)
        self.dispatchers = {
            r.subscription.id: Dispatcher(
                r,
                self.outbox,
                self.writer,
                self.clock,
                control_poll_s=control_poll_s,
                on_settled=on_settled,
            )
            for r in self.routes
        }
        self.queued = 0
        self._scanned: int | None = None  # log size looked at for every subscriber
        self._synced = False  # the last range's commit succeeded: new ranges go out at once
        self._saved_at = float("-inf")  # when the cursors were last saved

    def _size(self) -> int:
        refresh = getattr(self.ledger, "refresh", None)
        return int(refresh()) if refresh is not None else self.ledger.size

    def _queue(self, start: int, end: int, events: list[dict[str, Any]]) -> dict[str, int]:
        """(On the store thread.) Queue `events`, the transitions of the log range
        [start, end), for every subscriber, and move the cursors to `end`.

        Most of the log is observations: a range without a transition for anyone is
        only remembered in memory, and the cursors are saved with the next range that
        has one (or every CURSOR_EVERY_S): on restart such a range is read again, and
        what it holds was queued or delivered already, which `Outbox.enqueue` skips."""
        now = self.clock.now().timestamp()
        wanted = any(r.wants(ev["event"]) for ev in events for r in self.routes)
        if not wanted and now - self._saved_at < CURSOR_EVERY_S:
            return {}
        self._saved_at = now
        return self.outbox.enqueue(self.routes, events, end, now)

    def _start(self) -> int:
        """(On the store thread.) Where the first look at the log starts: the lowest cursor."""
        mine = {r.subscription.id for r in self.routes}
        subs = self.outbox.subscribers()
        return min((s.next_index for s in subs if s.id in mine), default=0)

    async def enqueue(self) -> int:
        """Queue what the log gained since the last look, and hand it to the dispatchers.

        The first look (and one after a failed commit) waits for its commit: what it
        reads may have been queued or delivered before. Later looks only read new log
        entries, so their messages go to the dispatchers at once, while the commit
        that queues them is under way: nothing a receiver gets waits for the store."""
        if self._scanned is None:
            self._scanned = await self.writer.run(self._start)
        size = self._size()
        n = 0
        for lo in range(self._scanned, size, SCAN_CHUNK):
            hi = min(size, lo + SCAN_CHUNK)
            events = list(logged_events(self.ledger, self.keyids, lo, hi))
            commit = asyncio.ensure_future(self.writer.run(self._queue, lo, hi, events))
            if self._synced and events:
                for r in self.routes:
                    self.dispatchers[r.subscription.id].offer(messages_for(r, events))
            try:
                queued = await commit
            except BaseException:
                self._synced = False  # the range is read again, and its commit awaited
                raise
            self._scanned, self._synced = hi, True
            for sid, k in queued.items():
                if k:
                    self.dispatchers[sid].wake()
                n += k
        self.queued += n
        return n

    async def run_once(self, grace_s: float = 2.0) -> dict[str, Counts]:
        """Queue the log, make every attempt due now, wait for them; counts per subscriber."""
        try:
            await self.enqueue()
            stop = asyncio.Event()
            counts = await asyncio.gather(
                *(d.run(stop, drain=True, grace_s=grace_s) for d in self.dispatchers.values())
            )
            return dict(zip(self.dispatchers, counts, strict=True))
        finally:
            await self.writer.close()

    async def follow(
        self, stop: asyncio.Event, poll_s: float = 0.05, grace_s: float = 2.0
    ) -> dict[str, Counts]:
        """Deliver as the log grows until `stop` is set; then in-flight attempts get
        `grace_s` to end and be recorded, and pending commits are made."""
        tasks = [
            asyncio.create_task(d.run(stop, grace_s=grace_s)) for d in self.dispatchers.values()
        ]
        try:
            while not stop.is_set():
                try:
                    await self.enqueue()
                except (SQLAlchemyError, OSError) as exc:
                    log.warning("notifier: cannot queue the log (%s); retrying", exc)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), poll_s)
        finally:
            stop.set()
            counts = await asyncio.gather(*tasks, return_exceptions=True)
            await self.writer.close()
        for c in counts:
            if isinstance(c, BaseException):
                raise c
        return dict(zip(self.dispatchers, counts, strict=True))  # type: ignore[arg-type]


@contextlib.contextmanager
def home_lock(home: Home) -> Iterator[None]:
    """HOME/notify.lock, held while a notifier runs (released by the kernel on kill -9)."""
    path = home.root / "notify.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise RuntimeError(
                f"--home {home.root}: another notifier is running ({path} is locked)"
            ) from exc
        yield
    finally:
        os.close(fd)


async def serve(
    home: Home,
    stop: asyncio.Event | None = None,
    *,
    config: Path | None = None,
    env: dict[str, str] | None = None,
    clock: Clock | None = None,
    poll_s: float = 0.05,
    grace_s: float = 2.0,
    control_poll_s: float = 1.0,
    on_settled: Callable[[Settled], None] | None = None,
) -> dict[str, Any]:
    """Run a home's notifier: one pass (`stop` None) or until `stop` is set.

    Raises FileNotFoundError / ValueError (a missing log, a bad publication.yaml) and
    RuntimeError (another notifier holds the home) before anything is sent. Returns
    what it did and each subscriber's status."""
    from truceline.enforcement.home import enforcement_key
    from truceline.ledger.home import open_log
    from truceline.store.base import open_store

    routes = load_routes(config or home.root / "publication.yaml", env)
    store = open_store(home.store_url)
    try:
        with home_lock(home):
            ledger = open_log(home, store, witnesses=False)
            try:
                _, keyid = enforcement_key(home)
                n = Notifier(
                    ledger,
                    store,
                    routes,
                    [keyid],
                    clock=clock,
                    control_poll_s=control_poll_s,
                    on_settled=on_settled,
                )
                if stop is None:
                    counts = await n.run_once(grace_s)
                else:
                    counts = await n.follow(stop, poll_s, grace_s)
                now = (clock or SystemClock()).now()
                return {
                    "queued": n.queued,
                    "delivered": sum(c.delivered for c in counts.values()),
                    "failed_attempts": sum(c.failed for c in counts.values()),
                    "dead_lettered": sum(c.dead_lettered for c in counts.values()),
                    "subscribers": subscriber_status(store, now, ledger.size),
                }
            finally:
                ledger.close()
    finally:
        store.dispose()
