"""Benchmark of `truceline mirror`: a first copy of a large log and an incremental update.

    .venv/bin/python benchmarks/bench_mirror.py [--entries 200000] [--update 1000] [--dir DIR]

1. an operator's log of --entries entries of ~560 bytes (JSON envelopes with base64 payloads
   and signatures, like the mission's records), built with TileLog.append;
2. `truceline serve --home` on it, as its own process (the server has its own core and GIL);
3. a first mirror over loopback HTTP: every bundle and tile fetched, every tile recomputed from
   the entries, the root and the checkpoint verified, fsynced and committed;
4. --update more entries appended, then the incremental mirror run (only new tiles fetched);
5. the same update through the `truceline mirror` command (a new process: includes start-up).

Figures: entries/s and MB/s (entry-bundle and tile bytes after decoding; the bytes on the wire
are smaller, bundles travel gzipped), the process CPU of the mirror, and the load average,
since the machine is shared.
"""

from __future__ import annotations

import argparse
import base64
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from truceline.home import Home
from truceline.ledger.fetch import TileFetcher
from truceline.ledger.home import create_log, open_log
from truceline.ledger.mirror import MirrorResult, mirror
from truceline.ledger.pinning import pin

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from served_home import serve_home  # noqa: E402 - the real server as a child process

ORIGIN = "bench.truceline/log"


def load() -> str:
    return f"load {os.getloadavg()[0]:.1f}"


def envelopes(start: int, n: int) -> list[bytes]:
    """Unique entries shaped like DSSE envelopes: JSON around base64 payload and signature."""
    rnd = random.Random(start)
    out = []
    for i in range(start, start + n):
        payload = base64.b64encode(
            f'{{"seq":{i},"sensor":"s-{i % 97}"}}'.encode() + rnd.randbytes(300)
        ).decode()
        sig = base64.b64encode(rnd.randbytes(64)).decode()
        out.append(
            (
                '{"payloadType":"application/vnd.truceline.observation+json",'
                f'"payload":"{payload}","signatures":[{{"keyid":"k{i % 13}","sig":"{sig}"}}]}}'
            ).encode()
        )
    return out


def build(home: Home, n: int) -> None:
    t = time.perf_counter()
    create_log(home, ORIGIN).close()
    log = open_log(home)
    try:
        for lo in range(0, n, 8192):
            log.append(envelopes(lo, min(8192, n - lo)))
    finally:
        log.close()
    print(f"operator log: {n:,} entries built in {time.perf_counter() - t:.1f} s  {load()}")


def run_mirror(url: str, home: Home, what: str, gzip: bool = True) -> MirrorResult:
    fetcher = TileFetcher(url, gzip=gzip)
    try:
        pin(home, fetcher, vkey=(home.root.parent / "operator/log.vkey").read_text())
        t, c = time.perf_counter(), time.process_time()
        result = mirror(home, fetcher)
        wall, cpu = time.perf_counter() - t, time.process_time() - c
    finally:
        fetcher.close()
    content = sum(n for _, n in result.fetched)
    print(
        f"{what}: {result.old_size:,} -> {result.size:,}: {result.entries / wall:,.0f} entries/s, "
        f"{content / wall / 1e6:.1f} MB/s ({content / 1e6:.1f} MB in {len(result.fetched)} files, "
        f"{result.wire_bytes / 1e6:.1f} MB on the wire), {wall:.2f} s wall, "
        f"mirror cpu {cpu:.2f} s  {load()}"
    )
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--entries", type=int, default=200_000)
    ap.add_argument("--update", type=int, default=1000)
    ap.add_argument("--dir", type=Path, default=None)
    args = ap.parse_args()
    base = Path(tempfile.mkdtemp(prefix="bench-mirror-", dir=args.dir))
    operator, copy = Home(base / "operator"), Home(base / "mirror")
    try:
        build(operator, args.entries)
        with serve_home(operator.root) as server_url:
            url = f"{server_url}/log"
            run_mirror(url, copy, "first mirror")
            plain = Home(base / "mirror-identity")
            run_mirror(url, plain, "first mirror, bundles not gzipped", gzip=False)
            shutil.rmtree(plain.root)
            log = open_log(operator)
            log.append(envelopes(args.entries, args.update))
            log.close()
            result = run_mirror(url, copy, "incremental update")
            print(f"  fetched: {', '.join(p for p, _ in sorted(result.fetched))}")
            log = open_log(operator)
            log.append(envelopes(args.entries + args.update, args.update))
            log.close()
            t = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "truceline.cli", "mirror", url, "--home", str(copy.root)],
                check=True,
                capture_output=True,
            )
            print(
                f"incremental update through `truceline mirror` (new process): "
                f"{time.perf_counter() - t:.2f} s wall  {load()}"
            )
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
