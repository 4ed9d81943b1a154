"""`truceline simulate`: a seeded ceasefire scenario, written as the files the pipeline consumes."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import typer

from truceline.mission.options import fail, option_time


def register(app: typer.Typer) -> None:
    app.command("simulate")(simulate)


def parse_start(text: str) -> datetime:
    try:
        return option_time("--start", text, like="2026-06-01T00:00:00Z")
    except ValueError as exc:
        fail(exc)


def simulate(
    out: Path = typer.Option(..., "--out", help="Directory for the scenario's files."),
    seed: int = typer.Option(7, "--seed", help="Same seed, same bytes."),
    scenario: str = typer.Option(
        "duel",
        "--scenario",
        help="A preset (quiet, duel, escalation, spoofing, corridor) or a YAML file with `base:` and overrides.",
    ),
    days: float | None = typer.Option(None, "--days", help="Override the scenario's length."),
    start: str = typer.Option("", "--start", help="Override the start time (RFC 3339)."),
    scale: float | None = typer.Option(None, "--scale", help="Multiply every conflict rate."),
    workers: int = typer.Option(0, "--workers", min=0, help="Signing processes (0: one per core)."),
) -> None:
    """Simulate a ceasefire: agreement, sensor registry and keys, signed observations, ground truth."""
    import os

    from rich.console import Console
    from rich.table import Table

    from truceline.clock import monotonic
    from truceline.simulate import config, writer

    overrides: dict[str, object] = {"days": days, "scale": scale}
    if start:
        overrides["start"] = parse_start(start)
    try:
        sc = config.load(scenario, **overrides)
    except config.ScenarioError as exc:
        fail(exc)
    t0 = monotonic()
    try:
        r = writer.run(sc, seed)
    except ValueError as exc:
        fail(exc)
    t1 = monotonic()
    info = writer.write(r, out, workers or os.cpu_count() or 1)
    t2 = monotonic()
    console = Console()
    table = Table(title=f"scenario {sc.name}, seed {seed}, {sc.days:g} days from {info['start']}")
    table.add_column("")
    table.add_column("count", justify="right")
    table.add_row("true events", str(info["events"]["total"]))
    table.add_row("  breaches", str(info["events"]["breaches"]))
    for rule, n in info["events"]["by_rule"].items():
        table.add_row(f"    {rule}", str(n))
    table.add_row("sensors", str(info["sensors"]["total"]))
    table.add_row("observations", str(info["observations"]["total"]))
    for fam, n in info["observations"]["by_family"].items():
        table.add_row(f"  {fam}", str(n))
    table.add_row("  false alarms", str(info["observations"]["false_alarms"]))
    table.add_row("  lies", str(info["observations"]["lies"]))
    console.print(table)
    console.print(f"wrote {out} (generate {t1 - t0:.1f} s, sign and write {t2 - t1:.1f} s)")
