"""Benchmark of `truceline metrics` and `truceline report` on a simulated mission.

    .venv/bin/python benchmarks/bench_report.py [--days 2] [--seed 7] [--dir DIR] [--repeat 3]

1. a mission built as an operator builds one, through the CLI (simulate a duel of --days
   days, init, sensor add, ingest, fuse, enforce), unless --dir already holds one;
2. the metrics of the whole scenario by day (and by week): reading the log through the
   authority (every observation's signature verified, as every reader does), the
   enforcement state at the end of each month, and the computation, each timed;
3. the daily report of the busiest day: HTML, then PDF in en, uk and ru.

Figures: seconds (wall and process CPU, best of --repeat), log entries per second for the
metrics, and the load average, since the machine is shared.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from truceline.home import Home  # noqa: E402
from truceline.metrics.compute import metrics  # noqa: E402
from truceline.metrics.facts import read_facts  # noqa: E402
from truceline.metrics.periods import By  # noqa: E402
from truceline.metrics.render import to_json  # noqa: E402
from truceline.report import content, render  # noqa: E402


def timed(fn: Callable[[], Any], repeat: int) -> tuple[Any, float, float]:
    """(result, best wall seconds, CPU seconds of that run)."""
    best = (None, float("inf"), 0.0)
    for _ in range(repeat):
        w, c = time.perf_counter(), time.process_time()
        out = fn()
        wall, cpu = time.perf_counter() - w, time.process_time() - c
        if wall < best[1]:
            best = (out, wall, cpu)
    return best


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--days", type=float, default=2.0)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--dir", type=Path)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    root = args.dir or Path(tempfile.mkdtemp(prefix="bench-report-"))
    home_dir = root / "home"
    if not (home_dir / "log" / "checkpoint").exists():
        t = time.perf_counter()
        from simulated_home import build_mission  # the tests' CLI-built mission

        build_mission(root, args.days, args.seed, "2026-07-01T00:00:00Z")
        print(f"built a {args.days:g}-day mission in {time.perf_counter() - t:.1f} s: {home_dir}")
    home = Home(home_dir)
    print(f"load average before: {os.getloadavg()[0]:.2f}")

    start = datetime(2026, 6, 1, tzinfo=UTC)
    end = start + timedelta(days=max(1, round(args.days + 0.49)))
    facts, wall, cpu = timed(lambda: read_facts(home, start - timedelta(days=1), end), args.repeat)
    n_obs = len(facts.observations)
    print(
        f"metrics, reading the log: {facts.log_size:,} entries ({n_obs:,} observations, "
        f"{len(facts.incidents):,} incidents): {wall:.2f} s wall, {cpu:.2f} s CPU "
        f"({facts.log_size / wall:,.0f} entries/s)"
    )
    for by in (By.day, By.week):
        doc, wall_c, cpu_c = timed(lambda by=by: metrics(facts, start, end, by), args.repeat)
        body = to_json(doc)
        print(
            f"metrics, computing by {by.value}: {len(doc['rows']):,} rows, {len(body):,} bytes: "
            f"{wall_c:.2f} s wall, {cpu_c:.2f} s CPU"
        )
    busiest = max(
        (start.date() + timedelta(days=k) for k in range((end - start).days)),
        key=lambda d: sum(1 for b in facts.breaches if b.verified_at.date() == d),
    )
    c, wall_b, cpu_b = timed(lambda: content.build(home, busiest), args.repeat)
    print(
        f"report of {busiest} ({len(c.breaches)} verified incidents): content {wall_b:.2f} s "
        f"wall, {cpu_b:.2f} s CPU"
    )
    page, wall_h, cpu_h = timed(lambda: render.html(c, "en"), args.repeat)
    print(f"report HTML: {len(page):,} bytes in {wall_h:.2f} s wall, {cpu_h:.2f} s CPU")
    for lang in ("en", "uk", "ru"):
        page = render.html(c, lang)
        pdf, wall_p, cpu_p = timed(lambda page=page: render.pdf(page, c), args.repeat)
        print(f"report PDF ({lang}): {len(pdf):,} bytes in {wall_p:.2f} s wall, {cpu_p:.2f} s CPU")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
