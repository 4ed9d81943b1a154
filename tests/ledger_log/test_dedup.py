"""The dedup index alone, on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import Engine

from truceline.ledger.dedup import DedupIndex, entry_digest


def test_record_lookup_truncate(engine: Engine) -> None:
    a = DedupIndex(engine, "log.a")
    b = DedupIndex(engine, "log.b")  # another log in the same store: separate indices
    assert a.log_id != b.log_id
    a.record([(entry_digest(b"x"), 0), (entry_digest(b"y"), 1)], 2)
    assert a.indexed_size() == 2 and b.indexed_size() == 0
    assert a.lookup([entry_digest(b"y"), entry_digest(b"z")]) == {entry_digest(b"y"): 1}
    assert b.lookup([entry_digest(b"y")]) == {}
    a.truncate(1)
    assert a.indexed_size() == 1
    assert a.lookup([entry_digest(b"x"), entry_digest(b"y")]) == {entry_digest(b"x"): 0}
    assert DedupIndex(engine, "log.a").log_id == a.log_id  # reopening finds the same log


def test_catch_up_in_chunks_first_index_wins(engine: Engine) -> None:
    idx = DedupIndex(engine, "log.c")
    idx.record([(entry_digest(b"e0"), 0)], 1)
    stream = [(1, b"e1"), (2, b"e2"), (3, b"e1"), (4, b"e0"), (5, b"e5"), (6, b"e2"), (7, b"e7")]
    idx.catch_up(1, iter(stream), 8, chunk=2)
    assert idx.indexed_size() == 8
    got = idx.lookup(entry_digest(e) for e in (b"e0", b"e1", b"e2", b"e5", b"e7"))
    assert got == {
        entry_digest(b"e0"): 0,
        entry_digest(b"e1"): 1,
        entry_digest(b"e2"): 2,
        entry_digest(b"e5"): 5,
        entry_digest(b"e7"): 7,
    }


def test_large_lookup_is_chunked(engine: Engine) -> None:
    idx = DedupIndex(engine, "log.d")
    rows = [(entry_digest(str(i).encode()), i) for i in range(2500)]
    idx.record(rows, 2500)
    got = idx.lookup(d for d, _ in rows)
    assert got == dict(rows)
