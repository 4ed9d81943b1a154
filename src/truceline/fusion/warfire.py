"""The thermal breach signal on real data: FIRMS fires near the front vs the west.

Question: relative to the 2021 seasonal baseline, does the count of satellite
fire detections jump after 2022-02-24 near the front (within `front_km` of the
occupied-territory boundary) while staying flat in the west (west of
`west_lon`)? This is the signal `fusion.thermal` turns into evidence.

Inputs (see /work/shared/data/SOURCES.md): the yearly FIRMS files of the
war-fire-model re-implementation (`LATITUDE,LONGITUDE,ACQ_DATE`, clipped to
Ukraine) and one DeepStateMap snapshot (default 2022-06-01, after the
withdrawal from the north, before the autumn counter-offensives), whose
occupied-territory layers inside Ukraine's bounding box (Crimea and the areas held
since 2014 included; `read_snapshot` reads every naming scheme of both DeepState
archives) give the boundary.

Method: per 0.1-degree cell and calendar month, the expected daily count is
the 2021 mean over the same calendar days; a region's ratio for a period is
observed / expected summed over its cells and days, and its excess follows
the Economist (observed - Poisson 95% upper bound - 2, per cell-month, floored
at zero). Counting only: the result is exact and reproducible.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray
from pyproj import Transformer
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from truceline.agreement.geography import densified
from truceline.fusion.thermal import upper_quantile

UKRAINE_BBOX = (22.0, 44.0, 40.5, 52.5)
WAR_START = date(2022, 2, 24)
NORTH_WITHDRAWN = date(2022, 4, 1)
SNAPSHOT = "1654066641.geojson"  # 2022-06-01


@dataclass
class Fires:
    lon: NDArray[np.float64]
    lat: NDArray[np.float64]
    day: NDArray[np.int64]  # days since 1970-01-01

    def __len__(self) -> int:
        return int(self.lon.shape[0])

    def take(self, mask: NDArray[np.bool_]) -> Fires:
        return Fires(self.lon[mask], self.lat[mask], self.day[mask])


def read_fires(path: Path) -> Fires:
    """A `LATITUDE,LONGITUDE,ACQ_DATE` file; a bad row is an error naming line and field."""
    lon: list[float] = []
    lat: list[float] = []
    day: list[int] = []
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        missing = {"LATITUDE", "LONGITUDE", "ACQ_DATE"} - set(reader.fieldnames or ())
        if missing:
            raise ValueError(f"{path}: missing columns {sorted(missing)}")
        for n, row in enumerate(reader, 2):
            try:
                la, lo = float(row["LATITUDE"]), float(row["LONGITUDE"])
                d = date.fromisoformat(row["ACQ_DATE"])
            except ValueError as exc:
                raise ValueError(f"{path}:{n}: {exc}") from exc
            lat.append(la)
            lon.append(lo)
            day.append(d.toordinal() - date(1970, 1, 1).toordinal())
    return Fires(np.array(lon), np.array(lat), np.array(day, dtype=np.int64))


# DeepStateMap's legend, by fill colour: what the map showed, where a layer's free-text
# name can lag (on 2022-06-06 "Sieverodonetsk. Territories which are occupied" was drawn
# grey, contested; "The enemy was pushed back" grey on 2022-06-13).
_FILL_STATUS = {
    "#a52714": "occupied",
    "#bcaaa4": "contested",
    "#bdbdbd": "contested",
    "#0f9d58": "liberated",
    "#0288d1": "liberated",
    "#01579b": "liberated",
}
# Occupied since 2014, drawn black or purple (a colour shared with Transnistria).
_SINCE_2014 = ("крим", "crimea", "ордло", "cadr", "тузла", "tuzla")
# Territories outside Ukraine that the map also marks (Transnistria lies in Ukraine's
# bounding box; the others do not, and the box drops them too).
_FOREIGN = ("придністров", "transnistria", "geojson.territories.")
# Names, in the three schemes seen (Ukrainian only until 2022-05-11, "UA /// EN" after,
# "UA /// EN /// geoJSON.status.*" from 2024): used when a layer has no known colour.
_NAME_STATUS = (
    ("liberated", ("звільнено", "liberated", "taken back", "під контролем зсу", "відбиті")),
    ("contested", ("під питанням", "contested", "статус невідомий", "unknown status")),
    ("contested", ("сіра зона", "ситуація невідома", "невідомо")),
    ("occupied", ("окуп", "зайняті ворогом", "захоплено", "occupied")),
)


def layer_status(name: str, fill: str | None) -> str | None:
    """ "occupied", "contested", "liberated", or None (foreign, or not a territory layer).

    A layer with neither name nor colour is occupied: the daily `deepstate-map-data`
    files hold one such feature, the occupied area itself."""
    n = " ".join(name.replace("\xa0", " ").lower().split())
    if any(k in n for k in _SINCE_2014):
        return "occupied"
    if any(k in n for k in _FOREIGN):
        return None
    status = _FILL_STATUS.get((fill or "").lower())
    if status is not None:
        return status
    for found, keys in _NAME_STATUS:
        if any(k in n for k in keys):
            return found
    return "occupied" if not n and not fill else None


# Europe's equal-area frame (ETRS89-LAEA): metres and km2 over the whole country.
_LAEA = Transformer.from_crs("EPSG:4326", "EPSG:3035", always_xy=True)


def _laea(geom: BaseGeometry) -> BaseGeometry:
    return shapely.transform(
        densified(geom), lambda c: np.column_stack(_LAEA.transform(c[:, 0], c[:, 1]))
    )


@dataclass
class Snapshot:
    """A DeepStateMap snapshot's territory layers inside Ukraine's box, by status."""

    layers: dict[str, BaseGeometry]
    polygons: dict[str, int]  # polygon parts read per status

    def area_km2(self, status: str) -> float:
        geom = self.layers.get(status)
        if geom is None:
            return 0.0
        return float(_laea(geom).area) / 1e6


def read_snapshot(path: Path) -> Snapshot:
    """Every polygon layer of a DeepStateMap snapshot (either archive's format), by status."""
    doc = json.loads(path.read_text(encoding="utf-8"))
    box = shapely.box(*UKRAINE_BBOX)
    parts: dict[str, list[BaseGeometry]] = {}
    for feature in doc.get("features", []):
        props = feature.get("properties") or {}
        geom = feature.get("geometry")
        status = layer_status(str(props.get("name") or ""), props.get("fill"))
        if not geom or status is None:
            continue
        g = shapely.force_2d(shape(geom))
        for poly in shapely.get_parts(g):  # GeometryCollections and multi-parts alike
            if poly.geom_type == "Polygon" and poly.intersects(box):
                parts.setdefault(status, []).append(shapely.make_valid(poly))
    return Snapshot(
        {k: shapely.union_all(v) for k, v in parts.items()},
        {k: len(v) for k, v in parts.items()},
    )


def occupied(path: Path) -> BaseGeometry:
    """The occupied area of a DeepStateMap snapshot inside Ukraine's box (Crimea and the
    areas held since 2014 included)."""
    snap = read_snapshot(path)
    if "occupied" not in snap.layers:
        raise ValueError(f"{path}: no occupied-territory layer inside Ukraine")
    return snap.layers["occupied"]


def front_mask(fires: Fires, area: BaseGeometry, km: float) -> NDArray[np.bool_]:
    """Fires within `km` of the occupied area's boundary (both sides), in metres (LAEA)."""
    zone = _laea(area).boundary.buffer(km * 1000.0)
    shapely.prepare(zone)
    x, y = _LAEA.transform(fires.lon, fires.lat)
    return np.asarray(shapely.contains_xy(zone, x, y))


def _cells(f: Fires) -> NDArray[np.int64]:
    return np.floor(f.lon / 0.1).astype(np.int64) * 100_000 + np.floor(f.lat / 0.1).astype(np.int64)


def _month(days: NDArray[np.int64]) -> NDArray[np.int64]:
    return np.array([datetime.fromtimestamp(int(d) * 86400, UTC).month for d in days])


@dataclass
class Period:
    start: date
    end: date  # exclusive

    def mask(self, f: Fires) -> NDArray[np.bool_]:
        a = self.start.toordinal() - date(1970, 1, 1).toordinal()
        b = self.end.toordinal() - date(1970, 1, 1).toordinal()
        return (f.day >= a) & (f.day < b)

    def same_days(self, year: int) -> Period:
        return Period(self.start.replace(year=year), self.end.replace(year=year))


def region_signal(
    base: Fires, now: Fires, period: Period, region_base: Any, region_now: Any
) -> dict[str, float]:
    """Observed / baseline and Economist excess for one region and period.

    The baseline is the same calendar days of the baseline year, per 0.1-degree cell
    and month (so a cell that always burns in August explains its August fires)."""
    b = base.take(region_base & period.same_days(_year(base)).mask(base))
    o = now.take(region_now & period.mask(now))
    key_b = _cells(b) * 100 + _month(b.day)
    key_o = _cells(o) * 100 + _month(o.day)
    exp_keys, exp_counts = np.unique(key_b, return_counts=True)
    obs_keys, obs_counts = np.unique(key_o, return_counts=True)
    expected = dict(zip(exp_keys.tolist(), exp_counts.tolist(), strict=True))
    exp_for_obs = np.array([expected.get(k, 0) for k in obs_keys.tolist()], dtype=float)
    exc = np.maximum(obs_counts - upper_quantile(exp_for_obs) - 2.0, 0.0)
    return {
        "baseline": float(len(b)),
        "observed": float(len(o)),
        "ratio": round(len(o) / max(len(b), 1), 3),
        "excess": float(exc.sum()),
    }


def _year(f: Fires) -> int:
    return datetime.fromtimestamp(int(np.median(f.day)) * 86400, UTC).year


def study(
    firms_dir: Path,
    snapshot: Path,
    front_km: float = 30.0,
    west_lon: float = 30.0,
) -> dict[str, Any]:
    """Ratios to the 2021 baseline, front vs west, before and after the invasion, and by month."""
    years = {y: read_fires(firms_dir / f"ukr_fire_data_{y}.csv") for y in (2021, 2022, 2023)}
    area = occupied(snapshot)
    front = {y: front_mask(f, area, front_km) for y, f in years.items()}
    west = {y: f.lon < west_lon for y, f in years.items()}
    periods = {
        "2022_prewar": Period(date(2022, 1, 1), WAR_START),
        # Until the withdrawal from the north the fighting reached 30 E (Chornobyl,
        # Ivankiv, Bucha), so "the west" was not yet quiet; reported apart.
        "2022_invasion": Period(WAR_START, NORTH_WITHDRAWN),
        "2022_war": Period(NORTH_WITHDRAWN, date(2022, 12, 29)),
        "2023": Period(date(2023, 1, 1), date(2023, 12, 29)),
    }
    out: dict[str, Any] = {"front_km": front_km, "west_lon": west_lon, "snapshot": snapshot.name}
    for name, p in periods.items():
        y = p.start.year
        f = region_signal(years[2021], years[y], p, front[2021], front[y])
        w = region_signal(years[2021], years[y], p, west[2021], west[y])
        out[name] = {
            "front": f,
            "west": w,
            "front_over_west": round(f["ratio"] / max(w["ratio"], 1e-9), 3),
        }
    monthly = []
    for y in (2022, 2023):
        for m in range(1, 13):
            p = Period(date(y, m, 1), date(y + (m == 12), m % 12 + 1, 1))
            f = region_signal(years[2021], years[y], p, front[2021], front[y])
            w = region_signal(years[2021], years[y], p, west[2021], west[y])
            monthly.append(
                {
                    "month": f"{y}-{m:02d}",
                    "front": f["observed"],
                    "front_2021": f["baseline"],
                    "west": w["observed"],
                    "west_2021": w["baseline"],
                }
            )
    out["monthly"] = monthly
    return out


def plot(result: dict[str, Any], path: Path) -> None:
    """Monthly detections against the same month of 2021, front and west (matplotlib, Agg)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = result["monthly"]
    months = [m["month"] for m in rows]
    x = np.arange(len(months))
    fig, axes = plt.subplots(2, 1, figsize=(9, 6), dpi=110, sharex=True)
    panels = (
        ("front", f"within {result['front_km']:g} km of the occupied area's boundary", "#a52714"),
        ("west", f"west of {result['west_lon']:g}°E", "#1f5fa5"),
    )
    for ax, (key, title, colour) in zip(axes, panels, strict=True):
        ax.bar(
            x - 0.2,
            [m[f"{key}_2021"] for m in rows],
            0.4,
            color="#bbbbbb",
            label="2021, same month",
        )
        ax.bar(x + 0.2, [m[key] for m in rows], 0.4, color=colour, label="observed")
        ax.axvline(months.index("2022-02") + 0.3, color="black", ls="--", lw=0.8)
        war = result["2022_war"][key]["ratio"]
        y23 = result["2023"][key]["ratio"]
        ax.set_title(f"{title}: x{war:g} (Apr-Dec 2022), x{y23:g} (2023) vs 2021", fontsize=9)
        ax.set_ylabel("FIRMS detections")
        ax.legend(fontsize=7, loc="upper left")
    axes[1].set_xticks(x, months, rotation=60, fontsize=7)
    fig.suptitle(
        "Thermal breach signal on real data: FIRMS fires against the 2021 baseline", fontsize=10
    )
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
