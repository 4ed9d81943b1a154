"""NATS JetStream feed: publication rate with acks, and ledger append -> subscriber latency.

Needs the NATS server of scripts/services at 127.0.0.1:4222 (or TRUCELINE_NATS_URL).

1. Publication: a home with N incidents (verified, then confirmed: 2N incident entries,
   each an entry message and a CAP message) plus its enforcement transitions;
   `Feed.run_once` publishes all of it, each message awaiting its PubAck.
   Also the bare rate: the same messages pre-rendered, published with acks.
2. Latency: `truceline feed --follow --poll P` runs as its own process; this process
   appends one incident at a time (another TileLog handle, fsync and checkpoint included)
   and a `bus.Subscriber` receives it. Latency = receipt - the moment before `append`.

Usage: .venv/bin/python benchmarks/bench_bus.py [--incidents 1000] [--samples 200]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the enforcement tests' small world


from enforcement._world import T0, entry, incident  # noqa: E402
from publication.test_bus import NATS_URL, make_home, nats_stream  # noqa: E402
from truceline.adjudication.verdict import INCIDENT_TYPE  # noqa: E402
from truceline.ledger.home import open_log  # noqa: E402
from truceline.publication import bus  # noqa: E402
from truceline.publication.feed import Feed, home_keys  # noqa: E402
from truceline.store.base import open_store  # noqa: E402


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(p / 100 * (len(xs) - 1)))]


async def throughput(tmp: Path, n: int) -> None:
    t = time.perf_counter()
    h = make_home(tmp / "pub", incidents=n)
    print(f"home: {n} incidents built in {time.perf_counter() - t:.1f} s")
    name = f"BENCH_BUS_{uuid.uuid4().hex[:8]}"
    async with nats_stream(name) as nc:
        store = open_store(h.store_url)
        log = open_log(h, store, witnesses=False)
        try:
            feed = Feed(log, store, nc, log.origin, stream=name)
            t = time.perf_counter()
            sent = await feed.run_once()
            dt = time.perf_counter() - t
            print(
                f"feed.run_once: {log.size} entries, {sent} messages in {dt:.2f} s = "
                f"{sent / dt:,.0f} msg/s, {log.size / dt:,.0f} entries/s (acked, CAP rendered, cursor)"
            )
            probe = Feed(log, store, nc, log.origin)
            t = time.perf_counter()
            msgs = [m for i, e in log.scan() for m in probe.messages(i, e)]
            render = time.perf_counter() - t
            print(f"rendering alone: {len(msgs)} messages in {render:.2f} s")
            js = nc.jetstream()
            name2 = f"{name}_RAW"
            await nc.jsm().add_stream(name=name2, subjects=[f"bench.{name2}.>"])
            try:
                t = time.perf_counter()
                for k, m in enumerate(msgs):
                    await js.publish(
                        f"bench.{name2}.x", m.data, headers={bus.H_MSG_ID: f"{k}"}, timeout=10
                    )
                dt = time.perf_counter() - t
                print(f"bare js.publish with acks: {len(msgs) / dt:,.0f} msg/s")
            finally:
                await nc.jsm().delete_stream(name2)
        finally:
            log.close()
            store.dispose()


async def latency(tmp: Path, samples: int, poll: float) -> None:
    h = make_home(tmp / "lat")
    name = f"BENCH_BUS_{uuid.uuid4().hex[:8]}"
    async with nats_stream(name) as nc:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "truceline.cli", "feed", "--home", str(h.root),
            "--nats", NATS_URL, "--stream", name, "--follow", "--poll", str(poll),
            stdout=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        try:
            while True:
                try:
                    await nc.jsm().stream_info(name)
                    break
                except Exception:  # noqa: BLE001 - not created yet
                    await asyncio.sleep(0.05)
            root = bus.subject_root(open_log(h, witnesses=False).origin)
            sub = bus.Subscriber(nc, name, "bench", home_keys(h), subjects=f"{root}.incident.*")
            while await sub.fetch(100, timeout=1.0):
                pass  # the home's own incidents
            writer = open_log(h, witnesses=False)
            sent: dict[str, float] = {}
            lat: list[float] = []
            appends: list[float] = []
            try:
                for k in range(samples):
                    ident = f"lat{k}"
                    rec = entry(
                        INCIDENT_TYPE, incident(ident, "verified", T0 + timedelta(seconds=k))
                    )
                    sent[ident] = time.perf_counter()
                    await asyncio.to_thread(writer.append, [rec])
                    appends.append(time.perf_counter() - sent[ident])
                    got: list[bus.Alert] = []
                    while not got:
                        got = await sub.fetch(10, timeout=2.0)
                    now = time.perf_counter()
                    for a in got:
                        lat.append(now - sent[a.payload["incident"]])
                    await asyncio.sleep(0.005)
            finally:
                writer.close()
                await sub.close()
            ms = [x * 1000 for x in lat]
            print(
                f"append -> subscriber (feed --follow --poll {poll}): n={len(ms)} "
                f"p50 {statistics.median(ms):.1f} ms, p99 {pct(ms, 99):.1f} ms, max {max(ms):.1f} ms"
            )
            print(
                f"  of which the append itself (fsync, checkpoint): p50 "
                f"{statistics.median(appends) * 1000:.1f} ms, p99 {pct(appends, 99) * 1000:.1f} ms"
            )
        finally:
            proc.terminate()
            await proc.wait()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--incidents", type=int, default=1000)
    ap.add_argument("--samples", type=int, default=200)
    ap.add_argument("--poll", type=float, default=0.01)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        asyncio.run(throughput(Path(d), args.incidents))
        asyncio.run(latency(Path(d), args.samples, args.poll))


if __name__ == "__main__":
    main()
