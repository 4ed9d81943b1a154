"""Benchmark of `truceline corridors`: skill against the simulator's true hazard, and speed.

    .venv/bin/python benchmarks/bench_corridors.py [--preset deterrence|corridor-risk]
        [--corridors 8] [--seeds 202[,505,...]] [--days 30] [--dir DIR] [--no-speed]

1. per seed, a 30-day scenario of the preset (500 km, `--corridors` corridors of which those
   numbered 1, 3, 5 of every 8 are watched by the mission, a penalty on `east` pending
   from day 12, in force from day 15) built through the CLI (simulate, init, sensor add,
   then each day ingest and fuse; the penalty put on the log by a guarantor's notification,
   tests/corridors/conftest.py `build_daily`) unless DIR/<preset>-<corridors>-<seed> already
   holds one; then `truceline effect` on that penalty's case, against the simulator's true
   effect;
2. a forecast each day from day 3 on for the next 24 h, scored against truth.jsonl: Brier
   score and skill against climatology (the scored windows' own base rate), log loss,
   expected calibration error with its reliability table, ROC-AUC; the same for the naive
   forecast (the share of past windows the log shows breached, no model) and for the
   simulator's true hazard (the best any forecast could do); per seed, then all seeds
   pooled (with a few hundred windows a seed, ECE's sampling noise alone is ~0.05: the
   pooled figure is the one that can show calibration);
3. speed: one forecast of 100 corridors (daily windows) over the whole log of the first
   seed, through the same function as the CLI (the log read as of --at, every signature
   verified); and the track record of a forecast published every day from day 3 (on a copy
   of the home), every published window scored against what the log shows.
Figures: the scores, seconds (wall and CPU) and the load average (the machine is shared).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

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
SCENARIO = """base: {preset}
name: {preset}-bench
days: {days}
world: {{front_km: 500, corridors: {corridors}, vertex_km: 8}}
behaviour:
  deterrence:
    watched_corridors: {watched}
    penalties: [{{party: east, pending_from_day: 12, in_force_from_day: 15}}]
"""


def watched(corridors: int) -> list[int]:
    """Corridors 1, 3 and 5 of every 8, as the presets' three of eight."""
    return [k for k in range(1, corridors + 1) if k % 8 in (1, 3, 5)]


def build(root: Path, preset: str, seed: int, days: int, corridors: int) -> None:
    text = SCENARIO.format(
        preset=preset, days=days, corridors=corridors, watched=watched(corridors)
    )
    (root / "scenario.yaml").write_text(text)
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


def scored(root: Path, days: int) -> tuple[list[dict[str, Any]], dict[score.Key, Any]]:
    sim, home = root / "sim", Home(root / "home")
    agreement = Agreement.model_validate(yaml.safe_load((sim / "agreement.yaml").read_text()))
    truth = score.outcomes(sim / "truth.jsonl", spec.from_agreement(agreement))
    ats = [START + timedelta(days=d) for d in range(3, days)]
    t = time.perf_counter()
    docs = rolling(home, ats, timedelta(hours=24))
    rows = sum(len(d["forecasts"]) for d in docs)
    print(f"rolling forecasts: {len(docs)} days, {rows} windows, {time.perf_counter() - t:.1f} s")
    print("model:", json.dumps(docs[-1]["model"]["coefficients"]))
    return docs, truth


def show(report: dict[str, Any]) -> None:
    for name, figures in report.items():
        if not isinstance(figures, dict):
            continue
        table = figures.pop("reliability", [])
        print(f"{name}:", json.dumps(figures))
        if table:
            cells = (f"{r['mean_p']:.2f}->{r['breached']:.2f} ({r['windows']})" for r in table)
            print("  reliability, forecast P -> share breached (windows):", ", ".join(cells))


def speed(root: Path, days: int) -> None:
    home = Home(root / "home")
    agreement = Agreement.model_validate(
        yaml.safe_load((root / "sim" / "agreement.yaml").read_text())
    )
    cors = hundred(agreement, days)
    at = START + timedelta(days=days - 1)
    for _ in range(2):
        t, c = time.perf_counter(), time.process_time()
        doc = forecast_doc(home, at, timedelta(hours=24), cors)
        wall, cpu = time.perf_counter() - t, time.process_time() - c
        print(
            f"100 corridors, {doc['log']['size']} log entries, {doc['model']['rows']} past windows:"
            f" {wall:.2f} s wall, {cpu:.2f} s CPU, load {os.getloadavg()[0]:.1f}"
        )


def track(root: Path, days: int) -> None:
    """The track record of a forecast published every day (a copy of the home): seconds to
    score every published window against what the log shows."""
    from truceline.corridors import publish
    from truceline.corridors.track import track_record

    with tempfile.TemporaryDirectory() as tmp:
        shutil.copytree(root / "home", Path(tmp) / "home")
        home = Home(Path(tmp) / "home")
        now = START + timedelta(days=days + 1)
        for d in range(3, days):
            publish.publish(home, START + timedelta(days=d), timedelta(hours=24), None, now)
        t, c = time.perf_counter(), time.process_time()
        doc = track_record(home, None)
        wall, cpu = time.perf_counter() - t, time.process_time() - c
        print(
            f"track record: {doc['records']} published forecasts, {len(doc['rows'])} windows"
            f" scored: {wall:.2f} s wall, {cpu:.2f} s CPU, load {os.getloadavg()[0]:.1f};"
            f" skill {doc['scores']['brier_skill']}, ECE {doc['scores']['ece']} against the log"
        )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--preset", choices=("deterrence", "corridor-risk"), default="deterrence")
    ap.add_argument("--corridors", type=int, default=8)
    ap.add_argument("--seeds", default="202", help="comma-separated")
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--dir", type=Path, help="where the runs are built (kept for reuse)")
    ap.add_argument("--no-speed", action="store_true")
    a = ap.parse_args()
    base = a.dir or Path(tempfile.mkdtemp(prefix="bench-corridors-"))
    runs = []
    for seed in (int(s) for s in a.seeds.split(",")):
        root = base / f"{a.preset}-{a.corridors}-{seed}"
        print(f"== {root.name}")
        if not (root / "home").exists():
            root.mkdir(parents=True, exist_ok=True)
            t = time.perf_counter()
            build(root, a.preset, seed, a.days, a.corridors)
            print(f"built {root} in {time.perf_counter() - t:.1f} s")
        effect(root, a.days)
        docs, truth = scored(root, a.days)
        show(score.report(docs, truth))
        runs.append((root.name, docs, truth))
    if len(runs) > 1:
        print(f"== pooled: {', '.join(r[0] for r in runs)}")
        show(score.report(*score.pool(runs)))
    if not a.no_speed:
        speed(base / runs[0][0], a.days)
        track(base / runs[0][0], a.days)


if __name__ == "__main__":
    main()
