"""`truceline metrics`: the mission's figures per party and period, from the log alone."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import typer

from truceline.home import Home
from truceline.metrics.periods import By
from truceline.mission.options import emit


class Format(StrEnum):
    json = "json"
    csv = "csv"


def metrics_command(
    home: Path = typer.Option(..., "--home", help="mission home directory (or a mirror)"),
    start: str = typer.Option(..., "--from", help="first day (2026-05-01) or RFC 3339 time"),
    end: str = typer.Option(..., "--to", help="end, exclusive (a date means its 00:00 UTC)"),
    by: By = typer.Option(By.day, "--by", help="day or week (ISO weeks, from Monday)"),
    format: Format = typer.Option(Format.json, "--format", help="json or csv"),  # noqa: A002
    out: Path | None = typer.Option(None, "--out", help="write here instead of stdout"),
) -> None:
    """Verified breaches by grade, rule and weapon; fire seen and heard (OSCE style);
    strikes on protected sites and corridors; time to verification; inspections; penalty
    cases; sensors reporting and line coverage: per party and period, with 95 % intervals.
    A function of the log: a mirror gives the same bytes."""
    from truceline.metrics.service import metrics_bytes

    emit(metrics_bytes(Home(home), start, end, by, format.value), out)


def register(app: typer.Typer) -> None:
    app.command("metrics")(metrics_command)
