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
import functools
import logging
import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from truceline.authority import Authority
from truceline.clock import Clock, SystemClock
from truceline.home import Home
from truceline.ledger.base import Ledger
from truceline.publication.dispatch import Counts, Dispatcher
from truceline.publication.notify import Route, load_routes, logged_events
from truceline.publication.outbox import Outbox, Settled, messages_for
from truceline.publication.status import subscriber_status
from truceline.publication.storethread import StoreThread

log = logging.getLogger(__name__)

SCAN_CHUNK = 4096  # log entries queued per transaction
CURSOR_EVERY_S = 5.0  # cursors of a log range with nothing to send are saved this often


class _Gap(RuntimeError):
    """A log range's commit came after one that failed: it is read again."""


class Notifier:
    def __init__(
        self,
        ledger: Ledger,
        store: Engine,
        routes: Sequence[Route],
        *,
        clock: Clock | None = None,
        control_poll_s: float = 1.0,
        on_settled: Callable[[Settled], None] | None = None,
    ) -> None:
        self.ledger = ledger
        self.routes = list(routes)
        # Who may write what, folded over the log as it is read: only transitions an
        # enforcement principal the agreement names signed are sent.
        self.authority = Authority()
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
        self._synced = False  # a commit succeeded since the last failure: new ranges go out at once
        self._committed = 0  # (store thread) the log range queued so far
        self._commits: list[asyncio.Future[dict[str, int]]] = []
        # Only a log range no notifier has queued yet is handed over before its commit:
        # at or past every stored cursor (as read at the first look), and never twice.
        self._fresh_from = 0
        self._offered_to = 0
        self._saved_at = float("-inf")  # when the cursors were last saved

    def _wanted(self, event: str) -> bool:
        return any(r.wants(event) for r in self.routes)

    def _size(self) -> int:
        refresh = getattr(self.ledger, "refresh", None)
        return int(refresh()) if refresh is not None else self.ledger.size

    def _queue(self, start: int, end: int, events: list[dict[str, Any]]) -> dict[str, int]:
        """(On the store thread.) Queue `events`, the transitions of the log range
        [start, end), for every subscriber, and move the cursors to `end`.

        Ranges are committed in log order; if one failed, the ranges after it are
        refused (`_Gap`) and the notifier reads the log again from the failed one.

        Most of the log is observations: a range without a transition for anyone is
        only remembered in memory, and the cursors are saved with the next range that
        has one (or every CURSOR_EVERY_S): on restart such a range is read again, and
        what it holds was queued or delivered already, which `Outbox.enqueue` skips."""
        if start != self._committed:
            raise _Gap(f"log range [{start}, {end}) after an uncommitted one ({self._committed})")
        now = self.clock.now().timestamp()
        wanted = any(r.wants(ev["event"]) for ev in events for r in self.routes)
        queued: dict[str, int] = {}
        if wanted or now - self._saved_at >= CURSOR_EVERY_S:
            queued = self.outbox.enqueue(self.routes, events, end, now)
            self._saved_at = now
        self._committed = end
        return queued

    def _start(self) -> int:
        """(On the store thread.) Where the first look at the log starts: the lowest cursor."""
        mine = {r.subscription.id for r in self.routes}
        cursors = [s.next_index for s in self.outbox.subscribers() if s.id in mine]
        self._committed = min(cursors, default=0)
        self._fresh_from = max(cursors, default=0)
        return self._committed

    async def enqueue(self) -> None:
        """Queue what the log gained since the last look, and hand it to the dispatchers.

        A range that an earlier run (or a failed commit) may have queued waits for its
        commit, and the dispatchers read it from the store. A range past all of that
        goes to the dispatchers at once, and the commits that queue it run behind, in
        order, without holding up the next look: nothing a receiver gets waits for the
        store."""
        self._reap()
        if self._scanned is None:
            self._scanned = await self.writer.run(self._start)
        size = self._size()
        for lo in range(self._scanned, size, SCAN_CHUNK):
            hi = min(size, lo + SCAN_CHUNK)
            events = list(logged_events(self.ledger, self.authority, lo, hi, self._wanted))
            offer = self._synced and lo >= max(self._fresh_from, self._offered_to)
            commit = asyncio.ensure_future(self.writer.run(self._queue, lo, hi, events))
            commit.add_done_callback(functools.partial(self._committed_range, offered=offer))
            self._commits.append(commit)
            self._scanned = hi
            if offer:
                for r in self.routes:
                    self.dispatchers[r.subscription.id].offer(messages_for(r, events))
                self._offered_to = hi
                continue
            await asyncio.wait([commit])
            self._reap()
            if self._scanned is None:
                return  # it failed: read again at the next look
            self._synced = True

    def _committed_range(self, commit: asyncio.Future[dict[str, int]], *, offered: bool) -> None:
        if commit.cancelled() or commit.exception() is not None:
            return
        for sid, k in commit.result().items():
            if k:
                self.dispatchers[sid].queued(offered)
            self.queued += k

    def _reap(self) -> None:
        """Drop finished commits; after a failed one, read the log again from the store's
        cursors, awaiting that commit (what the failed range held may be anywhere)."""
        failed = None
        for c in self._commits:
            broken = c.done() and not c.cancelled() and c.exception() is not None
            if broken and not isinstance(c.exception(), _Gap) and failed is None:
                failed = c.exception()
        self._commits = [c for c in self._commits if not c.done()]
        if failed is not None:
            log.warning("notifier: queueing the log failed (%s); reading it again", failed)
            self._scanned, self._synced = None, False

    async def drain(self) -> None:
        """Wait for the queueing commits under way."""
        if self._commits:
            await asyncio.wait(self._commits)
        self._reap()

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
            await self.drain()
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
            await self.drain()
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
    routes = load_routes(config or home.root / "publication.yaml", env)
    store = home.store()
    try:
        with home_lock(home):
            ledger = home.reader()
            try:
                n = Notifier(
                    ledger,
                    store,
                    routes,
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
