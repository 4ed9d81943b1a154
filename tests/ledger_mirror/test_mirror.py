"""`truceline mirror` against a real server: first copy, incremental updates, the copy answering
as the operator, and trust on first use."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from served_home import serve_home
from truceline.home import Home
from truceline.ledger import note, proof
from truceline.ledger.home import open_log, open_reader
from truceline.ledger.readonly import ReadOnlyLogError
from truceline.ledger.tilelog import LogError

from .conftest import ORIGIN, Operator, Served, entries, mirror, snapshot, truceline


@pytest.fixture
def real_server(operator: Operator, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """`truceline serve` as its own process; its access log says what each mirror run fetched."""
    with serve_home(operator.home.root, tmp_path / "serve.log") as base:
        yield f"{base}/log", tmp_path / "serve.log"


def _tile_requests(access_log: Path, seen: int) -> tuple[list[str], int]:
    """Tile and bundle paths requested since line `seen` of uvicorn's access log."""
    lines = access_log.read_text().splitlines()
    paths = [
        ln.split('"GET /log/', 1)[1].split(" ", 1)[0]
        for ln in lines[seen:]
        if '"GET /log/tile/' in ln
    ]
    return paths, len(lines)


def test_mirror_then_update_incrementally(
    operator: Operator, real_server: tuple[str, Path], tmp_path: Path
) -> None:
    url, access = real_server
    first = entries(0, 700)
    operator.append(first)
    m = tmp_path / "mirror"
    run = mirror(url, m)
    assert run.code == 0, run
    assert "mirrored mirror.example.org/log: size 0 -> 700 (+700 entries)" in run.stdout
    assert "TRUST ON FIRST USE" in run.stderr and operator.vkey in run.stderr
    assert "no witness policy" in run.stderr
    fetched, seen = _tile_requests(access, 0)
    assert sorted(fetched) == sorted(
        [
            "tile/entries/000",
            "tile/entries/001",
            "tile/entries/002.p/188",
            "tile/0/000",
            "tile/0/001",
            "tile/0/002.p/188",
            "tile/1/000.p/2",
        ]
    )
    assert (m / "log.vkey").read_text().strip() == operator.vkey

    # 300 more entries: only what is new (or wider) is fetched.
    operator.append(entries(700, 1000))
    run = mirror(url, m)
    assert run.code == 0, run
    assert "size 700 -> 1000 (+300 entries)" in run.stdout
    assert "TRUST ON FIRST USE" not in run.stderr
    fetched, seen = _tile_requests(access, seen)
    assert sorted(fetched) == sorted(
        [
            "tile/entries/002",
            "tile/entries/003.p/232",
            "tile/0/002",
            "tile/0/003.p/232",
            "tile/1/000.p/3",
        ]
    )
    run = mirror(url, m)
    assert run.code == 0 and "up to date" in run.stdout, run
    assert _tile_requests(access, seen)[0] == []

    # The mirror answers as the operator: audit, proofs, entries, checkpoint.
    audits = [
        truceline("log", "audit", "--home", home, "--state", tmp_path / f"state-{i}")
        for i, home in enumerate([operator.home.root, m])
    ]
    assert [a.code for a in audits] == [0, 0]
    assert audits[0].stdout.splitlines()[0] == audits[1].stdout.splitlines()[0]
    assert audits[1].stdout.startswith("OK size 1000")
    for index in (0, 255, 256, 699, 700, 999):
        mine = truceline("log", "prove", str(index), "--home", m)
        theirs = truceline("log", "prove", str(index), "--home", operator.home.root)
        assert mine.code == 0 and mine.stdout == theirs.stdout
        proof.verify(mine.stdout.encode(), operator.entries()[index], operator.vkey)
    assert snapshot(m / "log") == {
        k: v for k, v in snapshot(operator.home.log_dir).items() if not k.startswith(".state")
    }


def test_the_mirror_home_holds_public_data_only(
    operator: Operator, served: Served, tmp_path: Path
) -> None:
    operator.append(entries(0, 300))
    m = tmp_path / "mirror"
    assert mirror(served.url, m).code == 0
    for path in m.rglob("*"):
        assert not path.name.endswith(".key"), path
        if path.is_file():
            assert b"PRIVATE+KEY" not in path.read_bytes(), path
    assert not (m / "store.db").exists()
    assert sorted(p.name for p in m.iterdir()) == [".mirror.lock", "log", "log.vkey"]


