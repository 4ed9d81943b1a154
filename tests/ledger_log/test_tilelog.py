"""TileLog: layout, reading, proofs against checkpoints, dedup, errors — on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from truceline.ledger import merkle, note, proof, tiles
from truceline.ledger.checkpoint import open_checkpoint
from truceline.ledger.logsign import Ed25519NoteSigner
from truceline.ledger.tilelog import EntryTooLarge, TileLog

from .conftest import ORIGIN, LogFactory


def entries(n: int, tag: str = "e") -> list[bytes]:
    return [f"{tag}-{i}".encode() * (1 + i % 7) for i in range(n)]


def test_append_read_prove_on_both_stores(
    make_log: LogFactory, engine: Engine, signer: Ed25519NoteSigner
) -> None:
    log = make_log(engine)
    assert log.size == 0
    data = entries(600)
    assert log.append(data[:10]) == list(range(10))
    assert log.append(data[10:]) == list(range(10, 600))
    assert log.size == 600
    assert log.read(0, 600) == data
    assert log.read(255, 258) == data[255:258]
    assert [e for _, e in log.scan(590)] == data[590:]

    cp, _ = open_checkpoint(log.checkpoint(), [signer.verifier()], origin=ORIGIN)
    leaves = [merkle.leaf_hash(e) for e in data]
    assert (cp.size, cp.root_hash) == (600, merkle.root(leaves))
    for i in (0, 1, 255, 256, 511, 512, 599):
        got = proof.verify(log.prove(i), data[i], signer.verifier())
        assert got.size == 600


def test_layout_is_tlog_tiles(make_log: LogFactory, sqlite_engine: Engine) -> None:
    log = make_log(sqlite_engine)
    data = entries(
        70000 // 100
    )  # 700 entries: 2 full level-0 tiles, a partial of 188, level 1 of 2
    log.append(data)
    root = log.log_dir
    assert (root / "checkpoint").read_bytes().startswith(f"{ORIGIN}\n700\n".encode())
    assert (root / "tile/0/000").stat().st_size == 256 * 32
    assert (root / "tile/0/001").stat().st_size == 256 * 32
    assert (root / "tile/0/002.p/188").stat().st_size == 188 * 32
    assert (root / "tile/1/000.p/2").stat().st_size == 2 * 32
    assert tiles.decode_bundle((root / "tile/entries/001").read_bytes()) == data[256:512]
    assert tiles.decode_bundle((root / "tile/entries/002.p/188").read_bytes()) == data[512:]
    # Level-1 hash 1 is the root of the second full level-0 tile.
    lvl1 = (root / "tile/1/000.p/2").read_bytes()
    assert lvl1[32:] == merkle.root([merkle.leaf_hash(e) for e in data[256:512]])


def test_partial_tiles_are_dropped_once_full(make_log: LogFactory, sqlite_engine: Engine) -> None:
    log = make_log(sqlite_engine)
    data = entries(300)
    log.append(data[:100])
    assert (log.log_dir / "tile/0/000.p/100").exists()
    log.append(data[100:])
    assert (log.log_dir / "tile/0/000").exists()
    assert not (log.log_dir / "tile/0/000.p").exists()
    assert not (log.log_dir / "tile/entries/000.p").exists()
    assert (log.log_dir / "tile/0/001.p/44").exists()


def test_dedup_returns_first_index(make_log: LogFactory, engine: Engine) -> None:
    log = make_log(engine)
    assert log.append([b"a", b"b", b"a"]) == [0, 1, 0]
    assert log.append([b"c", b"b"]) == [2, 1]
    assert log.append([b"a"]) == [0]
    assert log.size == 3
    cp_before = log.checkpoint()
    assert log.append([b"c", b"a"]) == [2, 0]
    assert log.checkpoint() == cp_before  # nothing new: no new checkpoint
    log.close()
    reopened = make_log(engine)
    assert reopened.append([b"b", b"d"]) == [1, 3]


def test_empty_entry_and_largest_entry(
    make_log: LogFactory, sqlite_engine: Engine, signer: Ed25519NoteSigner
) -> None:
    log = make_log(sqlite_engine)
    big = b"x" * 65535
    assert log.append([b"", big]) == [0, 1]
    assert log.read(0, 2) == [b"", big]
    proof.verify(log.prove(1), big, signer.verifier())


def test_oversize_entry_is_a_clear_error(make_log: LogFactory, sqlite_engine: Engine) -> None:
    log = make_log(sqlite_engine)
    with pytest.raises(EntryTooLarge, match=r"entries\[1\]: 65536 bytes, at most 65535"):
        log.append([b"ok", b"x" * 65536])
    assert log.size == 0  # the whole batch is refused
    with pytest.raises(TypeError, match=r"entries\[0\]: want bytes"):
        log.append(["text"])  # type: ignore[list-item]


def test_read_and_prove_out_of_range(make_log: LogFactory, sqlite_engine: Engine) -> None:
    log = make_log(sqlite_engine)
    log.append([b"one"])
    with pytest.raises(IndexError, match="out of range"):
        log.read(0, 2)
    with pytest.raises(IndexError, match="out of range"):
        log.prove(1)


def test_reopen_continues_the_same_tree(make_log: LogFactory, sqlite_engine: Engine) -> None:
    log = make_log(sqlite_engine)
    data = entries(1000)
    log.append(data[:333])
    log.close()
    log = make_log(sqlite_engine)
    assert log.size == 333
    log.append(data[333:])
    assert log.root(1000) == merkle.root([merkle.leaf_hash(e) for e in data])


def test_create_refuses_existing_log(
    make_log: LogFactory, sqlite_engine: Engine, signer: Ed25519NoteSigner
) -> None:
    log = make_log(sqlite_engine)
    with pytest.raises(RuntimeError, match="not empty"):
        TileLog.create(log.log_dir, ORIGIN, signer, sqlite_engine)


def test_open_missing_log(tmp_path: Path, signer: Ed25519NoteSigner, sqlite_engine: Engine) -> None:
    with pytest.raises(RuntimeError, match="no log here"):
        TileLog.open(tmp_path / "nothing", signer, sqlite_engine)


def test_checkpoint_is_plain_c2sp(
    make_log: LogFactory, sqlite_engine: Engine, signer: Ed25519NoteSigner
) -> None:
    log = make_log(sqlite_engine)
    log.append([b"x"])
    text = note.open(log.checkpoint(), [signer.verifier()]).text
    root = merkle.leaf_hash(b"x")
    import base64

    assert text == f"{ORIGIN}\n1\n{base64.b64encode(root).decode()}\n"


def test_cosigner_hook(make_log: LogFactory, sqlite_engine: Engine) -> None:
    calls: list[tuple[bytes, int]] = []
    holder: dict[str, TileLog] = {}

    def cosigner(signed: bytes, previous: int) -> bytes:
        calls.append((signed, previous))
        log = holder["log"]
        cp = note.parse(signed)
        size = int(cp.text.split("\n")[1])
        if 0 < previous < size:  # the witness would check this proof
            old_root = log.root(previous)
            new_root = log.root(size)
            merkle.verify_consistency(
                previous, size, old_root, new_root, log.consistency_proof(previous, size)
            )
        return (
            signed
            + "— witness.example AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n".encode()
        )

    log = make_log(sqlite_engine, cosigner=cosigner, recover=False)
    holder["log"] = log
    log.recover()
    log.append(entries(5))
    log.append(entries(300, "f"))
    assert [p for _, p in calls] == [0, 0, 5]
    last_line = log.checkpoint().rstrip(b"\n").rsplit(b"\n", 1)[1]
    assert last_line.startswith("— witness.example AAAA".encode())


def test_unrecovered_log_refuses_appends(make_log: LogFactory, sqlite_engine: Engine) -> None:
    make_log(sqlite_engine).close()
    log = make_log(sqlite_engine, recover=False)
    with pytest.raises(RuntimeError, match="recover"):
        log.append([b"x"])


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    batches=st.lists(st.integers(min_value=1, max_value=700), min_size=1, max_size=6),
    data=st.data(),
)
def test_random_batches_prove_and_stay_consistent(
    tmp_path_factory: pytest.TempPathFactory,
    signer: Ed25519NoteSigner,
    batches: list[int],
    data: st.DataObject,
) -> None:
    from truceline.store.base import open_store

    d = tmp_path_factory.mktemp("prop")
    engine = open_store(f"sqlite:///{d / 's.db'}")
    log = TileLog.create(d / "log", ORIGIN, signer, engine)
    try:
        all_entries: list[bytes] = []
        checkpoints: list[tuple[int, bytes]] = []
        for b, n in enumerate(batches):
            new = [hashlib.sha256(f"{b}/{i}".encode()).digest() for i in range(n)]
            assert log.append(new) == list(range(len(all_entries), len(all_entries) + n))
            all_entries += new
            cp, _ = open_checkpoint(log.checkpoint(), [signer.verifier()])
            checkpoints.append((cp.size, cp.root_hash))
            i = data.draw(st.integers(0, len(all_entries) - 1), label="index")
            got = proof.verify(log.prove(i), all_entries[i], signer.verifier())
            assert got.size == len(all_entries)
        # Every earlier checkpoint is a prefix of every later one.
        for (s1, r1), (s2, r2) in zip(checkpoints, checkpoints[1:], strict=False):
            merkle.verify_consistency(s1, s2, r1, r2, log.consistency_proof(s1, s2))
        assert checkpoints[-1][1] == merkle.root([merkle.leaf_hash(e) for e in all_entries])
    finally:
        log.close()
        engine.dispose()


def test_a_growing_bundle_read_again_decodes_to_what_is_stored(
    make_log: LogFactory, sqlite_engine: Engine
) -> None:
    """A follower reads the last, growing bundle again each time (the store decodes only
    what it gained): every read equals the stored bundle decoded afresh, across a full
    bundle, and a bundle whose bytes are not a continuation is decoded anew."""
    log = make_log(sqlite_engine)
    data = entries(300, "g")
    for lo in range(0, 300, 7):
        log.append(data[lo : lo + 7])
        size = log.size
        assert log.read(max(0, size - 9), size) == data[max(0, size - 9) : size]
    assert log.read(0, 300) == data
    store = log.tiles
    other = entries(3, "x")
    assert store._decode_bundle(1, tiles.encode_bundle(other)) == other
    assert store._decode_bundle(1, tiles.encode_bundle(data[256:300])) == data[256:300]
