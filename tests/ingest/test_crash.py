"""Acknowledged means durable: SIGKILL an ingesting process; every index it reported survives."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from truceline.codec import keys
from truceline.ledger.logsign import Ed25519NoteSigner
from truceline.ledger.tilelog import TileLog
from truceline.store.base import open_store

CHILD = r"""
import json, sys
from pathlib import Path
sys.path.insert(0, sys.argv[2])
from ingest.conftest import make_world, obs
w = make_world(Path(sys.argv[1]), "sqlite:///" + sys.argv[1] + "/s.db")
from truceline.codec import keys
keys.save_private_key(Path(sys.argv[1]) / "log-signer.key", w.log_key)
print(json.dumps({"ready": True}), flush=True)
seq = 1
while True:
    batch = [w.seal(obs(seq=seq + i)) for i in range(50)]
    seq += 50
    for r in w.ingestor.ingest(batch):
        # reported only after ingest returned, i.e. after the durable append
        print(json.dumps({"index": r.index, "sha": r.entry_sha256}), flush=True)
"""


@pytest.mark.slow
def test_acknowledged_entries_survive_sigkill(tmp_path: Path) -> None:
    tests_dir = Path(__file__).resolve().parents[1]
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(tmp_path), str(tests_dir)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    acked: list[dict[str, object]] = []
    deadline = time.monotonic() + 60
    for line in proc.stdout:
        msg = json.loads(line)
        if "index" in msg:
            acked.append(msg)
        if len(acked) >= 300 or time.monotonic() > deadline:
            break
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert len(acked) >= 300
    # reopen the log the child wrote, with its signer (recovery may publish a checkpoint)
    signer = Ed25519NoteSigner(
        "test.truceline/log", keys.load_private_key(tmp_path / "log-signer.key")
    )
    log = TileLog.open(tmp_path / "log", signer, open_store(f"sqlite:///{tmp_path}/s.db"))
    try:
        assert log.size >= max(int(a["index"]) for a in acked) + 1  # type: ignore[call-overload]
        for a in acked:
            entry = log.entry(int(a["index"]))  # type: ignore[call-overload]
            assert hashlib.sha256(entry).hexdigest() == a["sha"]
    finally:
        log.close()
