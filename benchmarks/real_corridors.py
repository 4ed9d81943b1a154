"""The corridor forecast on real data: CIR/Bellingcat events and NASA FIRMS fires of 2022
around Zaporizhzhia, with three roads of the 2022 evacuations as corridors.

    .venv/bin/python benchmarks/real_corridors.py [--dir DIR]

1. a mission home under the example agreement (its two parties and contact line near
   Zaporizhzhia), made an archive: effective from 2022-02-24, evidence up to 10 years old;
2. ingest, through the adapters, every CIR event and every FIRMS 2022 detection inside the
   agreement's box (34.1-37.1 E, 46.8-48.3 N) from 2022-03-01 to 2022-05-31; fuse;
3. corridors (GeoJSON LineStrings, written to DIR/corridors.geojson): Zaporizhzhia -
   Vasylivka (the M-18 of the Mariupol evacuation), Zaporizhzhia - Orikhiv, Enerhodar -
   Vasylivka; 4 km wide; open all day (CIR dates are days) from 2022-03-15 to 2022-05-31;
4. a forecast every day from 2022-04-01 for the next 24 h (`truceline corridors`' own
   function, the log read as of each day), scored against what the log later showed
   (incidents judged breaches within the width on that day).
The data: ../shared/data (SOURCES.md sections 4 and 6).
"""

from __future__ import annotations

import argparse
import csv
import json
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from typer.testing import CliRunner

from truceline.cli import app
from truceline.corridors import spec
from truceline.corridors.drivers import place
from truceline.corridors.evaluate import as_of, rolling
from truceline.corridors.forecast import LOOKBACK
from truceline.corridors.score import auc, ece
from truceline.home import Home
from truceline.metrics.facts import read_facts

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
BOX = (34.1, 46.8, 37.1, 48.3)
FROM, TO = datetime(2022, 3, 1, tzinfo=UTC), datetime(2022, 6, 1, tzinfo=UTC)
ROADS = {
    "zaporizhzhia-vasylivka": [[35.139, 47.838], [35.19, 47.64], [35.275, 47.435]],
    "zaporizhzhia-orikhiv": [[35.139, 47.838], [35.45, 47.70], [35.786, 47.567]],
    "enerhodar-vasylivka": [[34.656, 47.499], [34.95, 47.47], [35.275, 47.435]],
}


def cli(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, (args, result.output)
    return result.stdout


def inside(lon: float, lat: float) -> bool:
    return BOX[0] <= lon <= BOX[2] and BOX[1] <= lat <= BOX[3]


def subset(root: Path) -> tuple[Path, Path]:
    cir_in = DATA / "cir-eyes-on-russia-events" / "events.csv"
    cir_out = root / "cir.csv"
    with cir_in.open() as fh, cir_out.open("w", newline="") as out:
        r = csv.DictReader(fh)
        w = csv.DictWriter(out, fieldnames=r.fieldnames or [])
        w.writeheader()
        for row in r:
            try:
                keep = (
                    inside(float(row["lon"]), float(row["lat"]))
                    and "2022-03" <= row["date"][:7] <= "2022-05"
                )
            except ValueError:
                continue
            if keep:
                w.writerow(row)
    firms_in = DATA / "gianman89-war-fire-model" / "ukr_fire_data_2022.csv"
    firms_out = root / "firms.csv"
    with firms_in.open() as fh, firms_out.open("w", newline="") as out:
        r = csv.DictReader(fh)
        w = csv.DictWriter(out, fieldnames=r.fieldnames or [])
        w.writeheader()
        for row in r:
            if (
                inside(float(row["LONGITUDE"]), float(row["LATITUDE"]))
                and "2022-03-01" <= row["ACQ_DATE"] <= "2022-05-31"
            ):
                w.writerow(row)
    return cir_out, firms_out


def corridors_file(root: Path) -> Path:
    days = (TO - datetime(2022, 3, 15, tzinfo=UTC)).days
    windows = [
        {
            "start": (datetime(2022, 3, 15, tzinfo=UTC) + timedelta(days=d))
            .isoformat()
            .replace("+00:00", "Z"),
            "end": (datetime(2022, 3, 16, tzinfo=UTC) + timedelta(days=d))
            .isoformat()
            .replace("+00:00", "Z"),
        }
        for d in range(days)
    ]
    doc = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "LineString", "coordinates": coords},
                "properties": {"id": name, "width_m": 4000, "windows": windows},
            }
            for name, coords in ROADS.items()
        ],
    }
    path = root / "corridors.geojson"
    path.write_text(json.dumps(doc, indent=1))
    return path


