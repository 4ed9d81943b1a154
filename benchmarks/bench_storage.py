"""Benchmark of the tile storage drivers: durable appends and tile reads, POSIX vs PostgreSQL.

    .venv/bin/python benchmarks/bench_storage.py [--entries 50000] [--reads 2000]
                                                 [--pg postgresql+psycopg://postgres@127.0.0.1:5432/test]

For each driver, the same log code (`TileLog`, dedup index in SQLite in both cases, so only
the tile storage differs):

1. appends/s with `TileLog.append` in batches of 1,000 and of 16 entries (500 bytes each):
   the large batch shows throughput, the small one the fixed cost per durable batch
   (fsyncs and renames on POSIX, one committed transaction on PostgreSQL);
2. reads/s of random full hash tiles (8 KiB) and entry bundles (128 KiB), uncached (`TileStore(cache_tiles=0)`,
   as `/log/` serves them);
3. inclusion proofs/s with a cold tile cache (a new `ReadOnlyLog` each 50 proofs).

The PostgreSQL log goes to a fresh schema, dropped at the end. The machine is shared, so the
load average is printed with each figure.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from truceline.ledger import tiles
from truceline.ledger.logsign import Ed25519NoteSigner
from truceline.ledger.readonly import ReadOnlyLog
from truceline.ledger.tilelog import TileLog
from truceline.ledger.tilestore import TileStore
from truceline.store.base import open_store

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from pg_schema import pg_schema  # noqa: E402 - the tests' fresh-schema helper

ENTRY = 500
ORIGIN = "bench.truceline/storage"


def load() -> str:
    return f"{os.getloadavg()[0]:.1f}"


def entries(n: int, tag: str) -> list[bytes]:
    """`n` distinct entries (the log deduplicates) of ENTRY bytes."""
    return [f"{tag} {i} ".encode().ljust(ENTRY, b"x") for i in range(n)]


def bench(name: str, where: str, work: Path, n: int, reads: int) -> None:
    signer = Ed25519NoteSigner(ORIGIN, Ed25519PrivateKey.from_private_bytes(bytes(range(32))))
    engine = open_store(f"sqlite:///{work / (name + '.db')}")
    log = TileLog.create(where, ORIGIN, signer, engine)
    for batch in (1000, 16):
        count = n if batch == 1000 else max(n // 20, 1600)
        data = entries(count, f"{name}-{batch}")
        t0, c0 = time.perf_counter(), time.process_time()
        for i in range(0, count, batch):
            log.append(data[i : i + batch])
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        print(
            f"{name:8} append, batches of {batch:4}: {count / wall:9,.0f} entries/s "
            f"({count / batch / wall:7,.1f} batches/s, {cpu / wall:.0%} CPU, load {load()})"
        )
    size = log.size
    log.close()

    store = TileStore(where, cache_tiles=0)
    rng = random.Random(1)
    full = size // tiles.TILE_WIDTH
    for what, paths in (
        ("hash tiles", [tiles.tile_path(0, rng.randrange(full)) for _ in range(reads)]),
        ("bundles", [tiles.entries_path(rng.randrange(full)) for _ in range(reads)]),
    ):
        t0 = time.perf_counter()
        got = sum(len(store.read_file(p)) for p in paths)
        wall = time.perf_counter() - t0
        print(
            f"{name:8} full {what} read uncached: {reads / wall:9,.0f} reads/s "
            f"({got / wall / 1e6:.1f} MB/s, load {load()})"
        )
    store.storage.close()

    proofs = reads // 2
    t0 = time.perf_counter()
    reader = None
    for i in range(proofs):
        if i % 50 == 0:
            if reader is not None:
                reader.close()
            reader = ReadOnlyLog(where, signer.verifier())
        assert reader is not None
        reader.prove(rng.randrange(size))
    wall = time.perf_counter() - t0
    if reader is not None:
        reader.close()
    print(
        f"{name:8} inclusion proofs, cold cache per 50: {proofs / wall:9,.0f} proofs/s "
        f"(log of {size:,} entries, load {load()})"
    )
    engine.dispose()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--entries", type=int, default=50_000)
    ap.add_argument("--reads", type=int, default=2_000)
    ap.add_argument(
        "--pg",
        default=os.environ.get(
            "TRUCELINE_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        ),
    )
    args = ap.parse_args()
    print(f"{args.entries:,} entries of {ENTRY} bytes; {os.cpu_count()} cores, shared machine")
    with tempfile.TemporaryDirectory(prefix="bench-storage-") as tmp:
        work = Path(tmp)
        bench("posix", str(work / "log"), work, args.entries, args.reads)
        with pg_schema(args.pg, "bench") as url:
            bench("postgres", url, work, args.entries, args.reads)


if __name__ == "__main__":
    main()
