"""`truceline fuse`: fuse and adjudicate the whole log, appending new transitions."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from truceline.mission.home import Home


def fuse_command(
    home: Path = typer.Option(..., "--home", help="mission home directory"),
) -> None:
    """Recompute every incident from the log and append the transitions not yet logged.

    Idempotent: transitions are sealed deterministically (Ed25519), and the
    ledger keeps one copy of identical entries.
    """
    from truceline.adjudication.service import fuse

    try:
        result = fuse(Home(home))
    except (FileNotFoundError, ValueError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(json.dumps(result, indent=2))


def register(app: typer.Typer) -> None:
    app.command("fuse")(fuse_command)
