"""`truceline thermal-study | thermal-score`: the satellite thermal signal on FIRMS files."""

from __future__ import annotations

import csv
import json
import sys
from contextlib import nullcontext
from datetime import UTC, date, datetime
from pathlib import Path

import typer

from truceline.errors import TrucelineError
from truceline.mission.options import fail


def thermal_study_command(
    data: Path = typer.Option(
        ..., "--data", help="the shared data dir (FIRMS years + DeepStateMap)"
    ),
    figure: Path | None = typer.Option(None, "--figure", help="write the plot (PNG) here"),
    front_km: float = typer.Option(30.0, "--front-km"),
    west_lon: float = typer.Option(30.0, "--west-lon"),
) -> None:
    """Real-data check of the thermal breach signal: front vs west against 2021 (JSON)."""
    from truceline.fusion.warfire import SNAPSHOT, plot, study

    try:
        result = study(
            data / "gianman89-war-fire-model",
            data / "deepstatemaps-history" / SNAPSHOT,
            front_km,
            west_lon,
        )
    except (TrucelineError, FileNotFoundError, ValueError) as exc:
        fail(exc, 2)
    if figure is not None:
        plot(result, figure)
    typer.echo(json.dumps(result, indent=1))


def _pixels(path: Path) -> list[tuple[int, float, float, float]]:
    """(row, lon, lat, unix time) of every FIRMS row the adapter accepts; each refused row
    is named on stderr with its field and reason."""
    from truceline.adapters.base import RowError, SourceError
    from truceline.adapters.firms import FirmsAdapter
    from truceline.observation import Point

    out = []
    try:
        for item in FirmsAdapter().parse(path):
            if isinstance(item, RowError):
                typer.echo(f"{path}: {item}", err=True)
                continue
            point = item.observation.geometry
            lon, lat = point.coordinates if isinstance(point, Point) else item.observation.lonlat
            out.append((item.row, float(lon), float(lat), item.observation.observed_at.timestamp()))
    except (OSError, SourceError) as exc:
        raise typer.BadParameter(f"{path}: {exc}") from exc
    return out


SCORE_COLUMNS = [
    "file",
    "row",
    "longitude",
    "latitude",
    "observed_at",
    "cell_lon",
    "cell_lat",
    "observed",
    "expected",
    "excess",
    "sustained",
    "persisted",
    "score",
    "war",
]


def thermal_score_command(
    firms: list[Path] = typer.Argument(..., help="FIRMS CSV files to score, in order"),
    baseline: list[Path] = typer.Option(
        [], "--baseline", help="FIRMS CSV of the pre-war baseline year (repeatable)"
    ),
    since: str | None = typer.Option(
        None,
        "--since",
        help="YYYY-MM-DD: rows of FIRMS before it (its year before) are the baseline instead",
    ),
    out: Path | None = typer.Option(None, "--out", help="write the CSV here (default stdout)"),
) -> None:
    """Score every fire pixel against the pre-war season (fusion.thermal) and write its
    score and war-fire decision, one CSV row per accepted pixel."""
    from truceline.fusion.thermal import cell_of, day_of, score_fires

    if not baseline and since is None:
        raise typer.BadParameter("no baseline: give --baseline FILE or --since YYYY-MM-DD")
    history: list[tuple[float, float, float]] = []
    for path in baseline:
        history += [(lon, lat, t) for _, lon, lat, t in _pixels(path)]
    scored: list[tuple[str, int, float, float, float]] = []
    start = None
    if since is not None:
        try:
            start = datetime.combine(date.fromisoformat(since), datetime.min.time(), UTC)
        except ValueError as exc:
            raise typer.BadParameter(f"--since: {since!r} is not YYYY-MM-DD") from exc
    for path in firms:
        for row, lon, lat, t in _pixels(path):
            if start is not None and t < start.timestamp():
                if t >= start.timestamp() - 365 * 86_400:
                    history.append((lon, lat, t))
                continue
            scored.append((str(path), row, lon, lat, t))
    if not history:
        raise typer.BadParameter("the baseline holds no pixel")
    days = {day_of(t) for _, _, t in history}
    years = (max(days) - min(days) + 1) / 365.0
    verdicts = score_fires(history, [(lon, lat, t) for _, _, lon, lat, t in scored], years)
    with open(out, "w", newline="", encoding="utf-8") if out else nullcontext(sys.stdout) as fh:
        writer = csv.writer(fh)
        writer.writerow(SCORE_COLUMNS)
        for (name, row, lon, lat, t), v in zip(scored, verdicts, strict=True):
            cx, cy = cell_of(lon, lat)
            writer.writerow(
                [
                    name,
                    row,
                    lon,
                    lat,
                    datetime.fromtimestamp(t, UTC).isoformat().replace("+00:00", "Z"),
                    round(cx / 10, 1),
                    round(cy / 10, 1),
                    v.observed,
                    round(v.expected, 4),
                    v.excess,
                    int(v.sustained),
                    int(v.persisted),
                    round(v.score, 6),
                    int(v.war),
                ]
            )
    war = sum(v.war for v in verdicts)
    typer.echo(
        json.dumps(
            {"baseline_pixels": len(history), "scored": len(verdicts), "war": war}, sort_keys=True
        ),
        err=True,
    )


def register(app: typer.Typer) -> None:
    app.command("thermal-study")(thermal_study_command)
    app.command("thermal-score")(thermal_score_command)
