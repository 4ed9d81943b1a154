"""Recall per breach type and false accusations at Confirmed, on simulated seeds.

Simulates `--days` of the `escalation` preset (or `--scenario`) per seed (escalation:
heavy weapons moved forward, troops in the buffer, holding sites emptied, monitors
turned back, UAVs, patrols, inspection teams and imaging satellites), fuses and
adjudicates it in one process (no ledger: observations are indexed in file order, as in
tests/adjudication/simulated.py) and prints, per seed, the recall of each breach type
over the breach events independent sensors saw, and the false accusations at Confirmed
by type. `--no-persistence` links no sighting across passes (the engine before presence
persistence), for comparison.

    .venv/bin/python benchmarks/bench_presence.py --seeds 101 102 103 104 105 --days 5
    .venv/bin/python benchmarks/bench_presence.py --scenario corridor --days 1
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.adjudication.simulated import run, simulate  # noqa: E402

from truceline.fusion.presence import PresenceTracks  # noqa: E402

TYPES = ("fire", "presence", "corridor", "protected_site")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, nargs="+", default=[101, 102, 103, 104, 105])
    parser.add_argument("--days", type=float, default=5.0)
    parser.add_argument("--scenario", default="escalation", help="a preset or scenario file")
    parser.add_argument("--no-persistence", action="store_true")
    args = parser.parse_args()
    if args.no_persistence:
        PresenceTracks.link = lambda self, row, r: []  # type: ignore[method-assign,assignment]
    found = {t: 0 for t in TYPES}
    of = {t: 0 for t in TYPES}
    with tempfile.TemporaryDirectory() as tmp:
        for seed in args.seeds:
            t0 = time.perf_counter()
            out = simulate(Path(tmp), args.scenario, seed, args.days)
            t1 = time.perf_counter()
            _, scores, items, _ = run(out)
            t2 = time.perf_counter()
            cells = []
            for t in TYPES:
                r = scores["recall_by_breach_type"][t]
                v = r["over_breach_events_independent_sensors_saw"]
                found[t] += v["found"]
                of[t] += v["of"]
                seen = r["over_breach_events_any_sensor_saw"]
                cells.append(
                    f"{t} {v['found']}/{v['of']} (any sensor {seen['found']}/{seen['of']}, "
                    f"all {r['over_all_breach_events']['found']}/"
                    f"{r['over_all_breach_events']['of']})"
                )
            by_type = scores["false_accusations_at_confirmed_by_type"]
            confirmed = ", ".join(f"{t} {n}" for t, n in by_type.items() if n) or "0"
            print(
                f"seed {seed}: {len(items):,} observations, simulate {t1 - t0:.1f} s, "
                f"fuse {t2 - t1:.1f} s; verifiable found: "
                + "; ".join(cells)
                + f"; false accusations at confirmed {confirmed}; f1 {scores['f1']}",
                flush=True,
            )
    print(
        "total verifiable found: "
        + ", ".join(
            f"{t} {found[t]}/{of[t]} = {found[t] / of[t]:.3f}" if of[t] else t for t in TYPES
        )
    )


if __name__ == "__main__":
    main()
