"""Adapter throughput on the real files: parse, parse + sign, and the full import.

    .venv/bin/python benchmarks/bench_adapters.py [--data DIR] [--skip-ingest]

Prints rows/s for parsing each source, then the FIRMS 2022 yearly file (133,979 rows)
parsed and signed by the import gateway on 1 and 2 processes, then imported end to end
(adapter -> gateway -> Ingestor -> ledger) into a fresh mission home.
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from truceline.adapters import ADAPTERS
from truceline.adapters.gateway import Gateway, Signed
from truceline.codec import keys

REPO = Path(__file__).resolve().parents[1]
FIRMS_2022 = "gianman89-war-fire-model/ukr_fire_data_2022.csv"
PARSE = [
    ("firms", FIRMS_2022),
    ("firms", "economist-war-fire-model/J1_VIIRS_C2_Global_VJ114IMGTDL_NRT_2025223.txt.csv"),
    ("cot", "tak-feeder-deepstate-cot/output.txt"),
    ("cir", "cir-eyes-on-russia-events/events.csv"),
    ("osce", "osce-smm-headline-extract/osce_smm_daily_headline_counts_EXTRACTED.csv"),
]


def bench_parse(data: Path) -> None:
    print("parse only (rows/s; CPU us/row)")
    for fmt, rel in PARSE:
        adapter = ADAPTERS[fmt]()
        t = time.perf_counter()
        cpu = time.process_time()
        for _ in adapter.parse(data / rel):
            pass
        dt = time.perf_counter() - t
        cpu = time.process_time() - cpu
        c = adapter.counts
        print(
            f"  {fmt:6} {Path(rel).name[:44]:44} {c.read:7d} rows "
            f"({c.parsed} parsed, {c.errors} errors) {dt:6.2f} s  {c.read / dt:8.0f} rows/s"
            f"  {cpu / c.read * 1e6:5.0f} us/row"
        )


def bench_sign(data: Path, workers: int) -> float:
    key = keys.generate()
    gateway = Gateway("bench-gateway", key, keys.key_id(key.public_key()))
    adapter = ADAPTERS["firms"]()
    t = time.perf_counter()
    cpu = time.process_time()
    signed = total_bytes = 0
    for item in gateway.import_file(adapter, data / FIRMS_2022, workers=workers):
        if isinstance(item, Signed):
            signed += 1
            total_bytes += len(item.envelope)
    dt = time.perf_counter() - t
    cpu = time.process_time() - cpu
    where = "this process" if workers == 1 else "the merging parent only"
    print(
        f"  parse + sign, {workers} process(es): {signed} envelopes "
        f"({total_bytes / signed:.0f} B each) in {dt:.2f} s  {signed / dt:.0f} rows/s "
        f"(CPU of {where}: {cpu:.2f} s, {cpu / signed * 1e6:.0f} us/row)"
    )
    return dt


def bench_ingest(data: Path, workers: int) -> None:
    from truceline.agreement.load import load_agreement_text
    from truceline.clock import FixedClock
    from truceline.home import Home
    from truceline.ingest.bootstrap import init_home
    from truceline.ingest.service import Mission

    # an archive import: the example agreement with time.max_age_s widened to 10 years
    # (its 30-day default would refuse every 2022 row as too_old)
    text = (REPO / "examples/agreement.yaml").read_text()
    text = text.replace("max_age_s: 2592000", f"max_age_s: {3650 * 86_400}")
    now = FixedClock(datetime(2026, 3, 1, tzinfo=UTC))
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "home"
        init_home(root, load_agreement_text(text), text, None, None, None, now)
        with Mission(Home(root), now, workers=workers if workers > 1 else 0) as mission:
            signer_us = _signer_cpu_us(data, mission)
            cpu0 = _cpu_self()
            t = time.perf_counter()
            tally = mission.import_file("firms", data / FIRMS_2022, workers=workers)
            dt = time.perf_counter() - t
            size = mission.ledger.size
            main_cpu = _cpu_self() - cpu0  # the merging and ingesting process, not its children
        total = tally.accepted + sum(tally.rejected.values())
        print(
            f"  end to end, {workers} process(es): {tally.accepted} accepted, "
            f"{sum(tally.rejected.values())} rejected of {total} rows in {dt:.2f} s "
            f"({total / dt:.0f} rows/s); ledger size {size}; load average "
            f"{os.getloadavg()[0]:.2f}"
        )
        main_us = main_cpu / total * 1e6
        idle = (signer_us + main_us) * total / 1e6 / 2
        print(
            f"    CPU per row: signing processes (parse + sign + stateless check) {signer_us:.0f} "
            f"us (measured in this process on 20,000 rows), merging + stateful checks + "
            f"append {main_us:.0f} us; all of it on 2 idle cores: at least {idle:.1f} s"
        )


def _cpu_self() -> float:
    me = resource.getrusage(resource.RUSAGE_SELF)
    return me.ru_utime + me.ru_stime


def _signer_cpu_us(data: Path, mission: object) -> float:
    """CPU per row of what each signing process does, on the first 20,000 rows."""
    import itertools

    from truceline.ingest.service import Mission

    assert isinstance(mission, Mission)
    key = keys.generate()
    kid = keys.key_id(key.public_key())
    table = {kid: ("bench-gateway", keys.raw_public(key.public_key()))}
    gateway = Gateway("bench-gateway", key, kid)
    n = 20_000
    cpu = time.process_time()
    adapter = ADAPTERS["firms"]()
    items = gateway.envelopes(adapter.parse(data / FIRMS_2022), table, adapter)
    done = sum(1 for _ in itertools.islice(items, n))
    return (time.process_time() - cpu) / done * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--skip-ingest", action="store_true")
    parser.add_argument("--only-import", action="store_true", help="just the end-to-end import")
    args = parser.parse_args()
    print(f"cpus: {os.cpu_count()}, load average: {os.getloadavg()[0]:.2f}")
    if args.only_import:
        bench_ingest(args.data, 2)
        return
    bench_parse(args.data)
    print(f"FIRMS 2022 yearly file ({FIRMS_2022})")
    bench_sign(args.data, 1)
    bench_sign(args.data, 2)
    if not args.skip_ingest:
        bench_ingest(args.data, 2)
    print(f"load average at the end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
