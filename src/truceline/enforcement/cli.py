"""`truceline penalties | inspections | playbooks | enforce | vote`."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import typer

from truceline.mission.home import Home
from truceline.mission.options import option_time

HOME = typer.Option(..., "--home", help="mission home directory")
NOW = typer.Option(None, "--now", help="event time to derive at (RFC 3339); default: the clock")


def _now(text: str | None) -> datetime:
    if text is None:
        return datetime.now(UTC)
    try:
        return option_time("--now", text).astimezone(UTC)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc


def with_appender(home: Path, now: datetime, fn: Any) -> Any:
    """`fn(appender)` over the home's ledger, closed afterwards; a missing or broken
    home (no ledger, no agreement) is a clean exit 2. Also serves `truceline alert`."""
    from truceline.enforcement.home import appender
    from truceline.ingest.home import open_ledger

    h = Home(home)
    try:
        ledger = open_ledger(h)
    except (FileNotFoundError, RuntimeError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    try:
        return fn(appender(h, ledger, now))
    except FileNotFoundError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    finally:
        ledger.close()


def _print(obj: Any) -> None:
    typer.echo(json.dumps(obj, indent=2, default=str))


def penalties_command(home: Path = HOME, now: str | None = NOW) -> None:
    """Penalty cases: status, countdown deadline (00:00 UTC), votes counted, and ignored records."""
    from truceline.enforcement import views

    at = _now(now)
    state = with_appender(home, at, lambda app: app.state(at))
    _print(
        {
            "now": at.isoformat(),
            "penalties": views.penalties(state),
            "ignored": views.ignored(state),
        }
    )


def inspections_command(home: Path = HOME, now: str | None = NOW) -> None:
    """Inspections (routine, requested, automatic), assigned teams, and coverage per zone."""
    from truceline.enforcement import views

    at = _now(now)
    _print(views.inspections(with_appender(home, at, lambda app: app.state(at))))


def playbooks_command(home: Path = HOME, now: str | None = NOW) -> None:
    """Playbook steps issued per incident, their deadlines and escalations."""
    from truceline.enforcement import views

    at = _now(now)
    _print(views.playbooks(with_appender(home, at, lambda app: app.state(at))))


def enforce_command(home: Path = HOME, now: str | None = NOW) -> None:
    """Append the enforcement transitions due by `now` that are not on the log yet (idempotent)."""
    at = _now(now)
    appended = with_appender(home, at, lambda app: app.run(at))
    _print({"now": at.isoformat(), "appended": len(appended), "indices": appended})


def vote_command(
    home: Path = HOME,
    case: str = typer.Option(..., "--case", help="penalty case id (see `truceline penalties`)"),
    voter: str = typer.Option(..., "--voter", help="your signatory id"),
    choice: str = typer.Option(..., "--choice", help="block | allow | abstain"),
    key: Path = typer.Option(..., "--key", help="your Ed25519 private key (PEM or base64 seed)"),
) -> None:
    """Sign a vote on a penalty case, cast now, and put it on the log.

    The cast time is the clock's: a vote cannot be back-dated into a closed window.
    """
    from truceline.codec.keys import KeyFileError, key_id, load_private_key
    from truceline.codec.records import seal
    from truceline.enforcement.records import VOTE_TYPE, Choice
    from truceline.enforcement.submit import Refused, submit
    from truceline.observation import format_time

    if choice not in Choice.__members__:
        raise typer.BadParameter(f"--choice: expected block, allow or abstain, found {choice!r}")
    try:
        private = load_private_key(key)
    except KeyFileError as exc:
        raise typer.BadParameter(str(exc)) from exc
    cast = _now(None)
    obj = {"case": case, "voter": voter, "choice": choice, "cast_at": format_time(cast)}
    entry = seal(VOTE_TYPE, obj, private, key_id(private.public_key()))

    def go(app: Any) -> Any:
        try:
            return submit(app, entry, cast)
        except Refused as exc:
            typer.echo(f"refused: {exc}", err=True)
            raise typer.Exit(1) from exc

    out = with_appender(home, cast, go)
    _print({"index": out.index, "counted": out.counted, "reason": out.reason})


def register(app: typer.Typer) -> None:
    app.command("penalties")(penalties_command)
    app.command("inspections")(inspections_command)
    app.command("playbooks")(playbooks_command)
    app.command("enforce")(enforce_command)
    app.command("vote")(vote_command)
