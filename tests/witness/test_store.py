"""The witness state store on SQLite and PostgreSQL: compare-and-swap and evidence."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import Engine

from truceline.ledger.witness.store import UnknownLog, WitnessStore
from truceline.store.base import open_store

ORIGIN = "example.org/log"
R1, R2, R3 = b"\x01" * 32, b"\x02" * 32, b"\x03" * 32


def test_unknown_origin(engine: Engine) -> None:
    store = WitnessStore(engine, "w1")
    assert store.keys(ORIGIN) == []
    with pytest.raises(UnknownLog):
        store.state(ORIGIN)


def test_add_log_starts_at_zero_and_is_idempotent(engine: Engine) -> None:
    store = WitnessStore(engine, "w1")
    store.add_log(ORIGIN, "k1")
    store.add_log(ORIGIN, "k1")
    store.add_log(ORIGIN, "k2")
    assert store.keys(ORIGIN) == ["k1", "k2"]
    st = store.state(ORIGIN)
    assert (st.size, st.root, st.checkpoint) == (0, None, None)
    # Another witness in the same database knows nothing of it.
    assert WitnessStore(engine, "w2").keys(ORIGIN) == []


def test_advance_is_compare_and_swap(engine: Engine) -> None:
    store = WitnessStore(engine, "w1")
    store.add_log(ORIGIN, "k1")
    s0 = store.state(ORIGIN)
    assert store.advance(s0, 5, R1, b"cp5", now=1)
    # A second request checked against the same old state loses.
    assert not store.advance(s0, 3, R2, b"cp3", now=2)
    s5 = store.state(ORIGIN)
    assert (s5.size, s5.root, s5.checkpoint) == (5, R1, b"cp5")
    # The root is part of the comparison, not only the size.
    forged = type(s5)(ORIGIN, 5, R2, b"x")
    assert not store.advance(forged, 9, R3, b"cp9", now=3)
    assert store.advance(s5, 9, R3, b"cp9", now=3)
    assert store.state(ORIGIN).size == 9


def test_concurrent_advances_from_one_state_let_exactly_one_win(engine: Engine) -> None:
    store = WitnessStore(engine, "w1")
    store.add_log(ORIGIN, "k1")
    s0 = store.state(ORIGIN)
    barrier = threading.Barrier(8)
    wins: list[int] = []

    def attempt(size: int) -> None:
        barrier.wait()
        if store.advance(s0, size, bytes([size]) * 32, b"cp", now=size):
            wins.append(size)

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(1, 9)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(wins) == 1
    assert store.state(ORIGIN).size == wins[0]


def test_evidence_is_kept_once_and_listed(engine: Engine) -> None:
    store = WitnessStore(engine, "w1")
    assert store.record_evidence(ORIGIN, "kind", b"a", b"b", 3, [R1, R2], "why", now=7)
    assert not store.record_evidence(ORIGIN, "kind", b"a", b"b", 3, [R1, R2], "why", now=8)
    assert store.record_evidence(ORIGIN, "kind", b"a", b"c", 3, [], "why", now=9)
    ev = store.evidence()
    assert [(e.offered, e.proof, e.observed_at) for e in ev] == [(b"b", (R1, R2), 7), (b"c", (), 9)]
    assert WitnessStore(engine, "w2").evidence() == []


def test_tables_are_created_on_an_engine_opened_without_them(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from truceline.ledger.policy import PolicyBuilder
    from truceline.ledger.witnessing import Cosigner, WitnessSizes

    engine = open_store(f"sqlite:///{tmp_path / 'bare.db'}", create=False)
    store = WitnessStore(engine, "w1")
    store.add_log(ORIGIN, "k1")
    assert store.state(ORIGIN).size == 0
    Cosigner(PolicyBuilder().quorum("none").build(), engine).close()
    assert WitnessSizes(engine, ORIGIN).get() == {}
    engine.dispose()
