"""`truceline log init/append/prove/audit` through the real CLI, and audit pinpointing flipped bytes."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from truceline.cli import app
from truceline.home import Home
from truceline.ledger import cosignature, note, proof

runner = CliRunner()
ORIGIN = "example.org/mission/log"


def run(*args: str) -> tuple[int, str]:
    res = runner.invoke(app, list(args), catch_exceptions=False)
    return res.exit_code, res.output


@pytest.fixture
def home(tmp_path: Path) -> Home:
    h = Home(tmp_path / "home")
    code, out = run("log", "init", "--home", str(h.root), "--origin", ORIGIN)
    assert code == 0, out
    return h


def write_entries(tmp_path: Path, n: int) -> list[Path]:
    files = []
    for i in range(n):
        p = tmp_path / f"entry-{i:04d}.json"
        p.write_bytes(f'{{"n": {i}, "pad": "{"z" * (i % 40)}"}}'.encode())
        files.append(p)
    return files


def test_init_writes_keys_and_empty_log(home: Home) -> None:
    vkey = home.log_vkey.read_text().strip()
    v = note.parse_vkey(vkey)
    assert v.name == ORIGIN
    assert home.log_skey.stat().st_mode & 0o777 == 0o600
    assert (home.log_dir / "checkpoint").read_bytes().startswith(f"{ORIGIN}\n0\n".encode())
    code, out = run("log", "init", "--home", str(home.root), "--origin", ORIGIN)
    assert code == 2 and "already exists" in out


def test_append_prove_verify_offline(home: Home, tmp_path: Path) -> None:
    files = write_entries(tmp_path, 300)
    code, out = run("log", "append", "--home", str(home.root), *map(str, files), str(files[3]))
    assert code == 0, out
    lines = out.splitlines()
    assert lines[:2] == [f"{files[0]} 0", f"{files[1]} 1"]
    assert lines[-1] == f"{files[3]} 3"  # the same bytes again: the first index
    code, out = run("log", "prove", "--home", str(home.root), "257")
    assert code == 0
    # An outside verifier needs only the vkey file, the entry bytes and the proof text.
    cp = proof.verify(out.encode(), files[257].read_bytes(), home.log_vkey.read_text().strip())
    assert cp.size == 300
    code, out = run("log", "prove", "--home", str(home.root), "300")
    assert code == 2 and "out of range" in out
    code, out = run("log", "audit", "--home", str(home.root))
    assert code == 0 and out.startswith("OK size 300"), out


def test_append_oversize_names_the_file(home: Home, tmp_path: Path) -> None:
    big = tmp_path / "big.bin"
    big.write_bytes(b"\0" * 70000)
    code, out = run("log", "append", "--home", str(home.root), str(big))
    assert code == 2 and f"{big}: 70000 bytes, at most 65535" in out


@pytest.mark.parametrize("command", [["prove", "0"], ["append", "x"]])
def test_a_home_without_a_log_is_a_clear_error(tmp_path: Path, command: list[str]) -> None:
    missing = tmp_path / "no-such-home"
    (tmp_path / "x").write_bytes(b"entry")
    code, out = run(
        "log",
        command[0],
        "--home",
        str(missing),
        *[str(tmp_path / a) if a == "x" else a for a in command[1:]],
    )
    assert code == 2 and f"{missing}: no log here" in out
    assert not missing.exists()  # nothing created by a mistyped --home


def _audit(home: Home) -> tuple[int, str]:
    return run("log", "audit", "--home", str(home.root))


def _flip(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


@pytest.fixture
def filled(home: Home, tmp_path: Path) -> Home:
    files = write_entries(tmp_path, 600)  # 2 full bundles, a partial of 88, level 1 partial of 2
    assert run("log", "append", "--home", str(home.root), *map(str, files))[0] == 0
    assert _audit(home)[0] == 0
    return home


def test_audit_finds_flipped_bundle_byte(filled: Home) -> None:
    bundle = filled.log_dir / "tile/entries/001"
    entries_before = 0
    # Entry 5 of bundle 1 starts after 5 length-prefixed entries.
    from truceline.ledger import tiles

    es = tiles.decode_bundle(bundle.read_bytes())
    entries_before = sum(2 + len(e) for e in es[:5])
    _flip(bundle, entries_before + 2 + 3)  # a content byte of entry 5
    code, out = _audit(filled)
    assert code == 1
    assert f"tile/entries/001: entry 5 (log index 261, byte {entries_before})" in out


def test_audit_finds_flipped_tile_byte(filled: Home) -> None:
    _flip(filled.log_dir / "tile/0/001", 32 * 17 + 9)
    code, out = _audit(filled)
    assert code == 1
    assert f"tile/0/001: hash 17 (byte {32 * 17 + 9})" in out
    assert out.count("FAIL ") == 1  # only the damaged tile, no cascade


def test_audit_finds_flipped_partial_and_upper_tiles(filled: Home) -> None:
    _flip(filled.log_dir / "tile/1/000.p/2", 40)
    _flip(filled.log_dir / "tile/0/002.p/88", 0)
    code, out = _audit(filled)
    assert code == 1
    assert "tile/1/000.p/2: hash 1 (byte 40)" in out
    assert "tile/0/002.p/88: hash 0 (byte 0)" in out


def test_audit_finds_flipped_checkpoint_byte(filled: Home) -> None:
    cp = filled.log_dir / "checkpoint"
    _flip(cp, len(ORIGIN) + 2)  # in the size line
    code, out = _audit(filled)
    assert code == 1
    assert "FAIL checkpoint: does not verify" in out


def test_audit_finds_truncated_bundle(filled: Home) -> None:
    bundle = filled.log_dir / "tile/entries/000"
    bundle.write_bytes(bundle.read_bytes()[:-3])
    code, out = _audit(filled)
    assert code == 1
    assert "tile/entries/000: entry bundle: entry 255 wants" in out


def test_audit_with_policy_quorum(filled: Home) -> None:
    vkey = filled.log_vkey.read_text().strip()
    wskey, wvkey = cosignature.generate_cosigner("witness.example")
    filled.policy.write_text(f"log {vkey}\nwitness w1 {wvkey}\nquorum w1\n")
    code, out = _audit(filled)
    assert code == 1 and "FAIL checkpoint: policy: quorum 'w1' not satisfied" in out
    # The witness cosigns the published checkpoint: now the quorum holds.
    cp = filled.log_dir / "checkpoint"
    cp.write_bytes(note.sign(note.parse(cp.read_bytes()), [note.parse_skey(wskey)]))
    code, out = _audit(filled)
    assert code == 0 and "witness policy satisfied" in out, out
