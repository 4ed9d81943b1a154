"""The notifier's store writes, on one thread, with group commit.

Every subscriber's attempts end on one event loop; recording each in its own
transaction would make a healthy subscriber's acknowledgement wait behind the
fsyncs of a dead one's failures. Here the outcomes that end while a commit is
running all go in the next one, so a burst of failures costs one commit, and an
acknowledgement waits at most for one commit in progress before its own.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from truceline.publication.outbox import Outbox, Settled

T = TypeVar("T")


class StoreThread:
    def __init__(self, outbox: Outbox) -> None:
        self.outbox = outbox
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="notify-store")
        self._pending: list[tuple[Settled, asyncio.Future[bool]]] = []
        self._flusher: asyncio.Task[None] | None = None
        self.commits = 0  # settle transactions committed (for benchmarks)

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """Any blocking store work, in turn with the settle commits."""
        return await asyncio.get_running_loop().run_in_executor(self._pool, fn, *args)

    async def settle(self, st: Settled) -> bool:
        """Record one attempt; returns when it is committed (see `Outbox.settle`)."""
        fut: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._pending.append((st, fut))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush())
        return await asyncio.shield(fut)

    async def _flush(self) -> None:
        while self._pending:
            batch, self._pending = self._pending, []
            try:
                written = await self.run(self.outbox.settle, [st for st, _ in batch])
            except Exception as exc:  # noqa: BLE001 - each waiter gets the store's error
                for _, fut in batch:
                    if not fut.done():
                        fut.set_exception(exc)
                continue
            self.commits += 1
            for (_, fut), ok in zip(batch, written, strict=True):
                if not fut.done():
                    fut.set_result(ok)

    async def close(self) -> None:
        """Commit what is pending, then stop the thread."""
        if self._flusher is not None:
            await asyncio.shield(self._flusher)
        self._pool.shutdown(wait=True)
