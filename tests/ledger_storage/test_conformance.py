"""The storage contract (storage/base.py), checked the same way on every driver."""

from __future__ import annotations

import multiprocessing
import threading
import time

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine

from truceline.ledger import tiles
from truceline.ledger.audit import audit_log
from truceline.ledger.logsign import Ed25519NoteSigner
from truceline.ledger.readonly import ReadOnlyLog
from truceline.ledger.storage import TileStorage, open_storage
from truceline.ledger.storage.base import CHECKPOINT, TREE_STATE
from truceline.ledger.tilelog import LogError, TileLog

from .conftest import StorageFactory

ORIGIN = "storage.test/log"


@pytest.fixture
def signer() -> Ed25519NoteSigner:
    return Ed25519NoteSigner(ORIGIN, Ed25519PrivateKey.from_private_bytes(bytes(range(32))))


def test_objects_round_trip_and_replace(storage: TileStorage) -> None:
    assert storage.get("tile/0/000") is None
    storage.write_all([("tile/0/000", b"a" * 32), ("tile/entries/000.p/1", b"\x00\x01x")])
    assert storage.get("tile/0/000") == b"a" * 32
    assert storage.get("tile/entries/000.p/1") == b"\x00\x01x"
    storage.put(CHECKPOINT, b"one\n")
    storage.put(CHECKPOINT, b"two\n")
    assert storage.get(CHECKPOINT) == b"two\n"
    storage.write_all([("tile/0/000", b"b" * 32)])  # a rewrite by a recovering writer
    assert storage.get("tile/0/000") == b"b" * 32


def test_a_second_driver_instance_sees_the_writes(
    storage: TileStorage, open_driver: StorageFactory
) -> None:
    storage.write_all([("tile/1/000.p/3", b"h" * 96)])
    storage.put_state(TREE_STATE, b"{}\n")
    other = open_driver()
    assert other.get("tile/1/000.p/3") == b"h" * 96
    assert other.get_state(TREE_STATE) == b"{}\n"


def test_partials_listed_widest_first_and_dropped(storage: TileStorage) -> None:
    storage.write_all(
        [(f"tile/0/001.p/{w}", b"x" * 32 * w) for w in (3, 100, 20)] + [("tile/0/002.p/5", b"")]
    )
    assert storage.partial_widths("tile/0/001") == [100, 20, 3]
    assert storage.partial_widths("tile/0/000") == []
    storage.write_all([("tile/0/001", b"y" * 32 * 256)])
    storage.drop_partials(["tile/0/001", "tile/1/000"])
    assert storage.partial_widths("tile/0/001") == []
    assert storage.get("tile/0/001") is not None
    assert storage.partial_widths("tile/0/002") == [5]  # another tile's partial stays


def test_state_and_emptiness(open_driver: StorageFactory) -> None:
    s = open_driver()
    assert s.is_empty()
    s.prepare()
    s.prepare()  # idempotent
    assert s.get_state(TREE_STATE) is None
    s.put_state(TREE_STATE, b"1")
    s.put_state(TREE_STATE, b"2")
    assert s.get_state(TREE_STATE) == b"2"
    assert not s.is_empty()
    assert s.get(TREE_STATE) is None  # private state is not a public object


def test_discard_beyond_keeps_exactly_the_tree(storage: TileStorage) -> None:
    """A tree of 300 entries, then what a dead batch growing it to 70000 left behind."""
    size, dead = 300, 70_000
    kept = {
        "tile/entries/000",
        "tile/entries/001.p/44",
        "tile/0/000",
        "tile/0/001.p/44",
        "tile/1/000.p/1",
    }
    beyond = {
        "tile/entries/001",
        "tile/entries/002",
        "tile/entries/273.p/112",
        "tile/0/001.p/200",
        "tile/0/001",
        "tile/0/273.p/112",
        "tile/1/000",
        "tile/1/001.p/17",
        "tile/2/000.p/1",
    }
    assert all(tiles.parse_tile_path(p) for p in kept | beyond)
    storage.write_all([(p, b"k") for p in sorted(kept)] + [(p, b"d") for p in sorted(beyond)])
    storage.put(CHECKPOINT, b"cp")
    assert dead > size
    storage.discard_beyond(size)
    assert {p for p in kept | beyond if storage.get(p) is not None} == kept
    assert storage.get(CHECKPOINT) == b"cp"
    storage.discard_beyond(size)  # idempotent
    assert {p for p in kept if storage.get(p) is not None} == kept


