"""Ingest throughput: signed DSSE envelopes → verified, canonical-checked, durably appended.

Prints, from one run on this machine:
  - end-to-end ingest rate with checks inline (1 core) and in a 2-process pool,
    into a real TileLog (fsynced tiles) with the SQLite store, in batches;
  - the raw Ed25519 verification rate (libsodium, the hot path's backend, on 1 process and
    on 2; OpenSSL on 1 for comparison), measured just before and after each end-to-end
    run, so the ratio holds even on a shared, busy machine; and the load average.

    .venv/bin/python benchmarks/bench_ingest.py [--n 40000] [--batch 4096]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

from truceline.clock import FixedClock
from truceline.codec import dsse, ed25519, keys, records
from truceline.ingest.ingestor import Ingestor
from truceline.ledger.logsign import Ed25519NoteSigner
from truceline.ledger.tilelog import TileLog
from truceline.observation import OBSERVATION_TYPE
from truceline.registry.model import Register, Sensor
from truceline.registry.state import seal_event
from truceline.store.base import open_store

T0 = datetime(2026, 3, 1, tzinfo=UTC)
SENSORS = 64


def _observation(sensor: str, seq: int) -> dict[str, object]:
    return {
        "sensor": sensor,
        "seq": seq,
        "observed_at": (T0 + timedelta(seconds=seq)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "kind": "impact",
        "geometry": {
            "type": "Point",
            "coordinates": [35.0 + (seq % 997) / 1000, 47.5 + (seq % 389) / 1000],
        },
        "uncertainty_m": 75.5,
        "attributes": {"perception": "recorded", "weapon_class": "artillery", "calibre_mm": 152.0},
    }


def _sign_chunk(args: tuple[list[str], int, int]) -> list[bytes]:
    seeds, lo, hi = args
    ks = [keys.parse_private_key(s.encode()) for s in seeds]
    kids = [keys.key_id(k.public_key()) for k in ks]
    out = []
    for i in range(lo, hi):
        s = i % len(ks)
        out.append(records.seal(OBSERVATION_TYPE, _observation(f"s{s}", i), ks[s], kids[s]))
    return out


def _verify_chunk(args: tuple[list[tuple[bytes, bytes, bytes]], int]) -> int:
    """Raw libsodium verification of prepared (key, signature, message) triples."""
    pre, _ = args
    n = 0
    for key, sig, msg in pre:
        n += ed25519.verify(key, sig, msg)
    return n


def _raw_verify(pre: list[tuple[bytes, bytes, bytes]]) -> float:
    t = time.perf_counter()
    for key, sig, msg in pre:
        ed25519.verify(key, sig, msg)
    return len(pre) / (time.perf_counter() - t)


def _raw_verify_openssl(pre: list[tuple[bytes, bytes, bytes]]) -> float:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    objs = {k: Ed25519PublicKey.from_public_bytes(k) for k, _, _ in pre}
    t = time.perf_counter()
    for key, sig, msg in pre:
        objs[key].verify(sig, msg)
    return len(pre) / (time.perf_counter() - t)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=40_000)
    ap.add_argument("--batch", type=int, default=4096)
    args = ap.parse_args()
    ctx = multiprocessing.get_context("forkserver")

    sensor_keys = [keys.generate() for _ in range(SENSORS)]
    seeds = [keys.private_key_b64(k) for k in sensor_keys]
    step = args.n // 8 + 1
    with ProcessPoolExecutor(2, mp_context=ctx) as pool:
        chunks = [(seeds, lo, min(lo + step, args.n)) for lo in range(0, args.n, step)]
        envelopes = [e for part in pool.map(_sign_chunk, chunks) for e in part]
    print(
        f"envelopes: {len(envelopes)}, mean size {sum(map(len, envelopes)) / len(envelopes):.0f} bytes"
    )

    # --- raw Ed25519 verification (the same signatures ingest checks) --------------------
    by_kid = {keys.key_id(k.public_key()): keys.raw_public(k.public_key()) for k in sensor_keys}
    pre = []
    for raw in envelopes[:10_000]:
        env = dsse.Envelope.from_json(raw)
        pre.append(
            (
                by_kid[env.signatures[0].keyid],
                env.signatures[0].sig,
                dsse.pae(env.payload_type, env.payload),
            )
        )
    verify_pool = ProcessPoolExecutor(2, mp_context=ctx)
    list(verify_pool.map(_verify_chunk, [(pre[:10], 0)] * 2))  # warm the workers

    def raw_rates() -> tuple[float, float, float]:
        """libsodium on 1 process and on 2, and OpenSSL on 1: signatures/s, measured now."""
        one = _raw_verify(pre[:4000])
        t = time.perf_counter()
        done = sum(verify_pool.map(_verify_chunk, [(pre[:4000], 0), (pre[4000:8000], 0)]))
        two = done / (time.perf_counter() - t)
        return one, two, _raw_verify_openssl(pre[:2000])

    # --- end to end -------------------------------------------------------------------------
    for workers in (0, 2):
        with tempfile.TemporaryDirectory() as tmp:
            engine = open_store(f"sqlite:///{Path(tmp) / 'store.db'}")
            log_key = keys.generate()
            ledger = TileLog.create(
                Path(tmp) / "log", "bench/log", Ed25519NoteSigner("bench/log", log_key), engine
            )
            mission = keys.generate()
            mkid = keys.key_id(mission.public_key())
            regs = [
                seal_event(
                    Register(
                        effective_at=T0,
                        sensor=Sensor(
                            id=f"s{i}",
                            kind="acoustic_array",
                            operator="mission",
                            public_key=keys.public_key_b64(k.public_key()),
                        ),
                    ),
                    mission,
                    mkid,
                )
                for i, k in enumerate(sensor_keys)
            ]
            ledger.append(regs)
            clock = FixedClock(T0 + timedelta(days=30))
            ing = Ingestor(ledger, engine, {mkid: mission.public_key()}, clock, workers=workers)
            ing.ingest(envelopes[:512])  # warm up (a batch large enough to use the pool)
            rest = envelopes[512:]
            before = raw_rates()
            t = time.perf_counter()
            accepted = 0
            batches = (rest[lo : lo + args.batch] for lo in range(0, len(rest), args.batch))
            for results in ing.ingest_batches(batches):
                accepted += sum(r.accepted for r in results)
            dt = time.perf_counter() - t
            after = raw_rates()
            raw1 = (before[0] + after[0]) / 2
            raw2 = (before[1] + after[1]) / 2
            ossl = (before[2] + after[2]) / 2
            assert accepted == len(rest), f"only {accepted} of {len(rest)} accepted"
            assert ledger.size == len(regs) + len(envelopes)
            rate = len(rest) / dt
            label = "inline (1 process)" if workers == 0 else f"{workers}-process check pool"
            print(
                f"end-to-end ingest, {label}: {rate:,.0f} observations/s "
                f"({len(rest)} in {dt:.2f} s, batches of {args.batch}; "
                f"load average {os.getloadavg()[0]:.2f})"
            )
            print(
                f"  raw Ed25519 verify around it: libsodium {raw1:,.0f}/s on 1 process, "
                f"{raw2:,.0f}/s on 2; OpenSSL {ossl:,.0f}/s on 1. ingest = {rate / raw1:.2f}x "
                f"the 1-process and {rate / raw2:.2f}x the 2-process libsodium rate"
            )
            ing.close()
            ledger.close()
            engine.dispose()
    verify_pool.shutdown()


if __name__ == "__main__":
    main()
