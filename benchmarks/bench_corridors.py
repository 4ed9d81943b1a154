"""Benchmark of `truceline corridors`: skill against the simulator's true hazard, and speed.

    .venv/bin/python benchmarks/bench_corridors.py [--seed 101] [--days 30] [--dir DIR]

1. a 30-day deterrence scenario (500 km, 8 corridors, 3 watched by the mission, a penalty
   on `east` pending from day 12, in force from day 15) built through the CLI (simulate,
   init, sensor add, then each day ingest and fuse; the penalty put on the log by a
   guarantor's notification, tests/corridors/conftest.py `build_daily`) unless --dir already
   holds one; seed 202 by default;
   then `truceline effect` on that penalty's case, against the simulator's true effect;
2. a forecast each day from day 3 on for the next 24 h, scored against truth.jsonl: Brier
   score and skill against climatology (the scored windows' own base rate), log loss,
   expected calibration error, ROC-AUC; the same for the naive forecast (the share of past
   windows the log shows breached, no model);
3. speed: one forecast of 100 corridors (daily windows) over the whole log, through the
   same function as the CLI (the log read as of --at, every signature verified).
Figures: the scores, seconds (wall and CPU) and the load average (the machine is shared).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.simulated_home

import numpy as np
import yaml
from tests.corridors.conftest import build_daily, cli

from truceline.agreement.model import Agreement
from truceline.corridors import score, spec
from truceline.corridors.evaluate import rolling
from truceline.corridors.service import forecast_doc
from truceline.home import Home

START = datetime(2026, 6, 1, tzinfo=UTC)
SCENARIO = """base: deterrence
name: deterrence-bench
days: {days}
world: {{front_km: 500, corridors: 8, vertex_km: 8}}
behaviour:
  deterrence:
    watched_corridors: [1, 3, 5]
    penalties: [{{party: east, pending_from_day: 12, in_force_from_day: 15}}]
"""


def build(root: Path, seed: int, days: int) -> None:
    (root / "scenario.yaml").write_text(SCENARIO.format(days=days))
    build_daily(root, seed, days, root / "scenario.yaml")


def effect(root: Path, days: int) -> None:
    """The scripted penalty's case through `truceline penalties` and `truceline effect`."""
    end = (START + timedelta(days=days + 1)).isoformat().replace("+00:00", "Z")
    home = str(root / "home")
    cases = json.loads(cli("penalties", "--home", home, "--now", end))["penalties"]
    case = next(c["case"] for c in cases if c["rung"] == "scripted-1")
    t, c = time.perf_counter(), time.process_time()
    truth = str(root / "sim" / "truth.jsonl")
    text = cli("effect", "--home", home, "--penalty", case, "--truth", truth, "--format", "table")
    wall, cpu = time.perf_counter() - t, time.process_time() - c
    print(text + f"effect: {wall:.2f} s wall, {cpu:.2f} s CPU, load {os.getloadavg()[0]:.1f}")


def hundred(agreement: Agreement, days: int) -> list[spec.CorridorSpec]:
    """100 corridors: the agreement's, shifted along and across, open 08-18 local daily."""
    base = spec.from_agreement(agreement)
    rng = np.random.default_rng(0)
    windows = tuple(
        (START + timedelta(days=d, hours=5), START + timedelta(days=d, hours=15))
        for d in range(days)
    )
    out = []
    for i in range(100):
        c = base[i % len(base)]
        dx, dy = rng.normal(0, 0.15, 2)
        coords = [(x + dx, y + dy) for x, y in c.line.coords]
        from shapely.geometry import LineString

        out.append(spec.CorridorSpec(f"c{i:03d}", "", LineString(coords), 2000.0, windows))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=202)
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--dir", type=Path)
    a = ap.parse_args()
    root = a.dir or Path(tempfile.mkdtemp(prefix="bench-corridors-"))
    if not (root / "home").exists():
        t = time.perf_counter()
        build(root, a.seed, a.days)
        print(f"built {root} in {time.perf_counter() - t:.1f} s")
    effect(root, a.days)
    sim, home = root / "sim", Home(root / "home")
    agreement = Agreement.model_validate(yaml.safe_load((sim / "agreement.yaml").read_text()))
    truth = score.outcomes(sim / "truth.jsonl", spec.from_agreement(agreement))
    ats = [START + timedelta(days=d) for d in range(3, a.days)]
    t = time.perf_counter()
    docs = rolling(home, ats, timedelta(hours=24))
    rows = [f for d in docs for f in d["forecasts"]]
    print(
        f"rolling forecasts: {len(docs)} days, {len(rows)} windows, {time.perf_counter() - t:.1f} s"
    )
    print("model:", json.dumps(docs[-1]["model"]["coefficients"]))
    for name, figures in score.report(docs, truth).items():
        print(f"{name}:", json.dumps(figures))
    cors = hundred(agreement, a.days)
    at = START + timedelta(days=a.days - 1)
    for _ in range(2):
        t, c = time.perf_counter(), time.process_time()
        doc = forecast_doc(home, at, timedelta(hours=24), cors)
        wall, cpu = time.perf_counter() - t, time.process_time() - c
        print(
            f"100 corridors, {doc['log']['size']} log entries, {doc['model']['rows']} past windows:"
            f" {wall:.2f} s wall, {cpu:.2f} s CPU, load {os.getloadavg()[0]:.1f}"
        )


if __name__ == "__main__":
    main()
