"""A batching sequencer: many producer threads, one integrating thread, one fsync round per batch.

Producers call `submit(entry)` and get a `concurrent.futures.Future[int]`. A
single worker thread takes whatever is queued (up to `max_batch` entries,
waiting at most `max_interval` seconds after the first one for more) and hands
the batch to `Ledger.append`, which returns only once the batch is durable and a
checkpoint covers it. Only then are the futures resolved, so a resolved index
survives kill -9 and power loss. The fsyncs, the checkpoint signature and the
metadata commit are paid once per batch, not per entry.

At tens of thousands of entries per second the stock `Future` is itself a cost
(one `threading.Condition` per entry, a `notify_all` per result, and the
garbage collector walking all of them). `IndexFuture` therefore shares one
condition among the futures queued between two batch cuts and the worker
resolves a whole batch under it with one notify. Its `result()`/`exception()`
re-check their own state after every wake-up, so sharing is safe. It relies on
the (long-stable) private fields of `concurrent.futures.Future`; everything else
(`done`, `add_done_callback`, `concurrent.futures.wait`, `asyncio.wrap_future`)
is the stock behaviour.
"""

from __future__ import annotations

import threading
from collections import deque
from concurrent.futures import Future
from concurrent.futures import _base as fb
from time import monotonic
from typing import Any

from truceline.errors import TrucelineError
from truceline.ledger.base import Ledger
from truceline.ledger.tilelog import check_entry

_DONE = (fb.FINISHED, fb.CANCELLED, fb.CANCELLED_AND_NOTIFIED)


class SequencerClosed(TrucelineError, RuntimeError):
    """submit() after close()."""


class IndexFuture(Future[int]):
    """A Future sharing its condition with the other futures of one queue generation."""

    def __init__(self, condition: threading.Condition) -> None:
        # Deliberately not super().__init__(): that allocates a Condition per entry.
        self._condition = condition
        self._state = fb.PENDING
        self._result: Any = None
        self._exception: BaseException | None = None
        self._waiters: list[Any] = []
        self._done_callbacks: list[Any] = []

    def _wait_done(self, timeout: float | None) -> None:
        with self._condition:
            end = None if timeout is None else monotonic() + timeout
            while self._state not in _DONE:
                left = None if end is None else end - monotonic()
                if left is not None and left <= 0:
                    return
                self._condition.wait(left)  # may be for a sibling: loop and re-check

    def result(self, timeout: float | None = None) -> int:
        self._wait_done(timeout)
        return super().result(0)

    def exception(self, timeout: float | None = None) -> BaseException | None:
        self._wait_done(timeout)
        return super().exception(0)


class _Held:
    """Hold the distinct conditions of a batch (usually one) for a bulk state change."""

    def __init__(self, batch: list[IndexFuture]) -> None:
        self.conditions = list({id(f._condition): f._condition for f in batch}.values())

    def __enter__(self) -> _Held:
        for c in self.conditions:
            c.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        for c in self.conditions:
            c.release()


def _start(batch: list[IndexFuture]) -> list[bool]:
    """`set_running_or_notify_cancel` for a whole batch, under one lock acquisition."""
    live = []
    with _Held(batch):
        for f in batch:
            if f._state == fb.CANCELLED:
                f._state = fb.CANCELLED_AND_NOTIFIED
                for w in f._waiters:
                    w.add_cancelled(f)
                live.append(False)
            else:
                f._state = fb.RUNNING
                live.append(True)
    return live


def _resolve(
    batch: list[IndexFuture], results: list[int] | None, exc: BaseException | None
) -> None:
    """Finish a batch: set every state under the shared condition(s), then notify once each."""
    with _Held(batch) as held:
        for i, f in enumerate(batch):
            if exc is None:
                assert results is not None
                f._result = results[i]
                f._state = fb.FINISHED
                for w in f._waiters:
                    w.add_result(f)
            else:
                f._exception = exc
                f._state = fb.FINISHED
                for w in f._waiters:
                    w.add_exception(f)
        for c in held.conditions:
            c.notify_all()
    for f in batch:
        if f._done_callbacks:
            f._invoke_callbacks()  # type: ignore[attr-defined]


