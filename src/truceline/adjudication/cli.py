"""`truceline incidents | replay | evaluate`."""

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
    app.command("adjudicate")(adjudicate_command)
    app.command("incidents")(incidents_command)
    app.command("replay")(replay_command)
    app.command("evaluate")(evaluate_command)
