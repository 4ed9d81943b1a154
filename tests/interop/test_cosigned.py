"""A checkpoint cosigned by a `truceline witness` (c2sp.org/tlog-witness, cosignature/v1),
checked by x/mod's note.Open with the log key plus a cosignature/v1 verifier, and by the
clean-room monitor."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from . import spec_verifier as sv
from .conftest import run_go, serve_directory, truceline

ORIGIN = "interop.example.org/cosigned/log"
WITNESS = "witness.interop.example.org/w1"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def cosigned(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    """A mission home whose policy requires one witness, served by `truceline witness serve`.

    Yields (mission home, witness vkey file) after two appends went through the witness.
    """
    base = tmp_path_factory.mktemp("cosigned")
    home, whome = base / "home", base / "witness"
    wvkey = truceline("witness", "init", "--home", whome, "--name", WITNESS).stdout.strip()
    (base / "witness.vkey").write_text(wvkey + "\n")
    truceline("log", "init", "--home", home, "--origin", ORIGIN)
    vkey = (home / "log.vkey").read_text().strip()
    truceline("witness", "add-log", "--home", whome, "--origin", ORIGIN, "--vkey", vkey)
    port = _free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "truceline.cli",
            "witness",
            "serve",
            "--home",
            str(whome),
            "--listen",
            f"127.0.0.1:{port}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ},
    )
    try:
        deadline = time.monotonic() + 120
        direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        while True:
            try:
                direct.open(f"http://127.0.0.1:{port}/", timeout=1)
            except urllib.error.HTTPError:
                break  # answering (404 for /) is all we wait for
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    err = server.stderr.read().decode() if server.stderr else ""
                    raise AssertionError(f"witness did not start: {err}") from None
                time.sleep(0.1)
            else:
                break
        (home / "policy").write_text(
            f"log {vkey}\nwitness w1 {wvkey} http://127.0.0.1:{port}\nquorum w1\n"
        )
        for batch in range(2):
            files = []
            for i in range(300 if batch else 5):
                f = base / f"e{batch}-{i}"
                f.write_bytes(b"cosigned batch %d entry %d\n" % (batch, i))
                files.append(f)
            truceline("log", "append", "--home", home, *files)
        proof = base / "last.tlog-proof"
        proof.write_text(truceline("log", "prove", "--home", home, "304").stdout)
        yield home, base / "witness.vkey"
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(30)


def test_checkpoint_carries_the_cosignature(cosigned: tuple[Path, Path]) -> None:
    home, _ = cosigned
    sig_lines = [
        ln for ln in (home / "log/checkpoint").read_text().splitlines() if ln.startswith("\u2014 ")
    ]
    assert [ln.split(" ")[1] for ln in sig_lines] == [ORIGIN, WITNESS]


def test_go_note_open_with_both_verifiers(cosigned: tuple[Path, Path], go_verifier: Path) -> None:
    home, wvkey = cosigned
    proof = home.parent / "last.tlog-proof"
    r = run_go(
        go_verifier,
        "-log",
        home / "log",
        "-vkey",
        home / "log.vkey",
        "-witness",
        wvkey,
        "-proof",
        proof,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    # x/mod 0.7 has no type 0x04 verifier: with the log key alone the cosignature is an
    # unverified (unknown-key) signature, as signed-note requires...
    assert "unknown verifier algorithm" in r.stdout
    assert f"ok checkpoint signed by {ORIGIN} (1 other signature(s) left unverified)" in r.stdout
    # ...and note.Open with the log key plus a cosignature/v1 note.Verifier verifies both.
    assert "ok checkpoint cosigned by 1 witness(es)" in r.stdout
    assert f"ok {proof}: index 304 included in size 305" in r.stdout

    # Without the cosignature line the proof is no longer one the witness vouched for.
    lines = proof.read_text().splitlines(keepends=True)
    stripped = home.parent / "uncosigned.tlog-proof"
    stripped.write_text("".join(ln for ln in lines if not ln.startswith(f"\u2014 {WITNESS} ")))
    r = run_go(
        go_verifier,
        "-log",
        home / "log",
        "-vkey",
        home / "log.vkey",
        "-witness",
        wvkey,
        "-proof",
        stripped,
    )
    assert (
        r.returncode == 1 and f"FAIL {stripped}: checkpoint: no signature by {WITNESS}+" in r.stdout
    )
    key = sv.VerifierKey.parse((home / "log.vkey").read_text())
    with pytest.raises(sv.VerificationError, match=f"no signature by {WITNESS}"):
        sv.verify_tlog_proof(
            stripped.read_bytes(),
            b"cosigned batch 1 entry 299\n",
            key,
            [sv.VerifierKey.parse(wvkey.read_text())],
        )


def test_monitor_requires_the_cosignature(cosigned: tuple[Path, Path]) -> None:
    home, wvkey = cosigned
    key = sv.VerifierKey.parse((home / "log.vkey").read_text())
    witness = sv.VerifierKey.parse(wvkey.read_text())
    assert witness.sig_type == sv.SIG_COSIGNATURE_V1
    with serve_directory(home / "log") as url:
        view = sv.verify_log(url, key, [witness])
    assert view.checkpoint.size == 305
    proof = (home.parent / "last.tlog-proof").read_bytes()
    sv.verify_tlog_proof(proof, view.entries[304], key, [witness])


@pytest.fixture(scope="module")
def forged(cosigned: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the home with one base64 character of the witness's signature changed."""
    home, _ = cosigned
    bad = tmp_path_factory.mktemp("forged") / "home"
    shutil.copytree(home, bad)
    raw = (bad / "log/checkpoint").read_text()
    head, _, wline = raw.rstrip("\n").rpartition("\n")
    name, b64 = wline[2:].split(" ")
    assert name == WITNESS
    flipped = b64[:20] + ("A" if b64[20] != "A" else "B") + b64[21:]
    (bad / "log/checkpoint").write_text(f"{head}\n\u2014 {name} {flipped}\n")
    return bad


def test_forged_cosignature_fails_monitor_and_audit(
    cosigned: tuple[Path, Path], forged: Path
) -> None:
    home, wvkey = cosigned
    key = sv.VerifierKey.parse((home / "log.vkey").read_text())
    witness = sv.VerifierKey.parse(wvkey.read_text())
    with (
        serve_directory(forged / "log") as url,
        pytest.raises(sv.VerificationError, match="does not verify"),
    ):
        sv.verify_log(url, key, [witness])
    assert truceline("log", "audit", "--home", forged, check=False).returncode != 0


def test_forged_cosignature_fails_go(
    cosigned: tuple[Path, Path], forged: Path, go_verifier: Path
) -> None:
    _, wvkey = cosigned
    r = run_go(go_verifier, "-log", forged / "log", "-vkey", forged / "log.vkey", "-witness", wvkey)
    assert r.returncode == 1 and "FAIL checkpoint: invalid signature for key " + WITNESS in r.stdout
