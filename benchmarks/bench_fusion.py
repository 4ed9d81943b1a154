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

from truceline.adjudication.home import seal_transition
from truceline.adjudication.lifecycle import adjudicate
from truceline.adjudication.stream import StreamAdjudicator
from truceline.adjudication.verdict import AgreementRef, State
from truceline.agreement.model import Agreement
from truceline.codec.keys import generate, key_id
from truceline.fusion.base import KIND_CODE, EvidenceTable, SensorInfo, frame_for
from truceline.observation import Kind, Observation

T0 = datetime(2026, 6, 1, tzinfo=UTC)
LAT = 47.0
LON0, LON1 = 30.0, 43.2  # about 1,000 km along 47 N


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
                {"id": "mission", "name": "M", "role": "mission"},
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


def synthetic(n_obs: int, seed: int = 1) -> tuple[EvidenceTable, int]:
    """About five reports per strike; strikes uniform over a day along the whole line."""
    rng = np.random.default_rng(seed)
    frame = frame_for({"type": "LineString", "coordinates": [[LON0, LAT], [LON1, LAT]]})
    n_ev = n_obs // 5
    t_ev = np.sort(rng.uniform(0, 86400, n_ev))
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


def bench_stream(n: int, rate: float) -> None:
    from truceline.ledger.home import create_log
    from truceline.mission.home import Home

    agr = agreement()
    ref = AgreementRef(id=agr.id, version=1, sha256="0" * 64)
    table, _ = synthetic(n, seed=2)
    frame = frame_for(agr.geography.contact_line)
    lon, lat = frame.to_lonlat(table.x, table.y)
    olon, olat = frame.to_lonlat(np.nan_to_num(table.ox), np.nan_to_num(table.oy))
    obs = []
    for r in range(n):
        s = int(table.sensor[r])
        attrs: dict[str, object] = {"weapon_class": "artillery"}
        if not np.isnan(table.ox[r]):
            attrs["origin"] = {"coordinates": (float(olon[r]), float(olat[r])), "cep_m": 80.0}
        obs.append(
            Observation.model_validate(
                {
                    "sensor": SENSORS[s][0],
                    "seq": r,
                    "kind": "projectile" if "origin" in attrs else "impact",
                    "observed_at": T0 + timedelta(seconds=float(table.t[r] - T0.timestamp())),
                    "geometry": {"type": "Point", "coordinates": (float(lon[r]), float(lat[r]))},
                    "uncertainty_m": float(table.sigma[r]),
                    "attributes": attrs,
                }
            )
        )
    infos = {sid: SensorInfo(kind, op) for sid, kind, op in SENSORS}
    with tempfile.TemporaryDirectory() as tmp:
        home = Home(Path(tmp) / "home")
        log = create_log(home, "bench.truceline/log")
        key = generate()
        kid = key_id(key.public_key())
        stream = StreamAdjudicator(agr, ref, {})
        filler = b'{"payloadType":"x","payload":"","signatures":[]}'
        latencies: list[float] = []
        per_obs: list[float] = []
        start = time.perf_counter()
        k = 0
        while k < n:
            # Group commit, as ingest does: every observation due by now is accepted in
            # one durable append (stand-in entries: ingest's checks are its own benchmark).
            now = time.perf_counter()
            due = min(n, max(k + 1, int((now - start) * rate)))
            batch = list(range(k, due))
            first = log.append([filler + str(j).encode() for j in batch])[0]
            accepted = time.perf_counter()
            out = []
            for j in batch:
                a = time.perf_counter()
                out.extend(stream.observe(first + (j - k), obs[j], infos[obs[j].sensor]))
                per_obs.append(time.perf_counter() - a)
            if out:
                log.append([seal_transition(rec, key, kid) for rec in out])
                done = time.perf_counter()
                latencies.extend(done - accepted for rec in out if rec.state is State.verified)
            k = due
            while time.perf_counter() < start + k / rate:
                pass
        elapsed = time.perf_counter() - start
        log.close()
    obs_ms = np.array(per_obs) * 1000
    print(
        f"  fusion per observation p50 {np.percentile(obs_ms, 50):.2f} ms, "
        f"p99 {np.percentile(obs_ms, 99):.2f} ms"
    )
    lat_ms = np.array(latencies) * 1000
    print(f"stream: {n:,} observations offered at {rate:,.0f}/s, achieved {n / elapsed:,.0f}/s")
    print(
        f"  verified verdicts {len(lat_ms):,}; acceptance -> verified in ledger "
        f"p50 {np.percentile(lat_ms, 50):.1f} ms, p99 {np.percentile(lat_ms, 99):.1f} ms"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--stream", type=int, default=3000)
    ap.add_argument("--rate", type=float, default=1000.0)
    args = ap.parse_args()
    if args.n:
        bench_batch(args.n)
    if args.stream:
        bench_stream(args.stream, args.rate)


if __name__ == "__main__":
    main()
