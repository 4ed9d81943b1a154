"""Benchmark of the durable tile log: appends/s, proof latency, bytes stored per entry.

    .venv/bin/python benchmarks/bench_ledger.py [--entries 200000] [--proof-size 1000000]
                                                 [--ten-million] [--dir DIR]

1. hashing alone: leaf hashes + tile hashing of 500-byte entries in memory (the ceiling);
2. durable appends through the Sequencer, several producer threads, 500-byte entries;
3. durable appends with TileLog.append in batches (no sequencer), for comparison;
4. the log grown to --proof-size entries: tlog-proof latency (cold tile cache / warm),
   and the bytes stored per entry (bundles, hash tiles, dedup index);
5. --ten-million: a 10M-leaf tree of hash tiles (written by the same integration code,
   without bundles or fsyncs) and the proof latency on it.

The machine is shared, so the load average and the CPU time are printed with each figure.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import shutil
import statistics
import tempfile
import threading
import time
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from truceline.ledger import merkle, proof, tiles
from truceline.ledger.integrate import grow
from truceline.ledger.logsign import Ed25519NoteSigner
from truceline.ledger.sequencer import Sequencer
from truceline.ledger.tilelog import TileLog
from truceline.ledger.tilestore import TileStore
from truceline.store.base import open_store

ENTRY = 500
ORIGIN = "bench.truceline/log"


def load() -> str:
    return f"load {os.getloadavg()[0]:.1f}"


def entries(n: int, tag: int) -> list[bytes]:
    # Unique, incompressible-enough 500-byte entries (dedup must not kick in).
    head = [hashlib.sha256(f"{tag}/{i}".encode()).digest() for i in range(n)]
    pad = os.urandom(ENTRY - 32)
    return [h + pad for h in head]


def bench_hashing(n: int) -> float:
    data = entries(n, -1)
    t, c = time.perf_counter(), time.process_time()
    tails: dict[int, list[bytes]] = {}
    size = 0
    for lo in range(0, n, 8192):
        leaves = [hashlib.sha256(b"\x00" + e).digest() for e in data[lo : lo + 8192]]
        g = grow(tails, size, leaves)
        tails, size = g.tails, size + len(leaves)
    wall, cpu = time.perf_counter() - t, time.process_time() - c
    rate = n / wall
    print(
        f"hashing alone (leaf + tile hashes, in memory): {rate:,.0f} entries/s  cpu {cpu:.2f}s  {load()}"
    )
    return rate


def bench_sequencer(log: TileLog, n: int, producers: int, max_batch: int) -> float:
    data = entries(n, 1)
    t, c = time.perf_counter(), time.process_time()
    with Sequencer(log, max_batch=max_batch, max_interval=0.02) as seq:

        def produce(k: int) -> None:
            futs = [seq.submit(e) for e in data[k::producers]]
            for f in futs:
                f.result()

        threads = [threading.Thread(target=produce, args=(k,)) for k in range(producers)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        batches = seq.batches
    wall, cpu = time.perf_counter() - t, time.process_time() - c
    rate = n / wall
    print(
        f"durable appends via Sequencer ({producers} producer threads, max_batch {max_batch}): "
        f"{rate:,.0f} entries/s  ({batches} batches, {wall:.1f}s wall, cpu {cpu:.1f}s)  {load()}"
    )
    return rate


def bench_direct(log: TileLog, n: int, batch: int, tag: int) -> float:
    t, c = time.perf_counter(), time.process_time()
    for lo in range(0, n, batch):
        log.append(entries(min(batch, n - lo), tag * 1_000_000_000 + lo))
    wall, cpu = time.perf_counter() - t, time.process_time() - c
    rate = n / wall
    print(
        f"durable appends via TileLog.append (batches of {batch}, entries built in the loop): "
        f"{rate:,.0f} entries/s  ({wall:.1f}s wall, cpu {cpu:.1f}s)  {load()}"
    )
    return rate


def _latencies(fn, indices: list[int]) -> tuple[float, float, float]:  # type: ignore[no-untyped-def]
    out = []
    for i in indices:
        t = time.perf_counter()
        fn(i)
        out.append((time.perf_counter() - t) * 1e6)
    out.sort()
    return statistics.fmean(out), out[len(out) // 2], out[int(len(out) * 0.99)]


def bench_proofs(log: TileLog, signer: Ed25519NoteSigner, engine_url: str, samples: int) -> None:
    size = log.size
    rng = random.Random(7)
    idx = [rng.randrange(size) for _ in range(samples)]
    fresh = TileLog.open(log.log_dir, signer, open_store(engine_url))
    cold = _latencies(fresh.prove, idx)
    warm = _latencies(fresh.prove, idx)
    p = fresh.prove(idx[0])
    proof.verify(p, fresh.read(idx[0], idx[0] + 1)[0], signer.verifier())
    fresh.close()
    print(
        f"prove() at {size:,} entries, {samples} random indices: "
        f"cold cache mean {cold[0]:.0f} µs (p50 {cold[1]:.0f}, p99 {cold[2]:.0f}); "
        f"warm mean {warm[0]:.0f} µs (p50 {warm[1]:.0f}, p99 {warm[2]:.0f})  {load()}"
    )


def du(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def bytes_per_entry(log: TileLog, db: Path) -> None:
    n = log.size
    bundles = du(log.log_dir / "tile" / "entries")
    hashes = du(log.log_dir / "tile") - bundles
    dbsize = sum(p.stat().st_size for p in db.parent.glob(db.name + "*"))
    print(
        f"bytes stored per entry at {n:,} entries of {ENTRY} bytes: bundles {bundles / n:.2f} "
        f"(entry + 2), hash tiles {hashes / n:.2f}, dedup index (SQLite) {dbsize / n:.2f}, "
        f"total {(bundles + hashes + dbsize) / n:.2f}"
    )


def bench_ten_million(root: Path, n: int, samples: int) -> None:
    """Hash tiles of an n-leaf tree, written by integrate.grow, then proofs from TileStore."""
    tdir = root / "tiles10m"
    t = time.perf_counter()
    tails: dict[int, list[bytes]] = {}
    size = 0
    chunk = 1 << 16
    for lo in range(0, n, chunk):
        leaves = [
            hashlib.sha256(i.to_bytes(8, "big")).digest() for i in range(lo, min(n, lo + chunk))
        ]
        g = grow(tails, size, leaves)
        for rel, data in g.files:
            if ".p/" not in rel:  # full tiles now; the partial ones of the final size below
                p = tdir / rel
                p.parent.mkdir(parents=True, exist_ok=True)
                p.write_bytes(data)
        tails, size = g.tails, size + len(leaves)
    for level, hashes in tails.items():
        p = tdir / tiles.tile_path(level, (n >> (8 * level)) // 256, len(hashes))
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(b"".join(hashes))
    build = time.perf_counter() - t
    store = TileStore(tdir)
    rng = random.Random(11)
    idx = [rng.randrange(n) for _ in range(samples)]
    cold = _latencies(lambda i: store.inclusion_proof(i, n), idx)
    warm = _latencies(lambda i: store.inclusion_proof(i, n), idx)
    i = idx[0]
    root_hash = store.root(n)
    leaf = hashlib.sha256(i.to_bytes(8, "big")).digest()  # the synthetic leaf hash of index i
    merkle.verify_inclusion(i, n, leaf, store.inclusion_proof(i, n), root_hash)
    print(
        f"inclusion proof from tiles at {n:,} leaves ({build:.0f}s to build the tiles), {samples} random "
        f"indices: cold mean {cold[0]:.0f} µs (p50 {cold[1]:.0f}, p99 {cold[2]:.0f}); "
        f"warm mean {warm[0]:.0f} µs (p50 {warm[1]:.0f}, p99 {warm[2]:.0f})  {load()}"
    )
    shutil.rmtree(tdir)


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--entries", type=int, default=200_000, help="entries for the append benchmarks"
    )
    ap.add_argument("--producers", type=int, default=4)
    ap.add_argument("--max-batch", type=int, default=8192)
    ap.add_argument("--proof-size", type=int, default=1_000_000)
    ap.add_argument("--samples", type=int, default=2000)
    ap.add_argument("--ten-million", action="store_true")
    ap.add_argument("--only-ten-million", action="store_true", help="skip 1-4")
    ap.add_argument(
        "--dir", type=Path, default=None, help="where to build the logs (default: a temp dir)"
    )
    args = ap.parse_args()

    root = Path(tempfile.mkdtemp(prefix="bench_ledger_", dir=args.dir))
    try:
        print(f"cpus {os.cpu_count()}, {load()}, entries of {ENTRY} bytes, dir {root}")
        if args.only_ten_million:
            bench_ten_million(root, 10_000_000, args.samples)
            return
        bench_hashing(min(args.entries, 100_000))
        signer = Ed25519NoteSigner(ORIGIN, Ed25519PrivateKey.generate())
        db = root / "store.db"
        url = f"sqlite:///{db}"
        log = TileLog.create(root / "log", ORIGIN, signer, open_store(url))
        bench_sequencer(log, args.entries, args.producers, args.max_batch)
        bench_direct(log, args.entries, args.max_batch, 2)
        remaining = args.proof_size - log.size
        if remaining > 0:
            t = time.perf_counter()
            bench_direct(log, remaining, 65536, 3)
            print(f"  (grown to {log.size:,} entries in {time.perf_counter() - t:.0f}s)")
        bench_proofs(log, signer, url, args.samples)
        bytes_per_entry(log, db)
        log.close()
        if args.ten_million:
            bench_ten_million(root, 10_000_000, args.samples)
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
