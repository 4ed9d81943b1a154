"""`truceline witness` end to end: init, add-log, serve (a real process), evidence export."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
from typer.testing import CliRunner

from truceline.cli import app
from truceline.ledger import note as notes
from truceline.ledger.witness.client import WitnessClient

from .helpers import TestLog
from .live import free_port

runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    r = runner.invoke(app, ["witness", *args])
    return r.exit_code, r.stdout, r.stderr


def test_init_add_log_and_errors(tmp_path: Path) -> None:
    home = tmp_path / "w"
    code, out, _ = run("init", "--home", str(home), "--name", "witness.example.org/w9")
    assert code == 0
    vkey = out.strip()
    v = notes.parse_vkey(vkey)
    assert v.name == "witness.example.org/w9" and v.alg == notes.ALG_COSIGNATURE_V1
    assert (home / "witness.key").stat().st_mode & 0o777 == 0o600
    code, _, err = run("init", "--home", str(home), "--name", "x")
    assert code == 1 and "already exists" in err

    log = TestLog()
    code, _, err = run(
        "add-log", "--home", str(home), "--origin", "other.origin", "--vkey", log.vkey
    )
    assert code == 1 and "must equal the origin" in err
    code, _, err = run("add-log", "--home", str(home), "--origin", log.origin, "--vkey", "garbage")
    assert code == 1 and "vkey" in err
    code, out, _ = run("add-log", "--home", str(home), "--origin", log.origin, "--vkey", log.vkey)
    assert code == 0 and "cosigned size 0" in out
    code, out, _ = run("logs", "--home", str(home))
    assert out.startswith(f"{log.origin}\t0\t-")


def test_serve_cosigns_and_evidence_exports(tmp_path: Path) -> None:
    home = tmp_path / "w"
    log = TestLog()
    assert run("init", "--home", str(home), "--name", "w.example")[0] == 0
    assert run("add-log", "--home", str(home), "--origin", log.origin, "--vkey", log.vkey)[0] == 0
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "truceline.cli",
            "witness",
            "serve",
            "--home",
            str(home),
            "--listen",
            f"127.0.0.1:{port}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ},
    )
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(300):
            try:
                httpx.get(url, timeout=0.5)
                break
            except httpx.TransportError:
                time.sleep(0.05)
        log.grow(6)
        fork = TestLog(log.origin, fork="evil ")
        fork.grow(6)
        with WitnessClient(url, retries=0) as client:
            assert client.submit(log.checkpoint(), 6, 0, log.proof).old == 0
            try:
                client.submit(fork.checkpoint(), 6, 6, fork.proof)
            except Exception as exc:  # noqa: BLE001 - the refusal itself is the point
                assert "409" in str(exc)
            else:
                raise AssertionError("the fork was cosigned")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(15)

    code, out, _ = run("evidence", "--home", str(home), "--export", str(tmp_path / "ev"))
    assert code == 0 and "same-size-different-root" in out
    [d] = list((tmp_path / "ev").iterdir())
    assert (d / "offered.checkpoint").read_bytes() == fork.checkpoint()
    seen = (d / "seen.checkpoint").read_bytes()
    assert seen.startswith(log.checkpoint())
    notes.open(seen, [log.signer.verifier()])