class Sequencer:
    def __init__(
        self,
        ledger: Ledger,
        *,
        max_batch: int = 4096,
        max_interval: float = 0.05,
        max_pending: int | None = None,
    ) -> None:
        if max_batch < 1:
            raise ValueError(f"max_batch {max_batch}: must be at least 1")
        if max_interval < 0:
            raise ValueError(f"max_interval {max_interval}: must not be negative")
        self.ledger = ledger
        self.max_batch = max_batch
        self.max_interval = max_interval
        # Backpressure: producers wait while this many entries are queued or being appended
        # (unacknowledged). Besides bounding memory it limits how long CPU-bound producers
        # compete with the worker for the GIL; max_pending == max_batch makes producers and
        # worker take turns (no overlap, no contention).
        self.max_pending = max_pending if max_pending is not None else 2 * max_batch
        if self.max_pending < max_batch:
            raise ValueError(
                f"max_pending {self.max_pending}: must be at least max_batch {max_batch}"
            )
        self._queue: deque[tuple[bytes, IndexFuture]] = deque()
        lock = threading.Lock()
        self._cv = threading.Condition(lock)  # the worker waits here for entries
        self._room = threading.Condition(lock)  # producers wait here for queue space
        self._generation = threading.Condition()
        self._closed = False
        self._inflight = 0  # entries taken by the worker, not yet resolved
        self.batches = 0
        self._last: IndexFuture | None = None
        self._worker = threading.Thread(target=self._run, name="tlog-sequencer", daemon=True)
        self._worker.start()

    def submit(self, entry: bytes) -> Future[int]:
        """Queue one entry; the future resolves to its index once durable (or to the error)."""
        # Reject bad entries here, not inside (and so failing) someone else's batch.
        check_entry("entry", entry)
        with self._cv:
            while len(self._queue) + self._inflight >= self.max_pending and not self._closed:
                self._room.wait()
            if self._closed:
                raise SequencerClosed("sequencer is closed")
            fut = IndexFuture(self._generation)
            self._queue.append((entry if type(entry) is bytes else bytes(entry), fut))
            self._last = fut
            n = len(self._queue)
            if n == 1 or n >= self.max_batch:
                self._cv.notify()
        return fut

    def _take(self) -> list[tuple[bytes, IndexFuture]] | None:
        with self._cv:
            while not self._queue and not self._closed:
                self._cv.wait()
            if not self._queue:
                return None  # closed and drained
            deadline = monotonic() + self.max_interval
            while len(self._queue) < self.max_batch and not self._closed:
                left = deadline - monotonic()
                if left <= 0:
                    break
                self._cv.wait(left)
            n = min(len(self._queue), self.max_batch)
            batch = [self._queue.popleft() for _ in range(n)]
            self._generation = threading.Condition()  # later submits wait on a fresh one
            self._inflight = n
            if len(self._queue) + n < self.max_pending:
                self._room.notify_all()
            return batch

    def _run(self) -> None:
        while True:
            batch = self._take()
            if batch is None:
                return
            started = _start([f for _, f in batch])
            live = [ef for ef, ok in zip(batch, started, strict=True) if ok]
            if not live:
                self._done_batch()
                continue
            futures = [f for _, f in live]
            try:
                indices = self.ledger.append([e for e, _ in live])
            except BaseException as exc:  # every waiter must learn about the failure
                _resolve(futures, None, exc)
                self._done_batch()
                continue
            self.batches += 1
            _resolve(futures, indices, None)
            self._done_batch()

    def _done_batch(self) -> None:
        with self._cv:
            self._inflight = 0
            self._room.notify_all()

    def flush(self) -> None:
        """Wait until everything submitted so far is durable (batches complete in FIFO order)."""
        with self._cv:
            last = self._last
        if last is not None:
            last.exception()

    def close(self) -> None:
        """Finish the queued entries, then stop the worker."""
        with self._cv:
            self._closed = True
            self._cv.notify_all()
            self._room.notify_all()
        self._worker.join()

    def __enter__(self) -> Sequencer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
