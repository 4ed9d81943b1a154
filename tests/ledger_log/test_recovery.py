"""Recovery on open after a batch died at each step of the write order (in-process fault injection).

The SIGKILL test (test_crash.py) covers real process death at random moments;
these pin down each step deterministically.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from truceline.ledger import merkle, tilelog
from truceline.ledger.audit import audit_log
from truceline.ledger.dedup import DedupIndex
from truceline.ledger.logsign import Ed25519NoteSigner
from truceline.ledger.storage import posix
from truceline.ledger.tilelog import TileLog

from .conftest import ORIGIN, LogFactory


class Died(BaseException):
    """Stands for the process dying: nothing after the failing step runs."""


def data(n: int, tag: str) -> list[bytes]:
    return [f"{tag}:{i}".encode() for i in range(n)]


def _die_on_writing(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """The process dies when the log is about to write the state file `name`."""
    real = posix.write_atomic

    def fake(path, payload, mode=0o644):  # type: ignore[no-untyped-def]
        if path.name == name:
            raise Died
        real(path, payload, mode)

    monkeypatch.setattr(posix, "write_atomic", fake)


def test_batch_dead_before_tree_state_is_discarded(
    make_log: LogFactory, engine: Engine, signer: Ed25519NoteSigner, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = make_log(engine)
    kept = data(300, "kept")
    log.append(kept)
    with monkeypatch.context() as m:
        _die_on_writing(m, tilelog.TREE_STATE)
        with pytest.raises(Died):
            log.append(data(700, "lost"))  # tiles and bundles were written, tree state not
    # The dead batch's files are on disk past the tree size...
    assert (log.log_dir / "tile/entries/002").exists()
    log = make_log(engine)
    # ...and the next open deletes them, keeping only what was committed.
    assert log.size == 300
    assert not (log.log_dir / "tile/entries/002").exists()
    assert not (log.log_dir / "tile/entries/003.p").exists()
    assert sorted(p.name for p in (log.log_dir / "tile/entries/001.p").iterdir()) == ["44"]
    # The dedup index ran ahead (it overlaps the writes) and was truncated.
    assert DedupIndex(engine, ORIGIN).indexed_size() == 300
    assert log.append([b"lost:0"]) == [300]  # not a duplicate: it never made it in
    assert log.read(0, 300) == kept
    assert audit_log(log.log_dir, signer.verifier()).ok


def test_batch_dead_before_checkpoint_is_finished(
    make_log: LogFactory, engine: Engine, signer: Ed25519NoteSigner, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = make_log(engine)
    log.append(data(10, "a"))
    with monkeypatch.context() as m:
        _die_on_writing(m, tilelog.CHECKPOINT)
        with pytest.raises(Died):
            log.append(data(20, "b"))
    assert b"\n10\n" in (log.log_dir / "checkpoint").read_bytes()
    log = make_log(engine)
    # The tree state committed 30 entries; recovery publishes the checkpoint for them.
    assert log.size == 30
    all_data = data(10, "a") + data(20, "b")
    assert log.root(30) == merkle.root([merkle.leaf_hash(e) for e in all_data])
    assert log.append([b"b:3"]) == [13]
    assert audit_log(log.log_dir, signer.verifier()).ok


def test_lost_dedup_index_is_rebuilt_from_bundles(
    make_log: LogFactory, engine: Engine, signer: Ed25519NoteSigner
) -> None:
    log = make_log(engine)
    log.append(data(600, "x"))
    log.close()
    DedupIndex(engine, ORIGIN).truncate(0)  # as if the metadata store lost everything
    log = make_log(engine)
    assert DedupIndex(engine, ORIGIN).indexed_size() == 600
    assert log.append([b"x:599", b"x:0", b"y"]) == [599, 0, 600]


def test_checkpoint_past_tree_state_is_refused(
    make_log: LogFactory, sqlite_engine: Engine, signer: Ed25519NoteSigner
) -> None:
    log = make_log(sqlite_engine)
    log.append(data(5, "a"))
    cp = (log.log_dir / "checkpoint").read_bytes()
    log.append(data(5, "b"))
    log.close()
    state = log.log_dir / ".state" / tilelog.TREE_STATE
    state.write_bytes(
        tilelog.TreeState(5, merkle.root([merkle.leaf_hash(e) for e in data(5, "a")])).to_bytes()
    )
    (log.log_dir / "checkpoint").write_bytes(cp.replace(b"\n5\n", b"\n9\n"))
    with pytest.raises(tilelog.LogError, match="past the tree state"):
        TileLog.open(log.log_dir, signer, sqlite_engine)


def test_two_processes_share_a_log(
    tmp_path, signer: Ed25519NoteSigner, sqlite_engine: Engine
) -> None:  # type: ignore[no-untyped-def]
    """Two writers on one directory (flock) see each other's entries and dedup."""
    a = TileLog.create(tmp_path / "log", ORIGIN, signer, sqlite_engine)
    b = TileLog.open(tmp_path / "log", signer, sqlite_engine)
    try:
        assert a.append([b"1", b"2"]) == [0, 1]
        assert b.append([b"2", b"3"]) == [1, 2]
        assert a.append([b"3", b"4"]) == [2, 3]
        assert b.refresh() == 4
        assert b.read(0, 4) == [b"1", b"2", b"3", b"4"]
        assert audit_log(a.log_dir, signer.verifier()).ok
    finally:
        a.close()
        b.close()


def test_a_reader_behind_the_writer_reads_grown_tiles(
    tmp_path: Path, signer: Ed25519NoteSigner, sqlite_engine: Engine
) -> None:
    """Another process's append deletes the partial tiles a lagging reader's size points at."""
    a = TileLog.create(tmp_path / "log", ORIGIN, signer, sqlite_engine)
    b = TileLog.open(tmp_path / "log", signer, sqlite_engine)
    try:
        first = [f"e{i}".encode() for i in range(100)]
        a.append(first)
        assert b.refresh() == 100
        old_root = a.root(100)
        a.append([f"f{i}".encode() for i in range(300)])  # 000.p/100 gone, 000 and 001.p/144 made
        assert not (tmp_path / "log/tile/entries/000.p").exists()
        assert b.size == 100  # b has not refreshed: its tree is the old one
        assert b.read(0, 100) == first
        assert b.root(100) == old_root
    finally:
        a.close()
        b.close()
