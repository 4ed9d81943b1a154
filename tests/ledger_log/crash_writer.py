"""The victim of test_crash.py: append forever, writing `ACK <index> <sha256>` once durable.

`run(log_dir, url, seed, run, mode, out)` is called in a forked child (so it
starts in milliseconds, with the modules already imported) and never returns.
MODE "direct" appends random batches; MODE "sequencer" feeds a Sequencer from two threads.
Some entries repeat earlier ones, so dedup is exercised across crashes.
"""

from __future__ import annotations

import hashlib
import os
import random
import threading

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from truceline.ledger.logsign import Ed25519NoteSigner
from truceline.ledger.sequencer import Sequencer
from truceline.ledger.tilelog import TileLog
from truceline.store.base import open_store


def entry(run: int, n: int, rng: random.Random) -> bytes:
    if n > 10 and rng.random() < 0.05:
        # A repeat of an entry from an earlier run (maybe acknowledged, maybe lost).
        run, n = rng.randrange(run + 1), rng.randrange(50)
    return f"run {run} entry {n} ".encode() * (1 + n % 5)


def run(log_dir: str, url: str, seed: bytes, run: int, mode: str, out: int) -> None:
    def ack(lines: list[str]) -> None:
        data = "".join(lines).encode()
        while data:
            data = data[os.write(out, data) :]

    signer = Ed25519NoteSigner("crash.test/log", Ed25519PrivateKey.from_private_bytes(seed))
    log = TileLog.open(log_dir, signer, open_store(url))
    rng = random.Random(run)
    ack(["READY\n"])
    n = 0
    if mode == "direct":
        while True:
            batch = [entry(run, n + i, rng) for i in range(rng.randint(1, 400))]
            n += len(batch)
            idx = log.append(batch)
            ack(
                [
                    f"ACK {i} {hashlib.sha256(e).hexdigest()}\n"
                    for i, e in zip(idx, batch, strict=True)
                ]
            )
    seq = Sequencer(log, max_batch=256, max_interval=0.005)
    mu = threading.Lock()

    def produce(k: int) -> None:
        local = random.Random(run * 100 + k)
        i = 0
        while True:
            es = [
                entry(run, 1_000_000 * (k + 1) + i + j, local) for j in range(local.randint(1, 200))
            ]
            i += len(es)
            futs = [seq.submit(e) for e in es]
            lines = [
                f"ACK {f.result()} {hashlib.sha256(e).hexdigest()}\n"
                for e, f in zip(es, futs, strict=True)
            ]
            with mu:
                ack(lines)

    threads = [threading.Thread(target=produce, args=(k,), daemon=True) for k in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