def build(root: Path) -> None:
    text = (REPO / "examples" / "agreement.yaml").read_text()
    text = text.replace(
        'effective_from: "2026-03-01T00:00:00Z"', 'effective_from: "2022-02-24T00:00:00Z"'
    )
    text = text.replace("max_age_s: 2592000", f"max_age_s: {3650 * 86400}")
    (root / "agreement.yaml").write_text(text)
    cli("init", "--home", str(root / "home"), "--agreement", str(root / "agreement.yaml"))
    cir, firms = subset(root)
    now = "2022-06-01T00:00:00Z"
    print(
        cli(
            "ingest", "--home", str(root / "home"), "--format", "cir", "--now", now, str(cir)
        ).strip()
    )
    print(
        cli(
            "ingest", "--home", str(root / "home"), "--format", "firms", "--now", now, str(firms)
        ).strip()
    )
    cli("fuse", "--home", str(root / "home"), "--now", now)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", type=Path)
    a = ap.parse_args()
    root = a.dir or Path(tempfile.mkdtemp(prefix="real-corridors-"))
    root.mkdir(parents=True, exist_ok=True)
    if not (root / "home").exists():
        t = time.perf_counter()
        build(root)
        print(f"built {root} in {time.perf_counter() - t:.1f} s")
    home = Home(root / "home")
    cors = spec.load_file(corridors_file(root))
    ats = [datetime(2022, 4, 1, tzinfo=UTC) + timedelta(days=d) for d in range(61)]
    t = time.perf_counter()
    docs = rolling(home, ats, timedelta(hours=24), cors)
    print(f"{len(docs)} daily forecasts in {time.perf_counter() - t:.1f} s")
    # outcomes: what the whole log says happened on each corridor-day
    final = read_facts(home, TO - LOOKBACK, TO)
    places = {c.id: place(c, as_of(final, TO)) for c in cors}
    rows = []
    for d in docs:
        for f in d["forecasts"]:
            a0 = datetime.fromisoformat(f["window_start"].replace("Z", "+00:00"))
            z0 = datetime.fromisoformat(f["window_end"].replace("Z", "+00:00"))
            rows.append((f["p_breach"], int(places[f["corridor"]].affected(a0, z0) > 0), d))
    import numpy as np

    p = np.array([r[0] for r in rows])
    y = np.array([r[1] for r in rows], float)
    naive = np.array(
        [r[2]["model"]["windows_breached"] / max(r[2]["model"]["rows"], 1) for r in rows]
    )
    clim = np.full(len(y), y.mean())

    def brier(q: np.ndarray) -> float:
        return float(((q - y) ** 2).mean())

    print(
        json.dumps(
            {
                "windows": len(y),
                "breached": int(y.sum()),
                "brier": round(brier(p), 4),
                "brier_naive": round(brier(naive), 4),
                "brier_climatology": round(brier(clim), 4),
                "brier_skill": round(1 - brier(p) / brier(clim), 4) if brier(clim) else None,
                "auc": auc(p, y),
                "ece": round(ece(p, y), 4),
                "mean_p": round(float(p.mean()), 4),
                "last_model": docs[-1]["model"]["method"],
                "last_coefficients": docs[-1]["model"]["coefficients"],
            }
        )
    )
    print(
        cli(
            "corridors",
            "--home",
            str(root / "home"),
            "--at",
            "2022-05-20",
            "--corridors",
            str(root / "corridors.geojson"),
            "--format",
            "csv",
        )
    )


if __name__ == "__main__":
    main()
