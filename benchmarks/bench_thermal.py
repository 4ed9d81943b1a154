"""Thermal war-fire score on real FIRMS pixels (fusion.thermal).

Scores the 2022 and 2023 files of `../shared/data/gianman89-war-fire-model` against
the 2021 file, the two ways the project does it:

- counting every pixel, then settling once (`score_fires`, `truceline thermal-score`);
- pixel by pixel as the lifecycle engine does (`ThermalScorer(track=True)`), asking
  after each pixel which cells changed (what makes the engine re-judge incidents).

    python benchmarks/bench_thermal.py [--data ../shared/data] [--track 50000]
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime
from pathlib import Path

from truceline.fusion.thermal import ThermalBaseline, ThermalScorer, score_fires
from truceline.fusion.warfire import read_fires

REPO = Path(__file__).resolve().parents[1]


def pixels(path: Path) -> list[tuple[float, float, float]]:
    fires = read_fires(path)
    return [
        (float(lon), float(lat), float(day) * 86_400.0)
        for lon, lat, day in zip(fires.lon, fires.lat, fires.day, strict=True)
    ]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    ap.add_argument("--track", type=int, default=50_000, help="pixels fed one by one")
    args = ap.parse_args()
    firms = args.data / "gianman89-war-fire-model"
    base = pixels(firms / "ukr_fire_data_2021.csv")
    fires = pixels(firms / "ukr_fire_data_2022.csv") + pixels(firms / "ukr_fire_data_2023.csv")
    print(f"started {datetime.now(UTC).isoformat(timespec='seconds')}")
    t0 = time.perf_counter()
    verdicts = score_fires(base, fires, years=363 / 365)
    t1 = time.perf_counter()
    war = sum(v.war for v in verdicts)
    print(f"settle: {len(fires):,} pixels against {len(base):,} baseline pixels in {t1 - t0:.1f} s")
    print(f"  ({(t1 - t0) / len(fires) * 1e6:.0f} us a pixel); {war:,} war fires")
    baseline = ThermalBaseline(363 / 365)
    for p in base:
        baseline.add(*p)
    scorer = ThermalScorer(baseline, track=True)
    n = min(args.track, len(fires))
    changed = 0
    t2 = time.perf_counter()
    for p in fires[:n]:
        scorer.add(*p)
        changed += len(scorer.changed_cells())
    t3 = time.perf_counter()
    print(
        f"track: {n:,} pixels one by one in {t3 - t2:.1f} s ({(t3 - t2) / n * 1e6:.0f} us a pixel),"
    )
    print(f"  {changed:,} cell changes reported (each re-judges the cell's incidents)")


if __name__ == "__main__":
    main()
