"""Simulator throughput: from a toy day to a heavy day on a 1,000 km front (>= 1,000,000 observations).

    .venv/bin/python benchmarks/bench_simulate.py [--only toy,day,week-escalation,heavy] [--workers N]

For each case: true events, observations, seconds to generate (world, events,
sensors, truth; vectorised numpy in one process) and to render, sign and write
(worker processes), and observations per second overall. Output files go to a
temporary directory that is removed afterwards.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import tempfile
from pathlib import Path

from truceline.clock import monotonic
from truceline.simulate import config, writer

CASES = {
    # name: (preset, overrides)
    "toy": ("quiet", {"days": 1, "world": {"front_km": 100}}),
    "day": ("duel", {"days": 1}),
    "week-escalation": ("escalation", {"days": 7}),
    "heavy": (
        "escalation",
        {"days": 1, "scale": 130, "behaviour": {"phases": [{"days": 1, "mode": "escalation"}]}},
    ),
}


def _cpu() -> float:
    """CPU seconds used by this process and its finished children (the signing workers)."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", default=",".join(CASES))
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    print(f"workers {args.workers}, cpus {os.cpu_count()}")
    header = (
        f"{'case':<16} {'events':>9} {'observations':>12} {'generate s':>10} {'sign+write s':>12} "
        f"{'total s':>8} {'obs/s':>8} {'cpu s':>7} {'idle-2-core s':>13} {'MB':>6} {'load':>5}"
    )
    print(header)
    for name in args.only.split(","):
        preset, overrides = CASES[name]
        scenario = config.load(preset, name=name, **overrides)
        out = Path(tempfile.mkdtemp(prefix=f"bench-sim-{name}-"))
        try:
            c0 = _cpu()
            t0 = monotonic()
            r = writer.run(scenario, args.seed)
            t1 = monotonic()
            c1 = _cpu()
            writer.write(r, out, args.workers)
            t2 = monotonic()
            c2 = _cpu()
            n = len(r.observed.obs)
            size = (out / "observations.jsonl").stat().st_size / 1e6
            # the machine is shared: CPU seconds say what the work costs, and generation
            # (one process) plus signing (spread over the workers) is the wall time on
            # otherwise idle cores
            parallel = args.workers if n >= 2 * writer.CHUNK else 1
            idle = (c1 - c0) + (c2 - c1) / max(parallel, 1)
            print(
                f"{name:<16} {len(r.events):>9} {n:>12} {t1 - t0:>10.1f} {t2 - t1:>12.1f} "
                f"{t2 - t0:>8.1f} {n / (t2 - t0):>8.0f} {c2 - c0:>7.1f} {idle:>13.1f} "
                f"{size:>6.0f} {os.getloadavg()[0]:>5.1f}",
                flush=True,
            )
        finally:
            shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    main()
