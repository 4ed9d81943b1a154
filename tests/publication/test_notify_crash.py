"""`truceline notify --follow` killed with SIGKILL at random moments of its delivery, the log
growing meanwhile, then run again and stopped with SIGTERM: no acknowledged delivery (a
2xx recorded in the store) is lost or sent again, and every event reaches every receiver."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select

from truceline.publication.tables import Delivery
from truceline.store.base import open_store

from ._notifyhome import ENV, event_ids, events_home, grow, write_config
from ._receivers import wait_for

ROUNDS = 4


@pytest.mark.slow
def test_sigkill_loses_and_repeats_no_acknowledged_delivery(tmp_path: Path, receivers) -> None:
    h = events_home(tmp_path / "home", 150)
    fast, flaky = receivers(), receivers(fail_each=1)
    rxs = {"fast": fast, "flaky": flaky}
    cfg = write_config(h, {sid: (rx, {}) for sid, rx in rxs.items()})
    cmd = [sys.executable, "-m", "truceline.cli", "notify", "--home", str(h.root)]
    cmd += ["--config", str(cfg), "--follow", "--poll", "0.01"]
    env = {**os.environ, **ENV}
    store = open_store(h.store_url)
    rng = random.Random()

    def acked() -> dict[str, set[str]]:
        with store.connect() as c:
            rows = c.execute(select(Delivery.subscription, Delivery.webhook_id)).all()
        return {sid: {w for s, w in rows if s == sid} for sid in rxs}

    def received() -> dict[str, Counter[str]]:
        return {sid: Counter(g.id for g in rx.got) for sid, rx in rxs.items()}

    snapshots = []
    for k in range(ROUNDS):
        if k == 2:
            grow(h, 150, 40)  # the log grows between two runs...
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        # at most every event logged so far: a run that already delivered them all waits
        target = min(len(fast.delivered()) + rng.randint(5, 40), len(event_ids(h)))
        wait_for(lambda p=proc, t=target: len(fast.delivered()) >= t or p.poll() is not None)
        if k == 1:
            grow(h, 190, 20)  # ...and while one runs
        time.sleep(rng.uniform(0, 0.02))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert proc.returncode == -signal.SIGKILL, proc.stderr.read() if proc.stderr else ""
        snapshots.append((acked(), received()))
    want = event_ids(h)
    assert len(want) == 211
    # The kills landed during delivery, not before or after it.
    assert any(0 < len(a["fast"]) < len(want) for a, _ in snapshots), [
        len(a["fast"]) for a, _ in snapshots
    ]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def why() -> object:
        from datetime import UTC, datetime

        from truceline.publication.status import subscriber_status

        missing = {s: len(set(want) - set(rx.delivered_ids())) for s, rx in rxs.items()}
        return (proc.poll(), missing, subscriber_status(store, datetime.now(UTC)))

    try:
        wait_for(lambda: all(set(rx.delivered_ids()) >= set(want) for rx in rxs.values()), why=why)
        wait_for(lambda: all(len(ids) == len(want) for ids in acked().values()), why=why)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    summary = json.loads(out)
    assert {s["id"]: s["backlog"] for s in summary["subscribers"]} == {"fast": 0, "flaky": 0}
    # Nothing lost: every event acknowledged by every receiver, and recorded.
    final = received()
    for sid, rx in rxs.items():
        assert acked()[sid] == set(want)
        assert set(rx.delivered_ids()) == set(want)
    # Nothing acknowledged was sent again after the kill that followed its acknowledgement.
    for done, counts in snapshots:
        for sid in rxs:
            again = {
                i: (counts[sid][i], final[sid][i])
                for i in done[sid]
                if final[sid][i] != counts[sid][i]
            }
            assert again == {}, (sid, again)
    store.dispose()
