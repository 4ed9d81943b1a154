"""Fusion and adjudication speed: a heavy day on a 1,000 km front.

1. Batch: N observations (default 1,000,000) of synthetic strikes along a straight
   1,000 km contact line, built directly as columns (numpy), fused and adjudicated
   (association with a k-d tree, location, attribution, rules, grading, lifecycle).
2. Stream: observations offered at 1,000/s, accepted by group commit into a real
   tile log (one durable append per ~ms batch, as ingest does), each fed through
   `StreamAdjudicator.observe`, its transitions sealed and appended at once; latency
   from the corroborating observation's acceptance (its append) to the verified
   transition being durable in the ledger, p50/p99.

Usage: .venv/bin/python benchmarks/bench_fusion.py [--n 1000000] [--stream 3000]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from truceline.adjudication.lifecycle import adjudicate
from truceline.adjudication.stream import StreamAdjudicator
from truceline.adjudication.verdict import AgreementRef, State, seal_transition
from truceline.agreement.model import Agreement
from truceline.codec.keys import generate, key_id, public_key_b64
from truceline.fusion.base import KIND_CODE, EvidenceTable, frame_for
from truceline.observation import Kind

T0 = datetime(2026, 6, 1, tzinfo=UTC)
LAT = 47.0
LON0, LON1 = 30.0, 43.2  # about 1,000 km along 47 N


# The registrar's key: the agreement lists it, so its registry records introduce the sensors.
MISSION = Ed25519PrivateKey.from_private_bytes(b"\x4d" * 32)


def agreement() -> Agreement:
    line = [[LON0 + (LON1 - LON0) * k / 20, LAT] for k in range(21)]
    north = [*line, [LON1, 49.0], [LON0, 49.0], line[0]]
    south = [*line, [LON1, 45.0], [LON0, 45.0], line[0]]
    return Agreement.model_validate(
        {
            "id": "bench",
            "title": "bench",
            "version": 1,
            "effective_from": "2026-01-01T00:00:00Z",
            "signatories": [
                {"id": "north", "name": "N", "role": "party"},
                {"id": "south", "name": "S", "role": "party"},
                {
                    "id": "mission",
                    "name": "M",
                    "role": "mission",
                    "keys": [{"public_key": public_key_b64(MISSION.public_key())}],
                },
            ],
            "geography": {
                "contact_line": {"type": "LineString", "coordinates": line},
                "territories": [
                    {"party": "north", "geometry": {"type": "Polygon", "coordinates": [north]}},
                    {
                        "party": "south",
                        "geometry": {"type": "Polygon", "coordinates": [south[::-1]]},
                    },
                ],
            },
            "prohibited_acts": [{"id": "art-1", "act": "fire_across_line"}],
        }
    )


SENSORS = [
    ("radar-m", "weapon_locating_radar", "mission"),
    ("acoustic-m", "acoustic_array", "mission"),
    ("seismic-g", "seismic", "guarantor"),
    ("radar-n", "weapon_locating_radar", "north"),
    ("camera-m", "camera", "mission"),
]


def synthetic(n_obs: int, seed: int = 1, span_s: float = 86400.0) -> tuple[EvidenceTable, int]:
    """About five reports per strike; strikes uniform over `span_s` seconds (a day) along
    the whole line. A shorter span gives a day's density with fewer observations."""
    rng = np.random.default_rng(seed)
    frame = frame_for({"type": "LineString", "coordinates": [[LON0, LAT], [LON1, LAT]]})
    n_ev = n_obs // 5
    t_ev = np.sort(rng.uniform(0, span_s, n_ev))
    x0, _ = frame.to_xy(np.array([LON0, LON1]), np.array([LAT, LAT]))
    along = rng.uniform(x0[0] + 5000, x0[1] - 5000, n_ev)
    side = rng.choice([-1.0, 1.0], n_ev)  # +1: fired from the north
    _, yline = frame.to_xy(np.array([(LON0 + LON1) / 2]), np.array([LAT]))
    oy = yline[0] + side * rng.uniform(2000, 15000, n_ev)
    iy = yline[0] - side * rng.uniform(1000, 10000, n_ev)
    ix = along + rng.normal(0, 2000, n_ev)
    # Each report: a sensor (column of SENSORS), with its own error.
    which = rng.integers(0, len(SENSORS), n_obs)
    ev = np.sort(rng.integers(0, n_ev, n_obs))
    t = t_ev[ev] + rng.exponential(20, n_obs)
    is_radar = np.isin(which, [0, 3])
    is_camera = which == 4
    sigma = np.select([is_radar, which == 1, which == 2, is_camera], [60.0, 120.0, 400.0, 300.0])
    x = ix[ev] + rng.normal(0, 1, n_obs) * sigma
    y = iy[ev] + rng.normal(0, 1, n_obs) * sigma
    nan = np.full(n_obs, np.nan)
    ox, oy_, osig = nan.copy(), nan.copy(), nan.copy()
    ox[is_radar] = along[ev][is_radar] + rng.normal(0, 80, is_radar.sum())
    oy_[is_radar] = oy[ev][is_radar] + rng.normal(0, 80, is_radar.sum())
    osig[is_radar] = 80.0
    kind = np.where(is_radar, KIND_CODE[Kind.projectile], KIND_CODE[Kind.impact]).astype(np.int16)
    order = np.argsort(t, kind="stable")  # ledger order ~ arrival order
    table = EvidenceTable(
        index=np.arange(n_obs, dtype=np.int64),
        t=t[order] + T0.timestamp(),
        kind=kind[order],
        sensor=which[order].astype(np.int32),
        x=x[order],
        y=y[order],
        sigma=sigma[order],
        ox=ox[order],
        oy=oy_[order],
        osigma=osig[order],
        sx=nan.copy(),
        sy=nan.copy(),
        bearing=nan.copy(),
        band_lo=nan.copy(),
        band_hi=nan.copy(),
        weapon=np.full(n_obs, 2, np.int16),
        frp=nan.copy(),
        sensors=[s[0] for s in SENSORS],
        sensor_kind=[s[1] for s in SENSORS],
        sensor_operator=[s[2] for s in SENSORS],
    )
    return table, n_ev


