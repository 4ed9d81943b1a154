"""Truceline's log as the clean-room monitor (spec_verifier.py) sees it over HTTP."""

from __future__ import annotations

import re

import pytest

from . import spec_verifier as sv
from .conftest import ORIGIN, InteropLog, serve_directory, truceline


@pytest.fixture(scope="module")
def view(interop_log: InteropLog) -> sv.LogView:
    key = sv.VerifierKey.parse(interop_log.vkey.read_text())
    old = [c.read_bytes() for c in interop_log.checkpoints]
    with serve_directory(interop_log.log_dir) as url:
        return sv.verify_log(url, key, old_checkpoints=old)


def test_log_verifies_over_http(view: sv.LogView, interop_log: InteropLog) -> None:
    assert view.checkpoint.origin == ORIGIN
    assert view.checkpoint.size == interop_log.sizes[-1] == sum((1, 255, 256, 257, 600, 64500))
    assert len(view.levels) == 3 and len(view.levels[2]) == 1


def test_every_printed_index_holds_the_files_bytes(
    view: sv.LogView, interop_log: InteropLog
) -> None:
    for f, index in interop_log.files.items():
        assert view.entries[index] == f.read_bytes(), f
    assert interop_log.duplicate is not None
    again, first = interop_log.duplicate
    assert interop_log.files[again] == interop_log.files[first]
    assert sorted(set(interop_log.files.values())) == list(range(view.checkpoint.size))


def test_every_tlog_proof_verifies(view: sv.LogView, interop_log: InteropLog) -> None:
    key = sv.VerifierKey.parse(interop_log.vkey.read_text())
    for p in interop_log.proofs:
        raw = p.path.read_bytes()
        proof, cp = sv.verify_tlog_proof(raw, p.data.read_bytes(), key)
        assert (proof.index, cp.size) == (p.index, p.size)
        assert cp.root == view.root(p.size)  # the proof's checkpoint is one the log still extends
        assert raw.endswith(
            p.path.parent.parent.joinpath("checkpoints", f"checkpoint.{p.size}").read_bytes()
        )
        with pytest.raises(sv.VerificationError, match="does not lead to the root"):
            sv.verify_tlog_proof(raw, p.data.read_bytes() + b"!", key)


def test_layout_is_tlog_tiles(interop_log: InteropLog) -> None:
    """Every path the latest size calls for exists; every file under tile/ is a valid tile path."""
    size = interop_log.sizes[-1]
    want = {"checkpoint"}
    level, count = 0, size
    while count > 0:
        for n in range((count + 255) // 256):
            want.add(sv.tile_path(level, n, min(256, count - n * 256)))
        level, count = level + 1, count >> 8
    want |= {
        sv.tile_path("entries", n, min(256, size - n * 256)) for n in range((size + 255) // 256)
    }
    present = {
        p.relative_to(interop_log.log_dir).as_posix()
        for p in interop_log.log_dir.rglob("*")
        if p.is_file() and not p.relative_to(interop_log.log_dir).as_posix().startswith(".")
    }
    assert want <= present, sorted(want - present)[:5]
    path_re = re.compile(
        r"tile/(0|[1-9][0-9]?|entries)/(x[0-9]{3}/)*[0-9]{3}(\.p/([1-9][0-9]?|1[0-9]{2}|2[0-4][0-9]|25[0-5]))?"
    )
    assert all(p == "checkpoint" or path_re.fullmatch(p) for p in present), sorted(present)[:5]
    assert (interop_log.log_dir / "tile/2/000.p/1").stat().st_size == 32
    assert (interop_log.log_dir / "tile/1/001.p/1").stat().st_size == 32
    assert (interop_log.log_dir / f"tile/0/257.p/{size % 256}").stat().st_size == 32 * (size % 256)


def test_audit_passes(interop_log: InteropLog) -> None:
    assert truceline("log", "audit", "--home", interop_log.home, check=False).returncode == 0


def test_command_line(interop_log: InteropLog, capsys: pytest.CaptureFixture[str]) -> None:
    p = interop_log.proofs[-1]
    with serve_directory(interop_log.log_dir) as url:
        code = sv.main(
            [url, str(interop_log.vkey), "--proof", str(p.path), "--proof", f"{p.path}={p.data}"]
        )
    assert code == 0 and capsys.readouterr().out.startswith(f"VERIFIED {ORIGIN} size {p.size}")
    with serve_directory(interop_log.log_dir) as url:
        assert sv.main([url, str(interop_log.vkey), "--proof", f"{p.path}={interop_log.vkey}"]) == 1
    assert "FAIL inclusion proof" in capsys.readouterr().out
