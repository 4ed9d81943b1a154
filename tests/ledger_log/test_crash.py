"""kill -9 an appending process at random moments; nothing acknowledged is ever lost.

After every kill the log is reopened (which recovers), every acknowledged index
must hold the identical bytes, the audit must pass, and the new checkpoint must
be consistent with every checkpoint seen before.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import threading
import time
import traceback
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from truceline.ledger import merkle
from truceline.ledger.audit import audit_log
from truceline.ledger.checkpoint import open_checkpoint
from truceline.ledger.logsign import Ed25519NoteSigner
from truceline.ledger.tilelog import TileLog
from truceline.store.base import open_store

from . import crash_writer

KILLS = {"sqlite": 30, "postgres": 8}
SEED = bytes(range(1, 33))


def _reader(fd: int, lines: list[str], ready: threading.Event) -> None:
    with os.fdopen(fd, "r") as stream:
        for line in stream:
            if line == "READY\n":
                ready.set()
            elif line.endswith("\n"):  # a line cut by the kill was never a full acknowledgement
                lines.append(line)


def _spawn(args: tuple[str, str, bytes, int, str]) -> tuple[int, int]:
    """Fork a writer (modules already imported: it starts at once). Returns (pid, read fd)."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: never return into pytest
        try:
            os.close(r)
            crash_writer.run(*args, out=w)
        except BaseException:
            traceback.print_exc()
        finally:
            os._exit(3)
    os.close(w)
    return pid, r


@pytest.mark.slow
def test_sigkill_at_random_moments_loses_nothing_acknowledged(
    tmp_path: Path, store_url: str
) -> None:
    kills = KILLS["sqlite" if store_url.startswith("sqlite") else "postgres"]
    _kill_and_check(str(tmp_path / "log"), store_url, kills)


@pytest.mark.slow
@pytest.mark.postgres
def test_sigkill_of_a_writer_on_the_postgresql_driver_loses_nothing(pg_url: str) -> None:
    """Tiles, checkpoint and state in PostgreSQL (and the dedup index in the same schema)."""
    _kill_and_check(pg_url, pg_url, KILLS["postgres"])


def _kill_and_check(where: str, url: str, kills: int) -> None:
    """Kill a writer appending to the log in `where` (directory or PostgreSQL URL) `kills` times."""
    signer = Ed25519NoteSigner("crash.test/log", Ed25519PrivateKey.from_private_bytes(SEED))
    posix = not where.startswith("postgresql")
    engine = open_store(url)
    TileLog.create(where, "crash.test/log", signer, engine).close()
    rng = random.Random(2026)
    acked: dict[int, str] = {}
    seen: list[tuple[int, bytes]] = []
    stats = {"tmp files": 0, "unpublished": 0}

    for run in range(kills):
        mode = "sequencer" if run % 2 else "direct"
        engine.dispose()  # no pooled connection may be shared with the child
        pid, fd = _spawn((where, url, SEED, run, mode))
        lines: list[str] = []
        ready = threading.Event()
        reader = threading.Thread(target=_reader, args=(fd, lines, ready), daemon=True)
        reader.start()
        if not ready.wait(60):
            os.kill(pid, signal.SIGKILL)
            pytest.fail(f"run {run}: writer did not start")
        if run % 2 == 0:
            # Half the kills land only after this writer acknowledged something, however
            # slow the machine: so the runs always make progress to check (a kill before
            # any acknowledgement is the other half's case).
            deadline = time.monotonic() + 60
            while not lines and time.monotonic() < deadline:
                time.sleep(0.005)
        time.sleep(rng.uniform(0.0, 0.2))  # somewhere inside a batch, a fsync, a rename...
        os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        reader.join()
        assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL, (
            f"writer died early: {status}"
        )
        for line in lines:
            _, idx_s, digest = line.split()
            idx = int(idx_s)
            assert acked.setdefault(idx, digest) == digest, (
                f"run {run}: index {idx} changed meaning"
            )

        if posix:
            stats["tmp files"] += len(list(Path(where).rglob("*.tmp")))
            state = json.loads((Path(where) / ".state/treeState").read_text())["size"]
            stats["unpublished"] += state > int(
                (Path(where) / "checkpoint").read_text().split("\n")[1]
            )
        log = TileLog.open(where, signer, engine)  # recovery happens here
        try:
            if acked:
                assert log.size > max(acked), f"run {run}: acknowledged index {max(acked)} lost"
            entries = log.read(0, log.size)
            for idx, digest in acked.items():
                assert hashlib.sha256(entries[idx]).hexdigest() == digest, f"run {run}: index {idx}"
            assert len(set(entries)) == len(entries), "a duplicate entry got a second index"
            if posix:
                assert not list(log.log_dir.rglob("*.tmp")), "recovery left temp files"
            report = audit_log(where, signer.verifier())
            assert report.ok, [str(f) for f in report.findings]
            cp, _ = open_checkpoint(log.checkpoint(), [signer.verifier()])
            for size, root in seen:  # one history: every checkpoint extends every earlier one
                if 0 < size < cp.size:
                    merkle.verify_consistency(
                        size, cp.size, root, cp.root_hash, log.consistency_proof(size, cp.size)
                    )
                elif size == cp.size:
                    assert root == cp.root_hash
            seen.append((cp.size, cp.root_hash))
        finally:
            log.close()
    assert len(acked) > kills  # the kills did land after real progress
    print(f"acknowledged {len(acked)}, recovery cases {stats}")
    engine.dispose()