def test_lock_excludes_another_writer(open_driver: StorageFactory) -> None:
    first, second = open_driver(), open_driver()
    first.prepare()
    order: list[str] = []
    trying = threading.Event()

    def contender() -> None:
        trying.set()
        with second.lock():
            order.append("second acquired")

    with first.lock():
        t = threading.Thread(target=contender)
        t.start()
        trying.wait()
        time.sleep(0.3)  # room for the contender to (wrongly) get in
        order.append("first released")
    t.join(timeout=30)
    assert order == ["first released", "second acquired"]


def _hold_lock_forever(spec: str, locked: multiprocessing.synchronize.Event) -> None:
    s = open_storage(spec)
    with s.lock():
        locked.set()
        time.sleep(600)


def test_lock_of_a_killed_writer_is_released(
    open_driver: StorageFactory, storage_spec: str
) -> None:
    open_driver().prepare()
    ctx = multiprocessing.get_context("spawn")
    locked = ctx.Event()
    holder = ctx.Process(target=_hold_lock_forever, args=(storage_spec, locked))
    holder.start()
    try:
        assert locked.wait(60), "the holder never took the lock"
    finally:
        holder.kill()  # SIGKILL: no unlock, no close
        holder.join()
    got = threading.Event()

    def take() -> None:
        with open_driver().lock():
            got.set()

    threading.Thread(target=take, daemon=True).start()
    assert got.wait(60), "the dead writer's lock was never released"


# --- the log on each driver -------------------------------------------------------------


def test_log_appends_reopens_proves_and_audits(
    storage_spec: str, sqlite_engine: Engine, signer: Ed25519NoteSigner
) -> None:
    entries = [f"entry {i}".encode() * (1 + i % 7) for i in range(700)]
    log = TileLog.create(storage_spec, ORIGIN, signer, sqlite_engine)
    assert log.append(entries[:300]) == list(range(300))
    assert log.append(entries[300:] + entries[:2]) == [*range(300, 700), 0, 1]  # dedup
    log.close()
    with pytest.raises(LogError, match="not empty"):
        TileLog.create(storage_spec, ORIGIN, signer, sqlite_engine)
    log = TileLog.open(storage_spec, signer, sqlite_engine)
    assert log.size == 700
    assert log.read(0, 700) == entries
    reader = ReadOnlyLog(storage_spec, signer.verifier())
    assert reader.size == 700
    assert reader.prove(699) == log.prove(699)
    assert reader.consistency_proof(300, 700) == log.consistency_proof(300, 700)
    report = audit_log(storage_spec, signer.verifier())
    assert report.ok, [str(f) for f in report.findings]
    assert (report.size, report.bundles) == (700, 3)
    # Superseded partials are gone once their tile is full.
    assert log.storage.partial_widths("tile/entries/000") == []
    assert log.storage.partial_widths("tile/entries/002") == [188]
    log.close()


class Died(Exception):
    """Stands for kill -9 at one point of a batch."""


def test_batch_dead_before_its_commit_point_is_discarded(
    storage_spec: str,
    sqlite_engine: Engine,
    signer: Ed25519NoteSigner,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    log = TileLog.create(storage_spec, ORIGIN, signer, sqlite_engine)
    log.append([f"kept {i}".encode() for i in range(300)])
    real = type(log.storage).put_state

    def die_at_commit(self: TileStorage, name: str, data: bytes) -> None:
        if name == TREE_STATE:
            raise Died
        real(self, name, data)

    with monkeypatch.context() as m:
        m.setattr(type(log.storage), "put_state", die_at_commit)
        with pytest.raises(Died):
            log.append([f"lost {i}".encode() for i in range(700)])
    assert log.storage.get("tile/entries/002") is not None  # written, never committed
    log.close()
    log = TileLog.open(storage_spec, signer, sqlite_engine)
    assert log.size == 300
    assert log.storage.get("tile/entries/002") is None
    assert log.storage.partial_widths("tile/entries/001") == [44]
    assert log.append([b"after"]) == [300]
    assert audit_log(storage_spec, signer.verifier()).ok
    log.close()