def test_read_only_log_answers_as_the_operator(
    operator: Operator, served: Served, tmp_path: Path
) -> None:
    operator.append(entries(0, 530))
    m = Home(tmp_path / "mirror")
    assert mirror(served.url, m.root).code == 0
    before = {p: (p.stat().st_mtime_ns, p.stat().st_size) for p in m.root.rglob("*")}
    ro = open_reader(m)
    op = open_log(operator.home)
    try:
        assert ro.size == op.size == 530 and ro.origin == op.origin
        assert ro.read(100, 400) == op.read(100, 400)
        assert list(ro.scan(500)) == list(op.scan(500))
        assert ro.checkpoint() == op.checkpoint()
        assert all(ro.prove(i) == op.prove(i) for i in (0, 257, 529))
        assert ro.consistency_proof(3, 530) == op.consistency_proof(3, 530)
        assert ro.root(300) == op.root(300)
        with pytest.raises(ReadOnlyLogError, match="read-only log"):
            ro.append([b"x"])
        with pytest.raises(IndexError):
            ro.read(0, 531)
    finally:
        ro.close()
        op.close()
    after = {p: (p.stat().st_mtime_ns, p.stat().st_size) for p in m.root.rglob("*")}
    assert after == before  # reading created and changed nothing

    # The writer's opener refuses a home without the key, naming the reading one.
    with pytest.raises(LogError, match="no log key here"):
        open_log(m)
    # A new checkpoint is seen after refresh, and it must verify.
    operator.append(entries(530, 600))
    assert mirror(served.url, m.root).code == 0
    ro = open_reader(m)
    assert ro.size == 600
    (m.log_dir / "checkpoint").write_bytes(operator.checkpoint().replace(b"\n600\n", b"\n601\n"))
    with pytest.raises(LogError, match="does not verify"):
        ro.refresh()


def test_a_reading_command_on_a_home_that_is_not_there(tmp_path: Path) -> None:
    run = truceline("log", "prove", "0", "--home", tmp_path / "nowhere")
    assert run.code == 2 and "no log here" in run.stderr
    assert not (tmp_path / "nowhere").exists()


def test_pinning(operator: Operator, served: Served, tmp_path: Path) -> None:
    operator.append(entries(0, 10))
    vkey = tmp_path / "log.vkey"
    vkey.write_text(operator.vkey + "\n")
    m = tmp_path / "mirror"
    run = mirror(served.url, m, "--vkey", vkey)
    assert run.code == 0 and "TRUST ON FIRST USE" not in run.stderr, run

    other = tmp_path / "other.vkey"
    other.write_text(note.generate_ed25519(ORIGIN)[1] + "\n")
    run = mirror(served.url, m, "--vkey", other)
    assert run.code == 2 and "is not the key pinned" in run.stderr, run

    # A server root instead of the log prefix: a hint, nothing pinned.
    fresh = tmp_path / "fresh"
    run = mirror(served.url.removesuffix("/log"), fresh)
    assert run.code == 2 and "try http://127.0.0.1" in run.stderr and "/log" in run.stderr
    assert not (fresh / "log.vkey").exists()

    # Never into an operator's home.
    run = mirror(served.url, operator.home.root)
    assert run.code == 2 and "operator's home" in run.stderr


def test_an_empty_log_then_growth(operator: Operator, served: Served, tmp_path: Path) -> None:
    m = tmp_path / "mirror"
    run = mirror(served.url, m)
    assert run.code == 0 and "size 0 -> 0" in run.stdout, run
    operator.append(entries(0, 1))
    assert mirror(served.url, m).code == 0
    operator.append(entries(1, 513))
    run = mirror(served.url, m)
    assert run.code == 0 and "size 1 -> 513" in run.stdout
    assert truceline("log", "audit", "--home", m, "--state", tmp_path / "st").code == 0
    assert not (m / "log/tile/0/000.p").exists()  # superseded partials go, as the writer's do
    assert (m / "log/tile/entries/002.p/1").exists()


def test_policy_trusted_on_first_use_loses_witness_urls(
    operator: Operator, served: Served, tmp_path: Path
) -> None:
    from witness.helpers import cosigner

    w = cosigner("witness.example.org/w1")
    operator.home.policy.write_text(
        f"log {operator.vkey}\nwitness w1 {w.verifier().vkey} http://127.0.0.1:9/w1\nquorum none\n"
    )
    operator.append(entries(0, 5), witnesses=False)
    m = tmp_path / "mirror"
    run = mirror(served.url, m)
    assert run.code == 0, run
    assert "TRUST ON FIRST USE of the witness policy" in run.stderr
    assert (
        m / "policy"
    ).read_text() == f"log {operator.vkey}\nwitness w1 {w.verifier().vkey}\nquorum none\n"
    assert "no witness policy" not in run.stderr
