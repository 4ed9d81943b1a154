"""`truceline corridors`: per corridor and window, the probability of a breach affecting it,
a 90 % interval, the expected count and the drivers, from the log alone; `--publish` logs
it signed, `--published` exports what was published, `--verify` recomputes it,
`--track-record` scores what was published against what the log shows happened."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from truceline.home import Home

if TYPE_CHECKING:
    from truceline.corridors.spec import CorridorSpec
from truceline.mission.options import emit, fail


class Format(StrEnum):
    json = "json"
    csv = "csv"


def corridors_command(
    home: Path = typer.Option(..., "--home", help="mission home directory (or a mirror)"),
    at: str | None = typer.Option(None, "--at", help="forecast time: a date or RFC 3339 time"),
    window: str = typer.Option("24h", "--window", help="how far ahead: 24h, 90m, 7d"),
    corridors: Path | None = typer.Option(
        None, "--corridors", help="GeoJSON LineStrings with windows (default: the agreement's)"
    ),
    format: Format = typer.Option(Format.json, "--format", help="json or csv"),  # noqa: A002
    out: Path | None = typer.Option(None, "--out", help="write here instead of stdout"),
    publish: bool = typer.Option(
        False, "--publish", help="log the forecast, signed by the mission's publisher"
    ),
    published: bool = typer.Option(
        False, "--published", help="export every published forecast (the insurer's record)"
    ),
    score: Path | None = typer.Option(
        None,
        "--score",
        help="a simulator's truth.jsonl: forecast daily from --at for --days, score",
    ),
    days: int = typer.Option(7, "--days", min=1, max=366, help="with --score: how many forecasts"),
    verify: bool = typer.Option(
        False,
        "--verify",
        help="recompute every published forecast from this log; exit 1 on a difference",
    ),
    track_record: bool = typer.Option(
        False,
        "--track-record",
        help="every published window that has closed, what the log shows happened, scores",
    ),
) -> None:
    """Corridor risk an insurer can price: P(at least one breach within the corridor's
    width while it is open), its 90 % interval, the expected count and what
    drives it (incidents near the path, breach rates, penalties, inspections, sensor
    coverage). A function of the log, the agreement and the corridors: a mirror gives the
    same bytes."""
    from truceline.corridors import publish as pub
    from truceline.corridors import service

    h = Home(home)
    cors = service.corridors_from(corridors)
    if verify:
        results = [pub.recompute(h, p, cors) for p in pub.published(h)]
        emit(json.dumps({"verified": results}, indent=1).encode() + b"\n", out)
        if any(r["result"] != "equal" for r in results):
            raise typer.Exit(1)
        return
    if track_record:
        from truceline.corridors import track

        emit(track.render(track.track_record(h, cors), format.value), out)
        return
    if published:
        emit(
            service.render_published([pub.describe(p) for p in pub.published(h)], format.value), out
        )
        return
    if at is None:
        fail("--at: the forecast time is required (e.g. 2026-06-05T00:00:00Z)", 2)
    from truceline.clock import SystemClock
    from truceline.metrics.periods import parse_bound

    when, span = parse_bound("--at", at), service.parse_window(window)
    if score is not None:
        _score(h, score, when, span, days, cors, out)
        return
    if publish:
        p, doc = pub.publish(h, when, span, cors, SystemClock().now())
        typer.echo(json.dumps({"published": pub.describe(p)}, indent=1), err=True)
    else:
        doc = service.forecast_doc(h, when, span, cors)
    emit(service.render(doc, format.value), out)


def _score(
    h: Home,
    truth: Path,
    first: datetime,
    span: timedelta,
    days: int,
    cors: list[CorridorSpec] | None,
    out: Path | None,
) -> None:
    """Forecasts at `first` and each day after, scored against the simulator's truth."""
    from truceline.corridors import score as scoring
    from truceline.corridors.evaluate import rolling
    from truceline.corridors.spec import CorridorFileError, from_agreement

    if not truth.is_file():
        raise CorridorFileError(f"--score: {truth}: no such file")
    docs = rolling(h, [first + timedelta(days=k) for k in range(days)], span, cors)
    chosen = cors
    if chosen is None:
        from truceline.metrics.facts import read_facts

        chosen = from_agreement(read_facts(h, first, first).agreement)
    figures = scoring.report(docs, scoring.outcomes(truth, chosen))
    emit((json.dumps(figures, indent=1) + "\n").encode(), out)


def register(app: typer.Typer) -> None:
    app.command("corridors")(corridors_command)