def bench_batch(n: int) -> None:
    agr = agreement()
    ref = AgreementRef(id=agr.id, version=1, sha256="0" * 64)
    t0 = time.perf_counter()
    table, n_ev = synthetic(n)
    t1 = time.perf_counter()
    engine, _ = adjudicate(table, agr, ref)
    t2 = time.perf_counter()
    latest = engine.incidents()
    verified = sum(r.state is State.verified for r in latest)
    print(f"batch: {n:,} observations of {n_ev:,} strikes")
    print(
        f"  generate {t1 - t0:.1f} s; fuse + adjudicate {t2 - t1:.1f} s "
        f"({n / (t2 - t1):,.0f} obs/s)"
    )
    print(
        f"  transitions {len(engine.emitted):,}; incidents {len(latest):,}; verified {verified:,}"
    )


def bench_stream(n: int, rate: float, commit_ms: float) -> None:
    """Ingest stand-in and streaming adjudicator through one real tile log.

    A feeder thread accepts the signed observations at `rate` per second by group commit
    (every `commit_ms`, the observations due are appended in one durable append, as ingest
    does); the adjudicator follows the log (`StreamAdjudicator.follow`: read, verify the
    registry, open and validate each record, fuse, judge, seal, one append per chunk).
    A verdict counts as durable when the `follow` call that appended it returns, which
    over-states its latency by up to the rest of that call."""
    import threading

    from truceline.codec.keys import public_key_b64
    from truceline.codec.records import seal
    from truceline.home import Home
    from truceline.ledger.home import create_log
    from truceline.observation import OBSERVATION_TYPE
    from truceline.registry.model import Register, Sensor
    from truceline.registry.state import seal_event

    agr = agreement()
    ref = AgreementRef(id=agr.id, version=1, sha256="0" * 64)
    table, _ = synthetic(n, seed=2)
    frame = frame_for(agr.geography.contact_line)
    lon, lat = frame.to_lonlat(table.x, table.y)
    olon, olat = frame.to_lonlat(np.nan_to_num(table.ox), np.nan_to_num(table.oy))
    mission = MISSION
    mkid = key_id(mission.public_key())
    keys = {sid: generate() for sid, _, _ in SENSORS}
    kids = {sid: key_id(k.public_key()) for sid, k in keys.items()}
    t0 = time.perf_counter()
    envelopes = []
    for r in range(n):
        sid = SENSORS[int(table.sensor[r])][0]
        attrs: dict[str, object] = {"weapon_class": "artillery"}
        if not np.isnan(table.ox[r]):
            attrs["origin"] = {"coordinates": [float(olon[r]), float(olat[r])], "cep_m": 80.0}
        at = T0 + timedelta(seconds=float(table.t[r] - T0.timestamp()))
        obj = {
            "sensor": sid,
            "seq": r,
            "kind": "projectile" if "origin" in attrs else "impact",
            "observed_at": at.isoformat().replace("+00:00", "Z"),
            "geometry": {"type": "Point", "coordinates": [float(lon[r]), float(lat[r])]},
            "uncertainty_m": float(table.sigma[r]),
            "attributes": attrs,
        }
        envelopes.append(seal(OBSERVATION_TYPE, obj, keys[sid], kids[sid]))
    print(f"stream setup: {n:,} observations signed in {time.perf_counter() - t0:.1f} s")
    with tempfile.TemporaryDirectory() as tmp:
        home = Home(Path(tmp) / "home")
        log = create_log(home, "bench.truceline/log")
        log.append(
            [
                seal_event(
                    Register(
                        effective_at=T0 - timedelta(days=1),
                        sensor=Sensor(
                            id=sid,
                            kind=kind,
                            operator=op,
                            public_key=public_key_b64(keys[sid].public_key()),
                        ),
                    ),
                    mission,
                    mkid,
                )
                for sid, kind, op in SENSORS
            ]
        )
        key = generate()
        kid = key_id(key.public_key())
        stream = StreamAdjudicator(agr, ref)
        accepted: dict[int, float] = {}
        fed = threading.Event()

        def feed() -> None:
            begin = time.perf_counter()
            k = 0
            while k < n:
                due = min(n, max(k + 1, int((time.perf_counter() - begin) * rate)))
                idx = log.append(envelopes[k:due])
                now = time.perf_counter()
                for i in idx:
                    accepted[i] = now
                k = due
                pause = begin + k / rate + commit_ms / 1000 - time.perf_counter()
                if pause > 0:
                    time.sleep(pause)
            fed.set()

        latencies: list[float] = []
        passes: list[float] = []
        feeder = threading.Thread(target=feed, daemon=True)
        start = time.perf_counter()
        feeder.start()
        total = len(SENSORS) + n
        while True:
            finished = fed.is_set()
            before = len(stream.engine.emitted)
            size = stream.size
            a = time.perf_counter()
            stream.follow(log, lambda rec: seal_transition(rec, key, kid))
            done = time.perf_counter()
            if stream.size > size:
                passes.append(done - a)
            for rec, trig in zip(
                stream.engine.emitted[before:], stream.triggers[before:], strict=True
            ):
                if rec.state is State.verified and trig in accepted:
                    latencies.append(done - accepted[trig])
            if finished and stream.size >= total:
                break
            if stream.size == size:
                time.sleep(0.001)
        elapsed = time.perf_counter() - start
        log.close()
    pass_ms = np.array(passes) * 1000
    lat_ms = np.array(latencies) * 1000
    print(
        f"stream: {n:,} observations offered at {rate:,.0f}/s (group commit every "
        f"{commit_ms:g} ms), achieved {n / elapsed:,.0f}/s"
    )
    print(
        f"  follow passes {len(pass_ms):,}: p50 {np.percentile(pass_ms, 50):.1f} ms, "
        f"p99 {np.percentile(pass_ms, 99):.1f} ms"
    )
    print(
        f"  verified verdicts {len(lat_ms):,}; acceptance -> verified in ledger "
        f"p50 {np.percentile(lat_ms, 50):.1f} ms, p90 {np.percentile(lat_ms, 90):.1f} ms, "
        f"p99 {np.percentile(lat_ms, 99):.1f} ms, max {lat_ms.max():.1f} ms"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--stream", type=int, default=3000)
    ap.add_argument("--rate", type=float, default=1000.0)
    ap.add_argument("--commit-ms", type=float, default=10.0)
    args = ap.parse_args()
    if args.n:
        bench_batch(args.n)
    if args.stream:
        bench_stream(args.stream, args.rate, args.commit_ms)


if __name__ == "__main__":
    main()
