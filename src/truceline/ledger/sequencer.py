"""A batching sequencer: many producer threads, one integrating thread, one fsync round per batch.

Producers call `submit(entry)` and get a `Future[int]`. A single worker thread
takes whatever is queued (up to `max_batch` entries, waiting at most
`max_interval` seconds after the first one for more to arrive) and hands the
batch to `Ledger.append`, which returns only once the batch is durable and a
checkpoint covers it. Only then are the futures resolved, so a resolved index
survives kill -9 and power loss. The cost of the fsyncs, the checkpoint
signature and the metadata commit is paid once per batch, not per entry.
"""

from __future__ import annotations

import threading
from collections import deque
from concurrent.futures import Future
from time import monotonic

from truceline.ledger.base import Ledger
from truceline.ledger.tilelog import check_entries


class SequencerClosed(RuntimeError):
    """submit() after close()."""


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
        # Backpressure: producers wait while this many entries are queued. Besides bounding
        # memory, it keeps CPU-bound producers from starving the worker of the GIL.
        self.max_pending = max_pending if max_pending is not None else 2 * max_batch
        if self.max_pending < max_batch:
            raise ValueError(f"max_pending {self.max_pending}: must be at least max_batch {max_batch}")
        self._queue: deque[tuple[bytes, Future[int]]] = deque()
        self._cv = threading.Condition()
        self._room = threading.Condition(self._cv)
        self._closed = False
        self.batches = 0
        self._last: Future[int] | None = None
        self._worker = threading.Thread(target=self._run, name="tlog-sequencer", daemon=True)
        self._worker.start()

    def submit(self, entry: bytes) -> Future[int]:
        """Queue one entry; the future resolves to its index once durable (or to the error)."""
        check_entries([entry])  # reject oversize entries here, not inside someone else's batch
        fut: Future[int] = Future()
        with self._cv:
            while len(self._queue) >= self.max_pending and not self._closed:
                self._room.wait()
            if self._closed:
                raise SequencerClosed("sequencer is closed")
            self._queue.append((bytes(entry), fut))
            self._last = fut
            if len(self._queue) == 1 or len(self._queue) >= self.max_batch:
                self._cv.notify()
        return fut

    def _take(self) -> list[tuple[bytes, Future[int]]] | None:
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
            self._room.notify_all()
            return batch

    def _run(self) -> None:
        while True:
            batch = self._take()
            if batch is None:
                return
            live = [(e, f) for e, f in batch if f.set_running_or_notify_cancel()]
            if not live:
                continue
            entries = [e for e, _ in live]
            futures = [f for _, f in live]
            try:
                indices = self.ledger.append(entries)
            except BaseException as exc:  # every waiter must learn about the failure
                for f in futures:
                    f.set_exception(exc)
                continue
            self.batches += 1
            for f, idx in zip(futures, indices, strict=True):
                f.set_result(idx)

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
