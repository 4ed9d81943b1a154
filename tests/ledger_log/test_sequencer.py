"""The batching sequencer: concurrent producers, futures resolve after durability, errors reach every waiter."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import pytest
from sqlalchemy import Engine

from truceline.ledger.base import Ledger
from truceline.ledger.logsign import Ed25519NoteSigner
from truceline.ledger.sequencer import Sequencer, SequencerClosed
from truceline.ledger.tilelog import EntryTooLarge

from .conftest import LogFactory


def test_concurrent_producers(
    make_log: LogFactory, engine: Engine, signer: Ed25519NoteSigner
) -> None:
    log = make_log(engine)
    per, producers = 300, 4
    results: dict[bytes, int] = {}
    lock = threading.Lock()

    with Sequencer(log, max_batch=128, max_interval=0.01) as seq:

        def produce(p: int) -> None:
            futs = [(e, seq.submit(e)) for e in (f"p{p}-{i}".encode() for i in range(per))]
            for e, f in futs:
                idx = f.result()
                # Resolved means durable and covered by the published checkpoint.
                assert idx < log.size
                with lock:
                    results[e] = idx

        threads = [threading.Thread(target=produce, args=(p,)) for p in range(producers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        # A duplicate resolves to the first index.
        assert seq.submit(b"p0-0").result() == results[b"p0-0"]
        assert seq.batches >= (per * producers) // 128
    assert sorted(results.values()) == list(range(per * producers))
    for e, idx in results.items():
        assert log.read(idx, idx + 1) == [e]


def test_oversize_rejected_at_submit(make_log: LogFactory, sqlite_engine: Engine) -> None:
    with (
        Sequencer(make_log(sqlite_engine)) as seq,
        pytest.raises(EntryTooLarge, match="65536 bytes"),
    ):
        seq.submit(b"x" * 65536)


class Broken(Ledger):
    def append(self, entries: Sequence[bytes]) -> list[int]:
        raise OSError("disk full")

    @property
    def size(self) -> int:
        return 0

    def read(self, start: int, stop: int) -> list[bytes]:
        return []

    def checkpoint(self) -> bytes:
        return b""

    def prove(self, index: int) -> bytes:
        return b""


def test_failure_reaches_every_waiter() -> None:
    with Sequencer(Broken(), max_batch=4, max_interval=0.5) as seq:
        futs = [seq.submit(bytes([i])) for i in range(6)]
        for f in futs:
            with pytest.raises(OSError, match="disk full"):
                f.result()


def test_close_drains_then_refuses(make_log: LogFactory, sqlite_engine: Engine) -> None:
    log = make_log(sqlite_engine)
    seq = Sequencer(log, max_batch=1000, max_interval=10.0)
    futs = [seq.submit(f"{i}".encode()) for i in range(10)]
    seq.close()  # must not wait the 10 s interval, and must finish the queue
    assert [f.result() for f in futs] == list(range(10))
    with pytest.raises(SequencerClosed):
        seq.submit(b"late")


def test_flush_waits_for_durability(make_log: LogFactory, sqlite_engine: Engine) -> None:
    log = make_log(sqlite_engine)
    with Sequencer(log, max_batch=1000, max_interval=0.05) as seq:
        futs = [seq.submit(f"{i}".encode()) for i in range(50)]
        seq.flush()
        assert all(f.done() for f in futs)
        assert log.size == 50


def test_bad_parameters() -> None:
    with pytest.raises(ValueError, match="max_batch"):
        Sequencer(Broken(), max_batch=0)
    with pytest.raises(ValueError, match="max_pending"):
        Sequencer(Broken(), max_batch=10, max_pending=5)


def test_futures_behave_like_stock_futures(make_log: LogFactory, sqlite_engine: Engine) -> None:
    import asyncio
    import concurrent.futures as cf

    log = make_log(sqlite_engine)
    seen: list[int] = []
    with Sequencer(log, max_batch=8, max_interval=0.2) as seq:
        futs = [seq.submit(f"{i}".encode()) for i in range(20)]
        futs[0].add_done_callback(lambda f: seen.append(f.result()))
        done, pending = cf.wait(futs, timeout=30)
        assert not pending and len(done) == 20
        assert seen == [0]
        assert futs[5].exception() is None

        async def awaited() -> int:
            return await asyncio.wrap_future(seq.submit(b"async"))

        assert asyncio.run(awaited()) == 20
        # A future cancelled while still queued is skipped, the others go on.
        blocker = threading.Event()
        slow = Sequencer(Blocking(log, blocker), max_batch=1, max_interval=0)
        first = slow.submit(b"first")
        second = slow.submit(b"second")
        assert second.cancel()
        blocker.set()
        assert first.result(timeout=30) == 21
        assert second.cancelled()
        slow.close()
        assert log.size == 22  # 20 + "async" + "first"; "second" never went in


def test_result_timeout_on_a_pending_future() -> None:
    blocker = threading.Event()
    with Sequencer(Blocking(None, blocker), max_batch=1, max_interval=0) as seq:
        fut = seq.submit(b"x")
        with pytest.raises(TimeoutError):
            fut.result(timeout=0.05)
        blocker.set()
        assert fut.result(timeout=30) == 0


class Blocking(Broken):
    """Waits for an event, then appends to `inner` (or numbers from 0)."""

    def __init__(self, inner: Ledger | None, event: threading.Event) -> None:
        self.inner, self.event, self.n = inner, event, 0

    def append(self, entries: Sequence[bytes]) -> list[int]:
        self.event.wait(30)
        if self.inner is not None:
            return self.inner.append(entries)
        self.n += len(entries)
        return list(range(self.n - len(entries), self.n))
