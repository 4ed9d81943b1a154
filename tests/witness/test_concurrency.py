"""Two requests checked against the same state must not both be cosigned (tlog-witness race)."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import Engine

from truceline.clock import FixedClock
from truceline.ledger.witness.core import Conflict

from .conftest import make_witness
from .helpers import TestLog


@pytest.mark.parametrize("sizes", [(9, 12), (12, 9), (12, 12)])
def test_racing_requests_from_one_old_size_cosign_once(
    engine: Engine, clock: FixedClock, sizes: tuple[int, int]
) -> None:
    log = TestLog()
    log.grow(5)
    witness = make_witness(engine, "w", clock, log)
    witness.add_checkpoint(log.request(0))
    log.grow(7)
    # Both requests pass every check before either commits: the spec's rollback race.
    barrier = threading.Barrier(2, timeout=30)
    witness.before_commit = barrier.wait
    outcomes: dict[int, object] = {}

    def submit(i: int, size: int) -> None:
        try:
            outcomes[i] = witness.add_checkpoint(log.request(5, size))
        except Conflict as exc:
            outcomes[i] = exc

    threads = [threading.Thread(target=submit, args=(i, s)) for i, s in enumerate(sizes)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    won = [i for i, o in outcomes.items() if isinstance(o, bytes)]
    lost = [o for o in outcomes.values() if isinstance(o, Conflict)]
    assert len(won) == 1 and len(lost) == 1
    final = witness.store.state(log.origin)
    assert final.size == sizes[won[0]]
    assert lost[0].size == final.size  # the loser learns the winner's size
    assert final.root == log.root(final.size)


def test_many_concurrent_requests_never_roll_back(engine: Engine, clock: FixedClock) -> None:
    log = TestLog()
    log.grow(20)
    witness = make_witness(engine, "w", clock, log)
    witness.add_checkpoint(log.request(0, 4))
    cosigned: list[tuple[int, int]] = []
    lock = threading.Lock()

    def submit(old: int, size: int) -> None:
        try:
            witness.add_checkpoint(log.request(old, size))
        except Conflict:
            return
        with lock:
            cosigned.append((old, size))

    threads = [
        threading.Thread(target=submit, args=(old, size))
        for old in (4, 6, 9)
        for size in (6, 9, 13, 20)
        if size > old
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # Whatever interleaving happened, the cosigned sizes form one increasing chain from 4.
    chain = sorted(cosigned)
    at = 4
    for old, size in chain:
        assert old == at
        at = size
    assert witness.store.state(log.origin).size == at
