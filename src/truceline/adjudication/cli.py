"""`truceline fuse | adjudicate | incidents | replay | evaluate`."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path

import typer

from truceline.errors import TrucelineError
from truceline.home import Home
from truceline.mission.options import fail


class Format(StrEnum):
    geojson = "geojson"
    csv = "csv"


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


def incidents_command(
    home: Path = typer.Option(..., "--home", help="mission home directory"),
    format: Format = typer.Option(Format.geojson, "--format", help="geojson or csv"),  # noqa: A002
    recompute: bool = typer.Option(
        False, help="recompute from the log instead of reading the logged transitions"
    ),
) -> None:
    """The incidents in the log: latest state, grade, location, firing party, rules, evidence."""
    from truceline.adjudication.export import to_csv, to_geojson
    from truceline.adjudication.service import recompute as run

    try:
        verdicts = run(Home(home))
    except (TrucelineError, FileNotFoundError, ValueError) as exc:
        fail(exc, 2)
    records = verdicts.emitted if recompute else [rec for _, rec, _ in verdicts.view.transitions]
    typer.echo(to_geojson(records) if format is Format.geojson else to_csv(records), nl=False)


def replay_command(
    home: Path = typer.Option(..., "--home", help="mission home directory"),
) -> None:
    """Recompute every verdict from the log alone; exit 1 on any difference with the log."""
    from truceline.adjudication.service import replay

    try:
        report = replay(Home(home))
    except (TrucelineError, FileNotFoundError, ValueError) as exc:
        fail(exc, 2)
    typer.echo(json.dumps(report.to_json(), indent=2))
    if not report.ok:
        raise typer.Exit(1)


def evaluate_command(
    home: Path = typer.Option(..., "--home", help="mission home directory"),
    truth: Path = typer.Option(..., "--truth", help="the simulator's truth.jsonl"),
) -> None:
    """Score the logged verdicts against ground truth (JSON on stdout)."""
    from truceline.adjudication.evaluate import evaluate_engine, load_truth
    from truceline.adjudication.service import recompute

    try:
        events, obs = load_truth(truth)
        verdicts = recompute(Home(home))
    except (TrucelineError, FileNotFoundError, ValueError) as exc:
        fail(exc, 2)
    logged = [rec for _, rec, _ in verdicts.view.transitions] or verdicts.emitted
    result = evaluate_engine(
        verdicts.engine,
        logged,
        dict(verdicts.view.observations),
        verdicts.view.sensors(),
        events,
        obs,
    )
    typer.echo(json.dumps(result, indent=2))


def adjudicate_command(
    home: Path = typer.Option(..., "--home", help="mission home directory"),
    poll: float = typer.Option(0.05, "--poll", help="seconds between looks at the log"),
) -> None:
    """Streaming adjudication: follow the log and append each transition at once (Ctrl-C)."""
    import threading

    from truceline.adjudication.service import stream_forever

    def report(n: int, size: int) -> None:
        if n:
            typer.echo(f"log size {size}: {n} transition(s) appended")

    stop = threading.Event()
    try:
        total = stream_forever(Home(home), stop, poll, report)
    except KeyboardInterrupt:
        stop.set()
        return
    except (TrucelineError, FileNotFoundError, ValueError) as exc:
        fail(exc, 2)
    typer.echo(f"{total} transition(s) appended")


def register(app: typer.Typer) -> None:
    app.command("fuse")(fuse_command)
    app.command("adjudicate")(adjudicate_command)
    app.command("incidents")(incidents_command)
    app.command("replay")(replay_command)
    app.command("evaluate")(evaluate_command)
