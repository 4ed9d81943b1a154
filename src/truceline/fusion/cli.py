"""`truceline fuse`: fuse and adjudicate the whole log, appending new transitions."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from truceline.errors import TrucelineError
from truceline.home import Home


def fuse_command(
    home: Path = typer.Option(..., "--home", help="mission home directory"),
    now: str = typer.Option(
        "",
        "--now",
        help="the logging time stamped into each new transition (RFC 3339; default: the "
        "clock). For a historical feed replayed today; windows the transitions open for the "
        "parties start then",
    ),
) -> None:
    """Recompute every incident from the log and append the transitions not yet logged.

    Idempotent: a transition already on the log (whatever its logging time) is not
    appended again."""
    from truceline.adjudication.service import fuse
    from truceline.clock import FixedClock, SystemClock
    from truceline.mission.options import option_time

    try:
        clock = FixedClock(option_time("--now", now)) if now else SystemClock()
        result = fuse(Home(home), clock)
    except (TrucelineError, FileNotFoundError, ValueError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(json.dumps(result, indent=2))


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
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    if figure is not None:
        plot(result, figure)
    typer.echo(json.dumps(result, indent=1))


def register(app: typer.Typer) -> None:
    app.command("fuse")(fuse_command)
    app.command("thermal-study")(thermal_study_command)
