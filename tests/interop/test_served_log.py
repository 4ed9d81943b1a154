"""`truceline serve` (its /log/ routes) and `truceline mirror`, checked by the verifiers that
share no code with Truceline: the clean-room monitor and the Go x/mod verifier read the log
from the running server, and the Go verifier reads the mirror's directory."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from served_home import serve_home

from . import spec_verifier as sv
from .conftest import ORIGIN, InteropLog, run_go, truceline
from .test_go_verifier import _args


@pytest.fixture(scope="module")
def served(interop_log: InteropLog) -> Iterator[str]:
    """`truceline serve --home` the interop home, as a process; yields the log's URL prefix."""
    with serve_home(interop_log.home) as base:
        yield f"{base}/log"


def test_the_monitor_verifies_the_served_log(served: str, interop_log: InteropLog) -> None:
    key = sv.VerifierKey.parse(interop_log.vkey.read_text())
    old = [c.read_bytes() for c in interop_log.checkpoints]
    view = sv.verify_log(served, key, old_checkpoints=old)
    assert view.checkpoint.size == interop_log.sizes[-1]
    for f, index in list(interop_log.files.items())[::997]:
        assert view.entries[index] == f.read_bytes()


def test_go_verifies_the_served_log(
    served: str, go_verifier: Path, interop_log: InteropLog
) -> None:
    r = run_go(go_verifier, "-log", served, *_args(interop_log, with_data=False))
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.rstrip().endswith("VERIFIED")


def test_go_verifies_a_mirror_of_the_served_log(
    served: str, go_verifier: Path, interop_log: InteropLog, tmp_path: Path
) -> None:
    mirror = tmp_path / "mirror"
    run = truceline("mirror", served, "--home", mirror, "--vkey", interop_log.vkey)
    assert f"size 0 -> {interop_log.sizes[-1]}" in run.stdout
    r = run_go(go_verifier, "-log", mirror / "log", *_args(interop_log))
    assert r.returncode == 0, r.stdout + r.stderr
    assert f"ok checkpoint {ORIGIN} size {interop_log.sizes[-1]} root " in r.stdout
